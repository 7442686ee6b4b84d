// The durable Raft log of one group on this node: the entries since the
// last compaction kept in memory (raft::MemoryStorage serves the core's
// reads) and written through storage::RaftStore, which shares the node's
// RocksDB and its group commit with every other group. Encodings of
// entries, hard state and snapshot metadata: docs/storage-format.md.
//
// Recovery: RocksDB's WAL replay stops at a torn or corrupt tail (point-in-
// time recovery), so a crash loses only whole unacknowledged batches; on
// load the entries must follow the snapshot without gaps and decode, and
// the first one that does not ends the log (it and all later ones are
// dropped, with a warning). The leader sends them again.
//
// Owned by the cluster host's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cluster/raft/storage.h"
#include "cluster/raft/types.h"
#include "core/status.h"
#include "storage/raft_store.h"

namespace shoal::cluster {

std::string EncodeEntry(const raft::Entry& e);
bool DecodeEntry(std::string_view in, raft::Entry* e);
std::string EncodeHardState(const raft::HardState& hs);
bool DecodeHardState(std::string_view in, raft::HardState* hs);
std::string EncodeSnapshotMeta(const raft::SnapshotMeta& m);
bool DecodeSnapshotMeta(std::string_view in, raft::SnapshotMeta* m);

class GroupLog {
 public:
  GroupLog(uint32_t group, storage::RaftStore* store) : group_(group), store_(store) {}

  // Loads the group's state; a group seen for the first time starts with
  // `initial` as its members. Returns the applied index to resume from.
  Result<raft::Index> Load(const raft::ConfState& initial);

  // Stages new entries (replacing a conflicting suffix) and the hard state
  // for the next flush, and makes them visible to the core's reads.
  void Append(const std::vector<raft::Entry>& entries);
  void SetHardState(const raft::HardState& hs);
  // Installs a received snapshot's metadata: the log restarts after it.
  Status ApplySnapshot(const raft::SnapshotMeta& meta);
  // Compacts entries up to `index` (applied) into a snapshot point; the
  // snapshot's data is produced on demand when a follower needs it.
  Status Compact(raft::Index index, const raft::ConfState& conf);
  // Whether a resync from the leader was pending when the group was loaded
  // (async replication: the applied data diverged from the leader's).
  bool resync_pending_at_load() const { return resync_pending_at_load_; }
  void StageResyncPending(bool pending) { store_->StageResyncPending(group_, pending); }
  // RocksDB deletions that may lag the in-memory view (after a flush).
  Status DropCompacted();

  const raft::MemoryStorage& storage() const { return mem_; }
  uint64_t entries_in_memory() const { return mem_.LastIndex() + 1 - mem_.FirstIndex(); }

 private:
  uint32_t group_;
  storage::RaftStore* store_;
  raft::MemoryStorage mem_;
  raft::Index persisted_last_ = 0;  // last index written to RocksDB
  raft::Index drop_below_ = 0;      // RocksDB entries below this are garbage
  raft::Index dropped_below_ = 0;
  bool resync_pending_at_load_ = false;
};

}  // namespace shoal::cluster
