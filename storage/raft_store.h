// Persistence of a node's Raft groups in the node's RocksDB (CF raft), as
// opaque bytes: cluster/ encodes entries and hard state, this file only
// places them. Writes are staged into the keyspace's pending group, so one
// FlushPending writes log entries, hard states, applied data and applied
// indexes of every group in one atomic batch with one WAL flush (the group
// commit; "applied = i" always lands with the data of entry i).
//
// Keys (docs/storage-format.md, "Raft state"):
//   [1][group:4 BE][index:8 BE] -> log entry
//   [2][group:4 BE]             -> hard state
//   [3][group:4 BE]             -> applied index (8 bytes BE)
//   [4][group:4 BE]             -> snapshot metadata (index, term, members)
//   [5]                         -> cluster definition
//   [6][group:4 BE]             -> present while the group's applied data
//                                  awaits a resync from its leader (async)
// Thread-safety: staging is thread-safe; the cluster host calls it from
// its one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "storage/keyspace.h"

namespace shoal::storage {

// Record kinds of CF raft. On disk: never change the numbers.
enum class RaftRecord : uint8_t {
  kEntry = 1,
  kHardState = 2,
  kApplied = 3,
  kSnapshotMeta = 4,
  kClusterDefinition = 5,
  kResyncPending = 6,
};

class RaftStore {
 public:
  explicit RaftStore(Keyspace* ks) : ks_(ks) {}

  void StageEntry(uint32_t group, uint64_t index, std::string bytes);
  void StageDeleteEntry(uint32_t group, uint64_t index);
  void StageHardState(uint32_t group, std::string bytes);
  void StageApplied(uint32_t group, uint64_t index);
  void StageSnapshotMeta(uint32_t group, std::string bytes);
  // Marks (or clears) "this group's applied data is being replaced by its
  // leader's": a restart then resumes the resync instead of applying.
  void StageResyncPending(uint32_t group, bool pending);
  // Writes everything staged (and the keyspace's pending writes).
  Status Flush() { return ks_->FlushPending(); }

  struct GroupState {
    std::optional<std::string> hard_state;
    std::optional<std::string> snapshot_meta;
    uint64_t applied = 0;
    bool resync_pending = false;
    std::vector<std::pair<uint64_t, std::string>> entries;  // ascending index
  };
  Result<GroupState> Load(uint32_t group);
  // Drops log entries below `index` (compaction; they are in a snapshot).
  Status DeleteEntriesBefore(uint32_t group, uint64_t index);

  Result<std::optional<std::string>> GetClusterDefinition();
  Status PutClusterDefinition(const std::string& bytes);

 private:
  Keyspace* ks_;
};

}  // namespace shoal::storage
