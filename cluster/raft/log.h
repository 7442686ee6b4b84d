// The Raft log as the core sees it: stable entries (LogStorage) followed by
// unstable ones (appended but not yet persisted), plus the commit and apply
// positions. Owned by one Raft instance; not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "cluster/raft/storage.h"
#include "cluster/raft/types.h"

namespace shoal::raft {

class RaftLog {
 public:
  RaftLog(const LogStorage* storage, uint64_t max_applying_bytes);

  Index FirstIndex() const;
  Index LastIndex() const;
  Term LastTerm() const;
  // Term of entry i; 0 if i is beyond the log or before its first index - 1
  // (unknown, i.e. compacted away).
  Term TermOf(Index i) const;
  bool MatchTerm(Index i, Term t) const;
  // Raft's "at least as up-to-date" (§5.4.1).
  bool IsUpToDate(Index last_index, Term last_term) const;

  // Follower append (§5.3): if the entry at `index` has `log_term`, appends
  // `entries` (truncating a conflicting suffix), commits up to
  // min(committed, last new index) and returns the last new index.
  std::optional<Index> MaybeAppend(Index index, Term log_term, Index committed,
                                   const std::vector<Entry>& entries);
  // Leader append of new entries; returns the new last index.
  Index Append(const std::vector<Entry>& entries);
  // Index of the first entry of `entries` whose term differs from ours, or 0.
  Index FindConflict(const std::vector<Entry>& entries) const;
  // The largest index <= `index` whose term is <= `term` (fast back-off).
  Index FindConflictByTerm(Index index, Term term) const;

  // Entries [lo, hi) within max_bytes (at least one). Empty if lo == hi.
  Status Slice(Index lo, Index hi, uint64_t max_bytes, std::vector<Entry>* out) const;

  bool MaybeCommit(Index max_index, Term term);
  void CommitTo(Index i);
  void AppliedTo(Index i);
  Index committed() const { return committed_; }
  Index applied() const { return applied_; }

  // Unstable part, for Ready.
  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  // Committed entries not yet handed out for apply, within the byte limit.
  std::vector<Entry> NextCommittedEntries() const;
  bool HasNextCommittedEntries() const;
  // The application persisted entries up to (i, t) / the snapshot at i.
  void StableTo(Index i, Term t);
  void StableSnapTo(Index i);
  // Entries up to `i` were handed to the application to apply.
  void ApplyingTo(Index i) { applying_ = i; }
  Index applying() const { return applying_; }

  // Replaces the log with a snapshot (follower install).
  void Restore(const Snapshot& snap);
  Snapshot CurrentSnapshot() const;

 private:
  Index UnstableOffset() const { return unstable_offset_; }
  void TruncateAndAppend(const std::vector<Entry>& entries);

  const LogStorage* storage_;
  std::optional<Snapshot> unstable_snapshot_;
  std::vector<Entry> unstable_;
  Index unstable_offset_;  // index of unstable_[0]
  Index committed_ = 0;
  Index applied_ = 0;
  Index applying_ = 0;  // handed out for apply, maybe not applied yet
  uint64_t max_applying_bytes_;
};

}  // namespace shoal::raft
