// Applies replicated operations (storage/op.h) to the keyspace, in log
// order, and writes each operation's reply. Deterministic: the same ops in
// the same order give the same state and replies on every replica.
// Thread-safe: each apply takes the stripe locks of the keys it touches.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/resp/writer.h"
#include "storage/keyspace.h"
#include "storage/op.h"

namespace shoal::storage {

struct StateMachineOptions {
  // proto-max-bulk-len: APPEND/SETRANGE/SETBIT may not grow a string past it.
  int64_t max_string_bytes = 512LL * 1024 * 1024;
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
  StateMachineOptions& options() { return options_; }

 private:
  Keyspace* ks_;
  StateMachineOptions options_;
  std::atomic<uint64_t> changes_{0};
};

}  // namespace shoal::storage
