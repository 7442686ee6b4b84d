// Applies replicated operations (storage/op.h) to the keyspace, in log
// order, and writes each operation's reply. Deterministic: the same ops in
// the same order give the same state and replies on every replica.
// Thread-safe: each apply takes the stripe locks of the keys it touches.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/resp/writer.h"
#include "storage/keyspace.h"
#include "storage/op.h"

namespace shoal::storage {

namespace internal {
struct ApplyCtx;
}  // namespace internal

struct StateMachineOptions {
  // proto-max-bulk-len: APPEND/SETRANGE/SETBIT may not grow a string past it.
  int64_t max_string_bytes = 512LL * 1024 * 1024;
};

// Runs a MULTI/EXEC transaction op (OpCode::kExec). The server implements
// it: a transaction's commands are whole commands (strings, collections,
// reads), which only the command layer knows how to run. Called on the
// applying thread; must be deterministic like any apply.
class ExecRunner {
 public:
  virtual ~ExecRunner() = default;
  // `proposer`: this node proposed the op and its client waits for the
  // reply (the leader's apply); followers apply with false.
  virtual void RunExec(const Op& op, resp::Writer& reply, bool proposer) = 0;
};

// Told about lists and sorted sets that applied writes left non-empty, so
// that clients blocked on them (BLPOP...) can be served.
class ReadyListener {
 public:
  virtual ~ReadyListener() = default;
  // Whether anybody waits at all (a cheap check before collecting keys).
  virtual bool Waiting() const = 0;
  // Called on the applying thread after the op that made them ready.
  virtual void OnReady(std::vector<std::string> keys) = 0;
};

class StateMachine {
 public:
  StateMachine(Keyspace* ks, StateMachineOptions options) : ks_(ks), options_(options) {}

  // Applies one op; writes its reply to `reply` when non-null (the node
  // that proposed it). A storage failure gives an "ERR storage error" reply
  // and changes nothing.
  void Apply(const Op& op, resp::Writer* reply);

  // Number of applied ops that changed data (INFO's changes counter).
  uint64_t changes() const { return changes_.load(std::memory_order_relaxed); }
  Keyspace* keyspace() { return ks_; }
  // Set once before any apply.
  void set_exec_runner(ExecRunner* r) { exec_runner_ = r; }
  void set_ready_listener(ReadyListener* l) { ready_listener_ = l; }
  ReadyListener* ready_listener() { return ready_listener_; }
  StateMachineOptions& options() { return options_; }

 private:
  void ApplyCommand(const Op& op, internal::ApplyCtx& c);

  Keyspace* ks_;
  StateMachineOptions options_;
  std::atomic<uint64_t> changes_{0};
  ExecRunner* exec_runner_ = nullptr;
  ReadyListener* ready_listener_ = nullptr;
};

}  // namespace shoal::storage
