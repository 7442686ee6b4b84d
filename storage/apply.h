// Internal to storage: the per-type apply functions the state machine
// dispatches to. Each takes the stripe locks it needs, reads, writes one
// WriteTxn and writes the reply.
#pragma once

#include <optional>
#include <string>

#include "core/resp/writer.h"
#include "storage/errors.h"
#include "storage/keyspace.h"
#include "storage/op.h"
#include "storage/state_machine.h"

namespace shoal::storage::internal {

struct ApplyCtx {
  Keyspace& ks;
  const StateMachineOptions& options;
  const Op& op;
  resp::Writer& reply;
  bool changed = false;

  // Replies with a storage error and returns true if `s` failed.
  bool Failed(const Status& s) {
    if (s.ok()) return false;
    reply.Error(std::string(errors::kStoragePrefix) + s.message());
    return true;
  }
  // Commits, marking the op as a change; false (and an error reply) on failure.
  bool Commit(WriteTxn& txn) {
    if (txn.empty()) return true;
    if (Failed(txn.Commit(op.now_ms))) return false;
    changed = true;
    return true;
  }
};

// A key's record as seen by an op: absent, or live (expired counts as
// absent for semantics but still exists physically).
struct Loaded {
  std::optional<Record> rec;  // physical record, possibly expired
  std::string scratch;
  bool live = false;
};
// Reads key for an apply; false (after replying an error) on storage failure.
bool Load(ApplyCtx& c, const KeyRef& k, Loaded* out);

void ApplySet(ApplyCtx& c);
void ApplyMSet(ApplyCtx& c, bool nx);
void ApplyIncrBy(ApplyCtx& c);
void ApplyIncrByFloat(ApplyCtx& c);
void ApplyAppend(ApplyCtx& c);
void ApplySetRange(ApplyCtx& c);
void ApplySetBit(ApplyCtx& c);
void ApplyGetDel(ApplyCtx& c);
void ApplyGetEx(ApplyCtx& c);

void ApplyDel(ApplyCtx& c);
void ApplyExpire(ApplyCtx& c);
void ApplyPersist(ApplyCtx& c);
void ApplyRename(ApplyCtx& c);
void ApplyCopy(ApplyCtx& c);
void ApplyFlushAll(ApplyCtx& c);
void ApplyExpireIfDue(ApplyCtx& c);

}  // namespace shoal::storage::internal
