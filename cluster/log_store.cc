#include "cluster/log_store.h"

#include <spdlog/spdlog.h>

#include "core/coding.h"

namespace shoal::cluster {
namespace {

constexpr uint8_t kEntryFormatV1 = 1;
constexpr uint8_t kHardStateFormatV1 = 1;
constexpr uint8_t kSnapshotMetaFormatV1 = 1;

bool GetU64(std::string_view* in, uint64_t* v) {
  auto r = GetVarint64(in);
  if (!r) return false;
  *v = *r;
  return true;
}

void PutIds(std::string* out, const std::vector<raft::NodeId>& ids) {
  PutVarint64(out, ids.size());
  for (auto id : ids) PutVarint64(out, id);
}

bool GetIds(std::string_view* in, std::vector<raft::NodeId>* ids) {
  uint64_t n = 0;
  if (!GetU64(in, &n) || n > 1024) return false;
  ids->resize(n);
  for (auto& id : *ids) {
    if (!GetU64(in, &id)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeEntry(const raft::Entry& e) {
  std::string out;
  out.reserve(e.data.size() + 24);
  out.push_back(static_cast<char>(kEntryFormatV1));
  out.push_back(static_cast<char>(e.type));
  PutVarint64(&out, e.term);
  PutVarint64(&out, e.index);
  out.append(e.data);
  return out;
}

bool DecodeEntry(std::string_view in, raft::Entry* e) {
  if (in.size() < 2 || static_cast<uint8_t>(in[0]) != kEntryFormatV1) return false;
  auto type = static_cast<uint8_t>(in[1]);
  if (type > static_cast<uint8_t>(raft::EntryType::kConfChange)) return false;
  e->type = static_cast<raft::EntryType>(type);
  in.remove_prefix(2);
  if (!GetU64(&in, &e->term) || !GetU64(&in, &e->index)) return false;
  e->data.assign(in);
  return true;
}

std::string EncodeHardState(const raft::HardState& hs) {
  std::string out(1, static_cast<char>(kHardStateFormatV1));
  PutVarint64(&out, hs.term);
  PutVarint64(&out, hs.vote);
  PutVarint64(&out, hs.commit);
  return out;
}

bool DecodeHardState(std::string_view in, raft::HardState* hs) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kHardStateFormatV1) return false;
  in.remove_prefix(1);
  return GetU64(&in, &hs->term) && GetU64(&in, &hs->vote) && GetU64(&in, &hs->commit) && in.empty();
}

std::string EncodeSnapshotMeta(const raft::SnapshotMeta& m) {
  std::string out(1, static_cast<char>(kSnapshotMetaFormatV1));
  PutVarint64(&out, m.index);
  PutVarint64(&out, m.term);
  PutIds(&out, m.conf.voters);
  PutIds(&out, m.conf.learners);
  return out;
}

bool DecodeSnapshotMeta(std::string_view in, raft::SnapshotMeta* m) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kSnapshotMetaFormatV1) return false;
  in.remove_prefix(1);
  return GetU64(&in, &m->index) && GetU64(&in, &m->term) && GetIds(&in, &m->conf.voters) &&
         GetIds(&in, &m->conf.learners) && in.empty();
}

Result<raft::Index> GroupLog::Load(const raft::ConfState& initial) {
  auto st = store_->Load(group_);
  if (!st.ok()) return st.status();
  raft::SnapshotMeta meta;
  if (st->snapshot_meta) {
    if (!DecodeSnapshotMeta(*st->snapshot_meta, &meta)) {
      return Status::Corruption("group " + std::to_string(group_) + ": bad snapshot metadata");
    }
  } else {
    meta.conf = initial;
  }
  if (meta.index > 0) {
    raft::Snapshot snap;
    snap.meta = meta;
    auto s = mem_.ApplySnapshot(snap);
    if (!s.ok()) return s;
  } else {
    mem_.SetConfState(meta.conf);
  }
  if (st->hard_state) {
    raft::HardState hs;
    if (!DecodeHardState(*st->hard_state, &hs)) {
      return Status::Corruption("group " + std::to_string(group_) + ": bad hard state");
    }
    mem_.SetHardState(hs);
  }
  std::vector<raft::Entry> entries;
  raft::Index next = meta.index + 1;
  size_t dropped = 0;
  for (auto& [index, bytes] : st->entries) {
    if (index < next) continue;  // compacted; deletion did not land before a crash
    raft::Entry e;
    if (index != next || !DecodeEntry(bytes, &e) || e.index != index) {
      dropped = st->entries.size() - entries.size();
      spdlog::warn("group {}: log ends at a gap or bad entry at index {}; dropping the tail",
                   group_, index);
      break;
    }
    entries.push_back(std::move(e));
    ++next;
  }
  (void)dropped;
  persisted_last_ = next - 1;
  resync_pending_at_load_ = st->resync_pending;
  mem_.Append(entries);
  drop_below_ = meta.index + 1;
  // Never resume below the snapshot (an installed snapshot is applied).
  return std::max(st->applied, meta.index);
}

void GroupLog::Append(const std::vector<raft::Entry>& entries) {
  if (entries.empty()) return;
  for (const auto& e : entries) store_->StageEntry(group_, e.index, EncodeEntry(e));
  // A shorter replacement leaves stale entries after it: delete them.
  raft::Index last = entries.back().index;
  for (raft::Index i = last + 1; i <= persisted_last_; ++i) store_->StageDeleteEntry(group_, i);
  persisted_last_ = last;
  mem_.Append(entries);
}

void GroupLog::SetHardState(const raft::HardState& hs) {
  store_->StageHardState(group_, EncodeHardState(hs));
  mem_.SetHardState(hs);
}

Status GroupLog::ApplySnapshot(const raft::SnapshotMeta& meta) {
  raft::Snapshot snap;
  snap.meta = meta;
  auto s = mem_.ApplySnapshot(snap);
  if (!s.ok()) return s;
  store_->StageSnapshotMeta(group_, EncodeSnapshotMeta(meta));
  store_->StageApplied(group_, meta.index);
  for (raft::Index i = meta.index + 1; i <= persisted_last_; ++i) {
    store_->StageDeleteEntry(group_, i);
  }
  persisted_last_ = meta.index;
  drop_below_ = meta.index + 1;
  return Status::Ok();
}

Status GroupLog::Compact(raft::Index index, const raft::ConfState& conf) {
  auto s = mem_.CreateSnapshot(index, conf, {});
  if (!s.ok()) return s;
  s = mem_.Compact(index);
  if (!s.ok()) return s;
  store_->StageSnapshotMeta(group_, EncodeSnapshotMeta(mem_.GetSnapshot().meta));
  drop_below_ = index + 1;
  return Status::Ok();
}

Status GroupLog::DropCompacted() {
  if (drop_below_ <= dropped_below_) return Status::Ok();
  auto s = store_->DeleteEntriesBefore(group_, drop_below_);
  if (s.ok()) dropped_below_ = drop_below_;
  return s;
}

}  // namespace shoal::cluster
