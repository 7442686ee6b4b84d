// The storage seam of the Raft core: a read-only view of what is on stable
// storage (log entries, hard state, latest snapshot). The core never writes
// it: it hands entries and hard state to persist out in a Ready, and the
// application writes them (and then tells the core with Advance).
//
// MemoryStorage is the in-memory implementation used by tests and the
// simulator; the RocksDB-backed store comes with the cluster issue.
#pragma once

#include <cstdint>
#include <vector>

#include "cluster/raft/types.h"
#include "core/status.h"

namespace shoal::raft {

// Entries below FirstIndex() are compacted away: Entries/TermAt report
// that with IsCompacted(status).
inline Status CompactedError() { return Status::NotFound("raft: log compacted"); }
inline bool IsCompacted(const Status& s) { return s.code() == Status::Code::kNotFound; }
inline Status UnavailableError() { return Status::Unavailable("raft: entry unavailable"); }

class LogStorage {
 public:
  virtual ~LogStorage() = default;
  virtual HardState InitialHardState() const = 0;
  virtual ConfState InitialConfState() const = 0;
  // Entries [lo, hi), as many as fit in max_bytes but at least one.
  virtual Status Entries(Index lo, Index hi, uint64_t max_bytes, std::vector<Entry>* out) const = 0;
  // Term of entry i, for i in [FirstIndex()-1, LastIndex()].
  virtual Result<Term> TermAt(Index i) const = 0;
  virtual Index FirstIndex() const = 0;
  virtual Index LastIndex() const = 0;
  virtual Snapshot GetSnapshot() const = 0;
};

// Not thread-safe: owned by the test or simulated node that drives the core.
class MemoryStorage final : public LogStorage {
 public:
  MemoryStorage();

  HardState InitialHardState() const override { return hard_state_; }
  ConfState InitialConfState() const override { return snapshot_.meta.conf; }
  Status Entries(Index lo, Index hi, uint64_t max_bytes, std::vector<Entry>* out) const override;
  Result<Term> TermAt(Index i) const override;
  Index FirstIndex() const override { return entries_[0].index + 1; }
  Index LastIndex() const override { return entries_[0].index + entries_.size() - 1; }
  Snapshot GetSnapshot() const override { return snapshot_; }

  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  // Bootstraps membership (before any entry exists).
  void SetConfState(const ConfState& cs) { snapshot_.meta.conf = cs; }
  // Appends, replacing any suffix that conflicts with `entries`.
  void Append(const std::vector<Entry>& entries);
  // Replaces the whole log with a snapshot.
  Status ApplySnapshot(const Snapshot& snap);
  // Records a snapshot of the state machine at index i (<= last index).
  Status CreateSnapshot(Index i, const ConfState& cs, std::string data);
  // Drops entries before `compact_index` (they must be in a snapshot).
  Status Compact(Index compact_index);

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  // entries_[0] is a dummy holding the index and term of the snapshot.
  std::vector<Entry> entries_;
};

}  // namespace shoal::raft
