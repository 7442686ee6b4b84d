#include "cluster/raft/log.h"

#include <algorithm>
#include <limits>

namespace shoal::raft {

RaftLog::RaftLog(const LogStorage* storage, uint64_t max_applying_bytes)
    : storage_(storage), max_applying_bytes_(max_applying_bytes) {
  Index first = storage->FirstIndex();
  unstable_offset_ = storage->LastIndex() + 1;
  committed_ = first - 1;
  applied_ = first - 1;
  applying_ = first - 1;
}

Index RaftLog::FirstIndex() const {
  if (unstable_snapshot_) return unstable_snapshot_->meta.index + 1;
  return storage_->FirstIndex();
}

Index RaftLog::LastIndex() const {
  if (!unstable_.empty()) return unstable_offset_ + unstable_.size() - 1;
  if (unstable_snapshot_) return unstable_snapshot_->meta.index;
  return storage_->LastIndex();
}

Term RaftLog::LastTerm() const { return TermOf(LastIndex()); }

Term RaftLog::TermOf(Index i) const {
  if (i + 1 < FirstIndex() || i > LastIndex()) return 0;
  if (i >= unstable_offset_ && !unstable_.empty()) return unstable_[i - unstable_offset_].term;
  if (unstable_snapshot_ && i == unstable_snapshot_->meta.index) {
    return unstable_snapshot_->meta.term;
  }
  auto t = storage_->TermAt(i);
  return t.ok() ? *t : 0;
}

bool RaftLog::MatchTerm(Index i, Term t) const {
  if (i + 1 < FirstIndex() || i > LastIndex()) return false;
  return TermOf(i) == t;
}

bool RaftLog::IsUpToDate(Index last_index, Term last_term) const {
  Term my_term = LastTerm();
  return last_term > my_term || (last_term == my_term && last_index >= LastIndex());
}

Index RaftLog::FindConflict(const std::vector<Entry>& entries) const {
  for (const auto& e : entries) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return 0;
}

Index RaftLog::FindConflictByTerm(Index index, Term term) const {
  Index i = std::min(index, LastIndex());
  Index floor = FirstIndex() - 1;
  while (i > floor) {
    Term t = TermOf(i);
    if (t <= term) return i;
    --i;
  }
  return i;
}

std::optional<Index> RaftLog::MaybeAppend(Index index, Term log_term, Index committed,
                                          const std::vector<Entry>& entries) {
  if (!MatchTerm(index, log_term)) return std::nullopt;
  Index last_new = index + entries.size();
  Index conflict = FindConflict(entries);
  if (conflict != 0) {
    // Entries at or below commit never conflict: Raft's log matching
    // guarantees a leader's committed prefix equals ours.
    CHECK(conflict > committed_);
    std::vector<Entry> suffix(entries.begin() + static_cast<std::ptrdiff_t>(conflict - index - 1),
                              entries.end());
    Append(suffix);
  }
  CommitTo(std::min(committed, last_new));
  return last_new;
}

Index RaftLog::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return LastIndex();
  CHECK(entries[0].index > committed_);
  TruncateAndAppend(entries);
  return LastIndex();
}

void RaftLog::TruncateAndAppend(const std::vector<Entry>& entries) {
  Index after = entries[0].index;
  if (after == unstable_offset_ + unstable_.size()) {
    unstable_.insert(unstable_.end(), entries.begin(), entries.end());
  } else if (after <= unstable_offset_) {
    // Replaces every unstable entry (and stable ones from `after` on, once
    // the application persists these).
    unstable_offset_ = after;
    unstable_ = entries;
  } else {
    unstable_.resize(after - unstable_offset_);
    unstable_.insert(unstable_.end(), entries.begin(), entries.end());
  }
}

Status RaftLog::Slice(Index lo, Index hi, uint64_t max_bytes, std::vector<Entry>* out) const {
  if (lo == hi) return Status::Ok();
  if (lo < FirstIndex()) return CompactedError();
  CHECK(hi <= LastIndex() + 1);
  if (lo < unstable_offset_) {
    Index stable_hi = std::min(hi, unstable_offset_);
    auto s = storage_->Entries(lo, stable_hi, max_bytes, out);
    if (!s.ok()) return s;
    // Stop if storage returned fewer entries than asked (size limit).
    if (out->size() < stable_hi - lo) return Status::Ok();
  }
  if (hi > unstable_offset_) {
    uint64_t size = 0;
    for (const auto& e : *out) size += EntrySize(e);
    for (Index i = std::max(lo, unstable_offset_); i < hi; ++i) {
      const Entry& e = unstable_[i - unstable_offset_];
      size += EntrySize(e);
      if (!out->empty() && size > max_bytes) break;
      out->push_back(e);
    }
  }
  return Status::Ok();
}

bool RaftLog::MaybeCommit(Index max_index, Term term) {
  // Only entries of the current term are committed by counting replicas
  // (Figure 8); earlier ones commit with them.
  if (max_index > committed_ && TermOf(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::CommitTo(Index i) {
  if (i <= committed_) return;
  CHECK(i <= LastIndex());
  committed_ = i;
}

void RaftLog::AppliedTo(Index i) {
  if (i == 0) return;
  CHECK(i <= committed_ && i >= applied_);
  applied_ = i;
  if (applying_ < i) applying_ = i;
}

std::vector<Entry> RaftLog::NextCommittedEntries() const {
  std::vector<Entry> out;
  Index lo = std::max(applying_ + 1, FirstIndex());
  Index hi = committed_ + 1;
  // Entries can only be applied once they are stable.
  hi = std::min(hi, unstable_offset_);
  if (lo < hi) {
    auto s = Slice(lo, hi, max_applying_bytes_, &out);
    CHECK(s.ok());
  }
  return out;
}

bool RaftLog::HasNextCommittedEntries() const {
  Index lo = std::max(applying_ + 1, FirstIndex());
  Index hi = std::min(committed_ + 1, unstable_offset_);
  return lo < hi && !unstable_snapshot_;
}

void RaftLog::StableTo(Index i, Term t) {
  if (i < unstable_offset_ || unstable_.empty()) return;
  if (i - unstable_offset_ >= unstable_.size()) return;
  // Only if the entry persisted is still the one we hold (not replaced).
  if (unstable_[i - unstable_offset_].term != t) return;
  size_t n = i - unstable_offset_ + 1;
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<std::ptrdiff_t>(n));
  unstable_offset_ = i + 1;
}

void RaftLog::StableSnapTo(Index i) {
  if (unstable_snapshot_ && unstable_snapshot_->meta.index == i) unstable_snapshot_.reset();
}

void RaftLog::Restore(const Snapshot& snap) {
  committed_ = snap.meta.index;
  unstable_offset_ = snap.meta.index + 1;
  unstable_.clear();
  unstable_snapshot_ = snap;
}

Snapshot RaftLog::CurrentSnapshot() const {
  if (unstable_snapshot_) return *unstable_snapshot_;
  return storage_->GetSnapshot();
}

}  // namespace shoal::raft
