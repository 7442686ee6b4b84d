#include "cluster/raft/storage.h"

namespace shoal::raft {

MemoryStorage::MemoryStorage() : entries_(1) {}

Status MemoryStorage::Entries(Index lo, Index hi, uint64_t max_bytes,
                              std::vector<Entry>* out) const {
  Index offset = entries_[0].index;
  if (lo <= offset) return CompactedError();
  CHECK(hi <= LastIndex() + 1);
  uint64_t size = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - offset];
    size += EntrySize(e);
    if (!out->empty() && size > max_bytes) break;
    out->push_back(e);
  }
  return Status::Ok();
}

Result<Term> MemoryStorage::TermAt(Index i) const {
  Index offset = entries_[0].index;
  if (i < offset) return CompactedError();
  if (i - offset >= entries_.size()) return UnavailableError();
  return entries_[i - offset].term;
}

void MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return;
  Index first = FirstIndex();
  Index last = entries.back().index;
  if (last < first) return;  // all compacted already
  size_t skip = entries[0].index < first ? first - entries[0].index : 0;
  Index start = entries[skip].index;
  CHECK(start <= LastIndex() + 1);  // no gaps
  entries_.resize(start - entries_[0].index);
  entries_.insert(entries_.end(), entries.begin() + static_cast<std::ptrdiff_t>(skip),
                  entries.end());
}

Status MemoryStorage::ApplySnapshot(const Snapshot& snap) {
  if (snap.meta.index <= snapshot_.meta.index) {
    return Status::InvalidArgument("raft: snapshot out of date");
  }
  snapshot_ = snap;
  entries_.assign(1, Entry{snap.meta.term, snap.meta.index, EntryType::kNormal, {}});
  return Status::Ok();
}

Status MemoryStorage::CreateSnapshot(Index i, const ConfState& cs, std::string data) {
  if (i <= snapshot_.meta.index) return Status::InvalidArgument("raft: snapshot out of date");
  CHECK(i <= LastIndex());
  snapshot_.meta.index = i;
  snapshot_.meta.term = entries_[i - entries_[0].index].term;
  snapshot_.meta.conf = cs;
  snapshot_.data = std::move(data);
  return Status::Ok();
}

Status MemoryStorage::Compact(Index compact_index) {
  Index offset = entries_[0].index;
  if (compact_index <= offset) return CompactedError();
  CHECK(compact_index <= LastIndex());
  size_t i = compact_index - offset;
  Entry dummy{entries_[i].term, entries_[i].index, EntryType::kNormal, {}};
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i));
  entries_[0] = std::move(dummy);
  return Status::Ok();
}

}  // namespace shoal::raft
