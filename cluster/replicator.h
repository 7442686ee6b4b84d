// The propose → apply seam (DESIGN.md §2, §4). Command handlers turn a write
// into a storage::Op and propose it here; the replicator gets it applied in
// log order and the reply written. A later Raft-backed replicator replaces
// LocalReplicator without touching the command handlers.
#pragma once

#include "core/resp/writer.h"
#include "core/status.h"
#include "storage/op.h"
#include "storage/state_machine.h"

namespace shoal::cluster {

class Replicator {
 public:
  virtual ~Replicator() = default;
  // Proposes `op`. The reply to the client is written to `reply` once the
  // op's outcome is known. Thread-safe.
  virtual void Propose(const storage::Op& op, resp::Writer* reply) = 0;
  // Makes every write applied so far as durable as the fsync policy says.
  // Called once per batch of commands, before their replies are sent (the
  // group commit). Thread-safe.
  virtual Status Sync() = 0;
};

// Single node: the "log" is the local RocksDB WAL; an op is applied at once
// on the calling thread (the state machine takes the stripe locks).
class LocalReplicator final : public Replicator {
 public:
  explicit LocalReplicator(storage::StateMachine* sm) : sm_(sm) {}
  void Propose(const storage::Op& op, resp::Writer* reply) override { sm_->Apply(op, reply); }
  Status Sync() override { return sm_->keyspace()->FlushPending(); }

 private:
  storage::StateMachine* sm_;
};

}  // namespace shoal::cluster
