#include "storage/raft_store.h"

#include "core/coding.h"

namespace shoal::storage {
namespace {

std::string GroupKey(RaftRecord kind, uint32_t group) {
  std::string k;
  k.push_back(static_cast<char>(kind));
  for (int shift = 24; shift >= 0; shift -= 8) k.push_back(static_cast<char>(group >> shift));
  return k;
}

std::string EntryKey(uint32_t group, uint64_t index) {
  std::string k = GroupKey(RaftRecord::kEntry, group);
  PutFixed64BE(&k, index);
  return k;
}

}  // namespace

void RaftStore::StageEntry(uint32_t group, uint64_t index, std::string bytes) {
  ks_->StageRaw(Cf::kRaft, EntryKey(group, index), std::move(bytes));
}

void RaftStore::StageDeleteEntry(uint32_t group, uint64_t index) {
  ks_->StageRaw(Cf::kRaft, EntryKey(group, index), std::nullopt);
}

void RaftStore::StageHardState(uint32_t group, std::string bytes) {
  ks_->StageRaw(Cf::kRaft, GroupKey(RaftRecord::kHardState, group), std::move(bytes));
}

void RaftStore::StageApplied(uint32_t group, uint64_t index) {
  std::string v;
  PutFixed64BE(&v, index);
  ks_->StageRaw(Cf::kRaft, GroupKey(RaftRecord::kApplied, group), std::move(v));
}

void RaftStore::StageSnapshotMeta(uint32_t group, std::string bytes) {
  ks_->StageRaw(Cf::kRaft, GroupKey(RaftRecord::kSnapshotMeta, group), std::move(bytes));
}

void RaftStore::StageResyncPending(uint32_t group, bool pending) {
  ks_->StageRaw(Cf::kRaft, GroupKey(RaftRecord::kResyncPending, group),
                pending ? std::optional<std::string>(std::string()) : std::nullopt);
}

Result<RaftStore::GroupState> RaftStore::Load(uint32_t group) {
  GroupState st;
  Engine* e = ks_->engine();
  std::string v;
  auto s = e->Get(Cf::kRaft, GroupKey(RaftRecord::kHardState, group), &v);
  if (s.ok()) {
    st.hard_state = v;
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  s = e->Get(Cf::kRaft, GroupKey(RaftRecord::kSnapshotMeta, group), &v);
  if (s.ok()) {
    st.snapshot_meta = v;
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  s = e->Get(Cf::kRaft, GroupKey(RaftRecord::kApplied, group), &v);
  if (s.ok()) {
    if (v.size() != 8) return Status::Corruption("bad applied index record");
    st.applied = DecodeFixed64BE(v.data());
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  s = e->Get(Cf::kRaft, GroupKey(RaftRecord::kResyncPending, group), &v);
  if (s.ok()) {
    st.resync_pending = true;
  } else if (s.code() != Status::Code::kNotFound) {
    return s;
  }
  std::string prefix = GroupKey(RaftRecord::kEntry, group);
  auto it = e->NewIterator(Cf::kRaft);
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto k = it->key();
    if (k.size() != prefix.size() + 8 || !k.starts_with(prefix)) break;
    st.entries.emplace_back(DecodeFixed64BE(k.data() + prefix.size()), it->value().ToString());
  }
  if (!it->status().ok()) return Status::IoError(it->status().ToString());
  return st;
}

Status RaftStore::DeleteEntriesBefore(uint32_t group, uint64_t index) {
  return ks_->engine()->DeleteRange(Cf::kRaft, EntryKey(group, 0), EntryKey(group, index));
}

Result<std::optional<std::string>> RaftStore::GetClusterDefinition() {
  std::string v;
  std::string k(1, static_cast<char>(RaftRecord::kClusterDefinition));
  auto s = ks_->engine()->Get(Cf::kRaft, k, &v);
  if (s.code() == Status::Code::kNotFound) return std::optional<std::string>();
  if (!s.ok()) return s;
  return std::optional<std::string>(std::move(v));
}

Status RaftStore::PutClusterDefinition(const std::string& bytes) {
  ks_->StageRaw(Cf::kRaft, std::string(1, static_cast<char>(RaftRecord::kClusterDefinition)),
                bytes);
  return ks_->FlushPending();
}

}  // namespace shoal::storage
