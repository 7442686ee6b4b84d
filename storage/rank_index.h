// In-memory order statistics for big sorted sets: the rank of a score-index
// entry, and the entry at a rank, in O(log n) instead of a walk over the
// score index (ZRANK, ZRANGE by rank, ZREMRANGEBYRANK...).
//
// A cache, not data: each node builds an index on demand from a zset's
// committed members (big zsets only), WriteTxn::Commit keeps it in step
// with every member write, and indexes beyond a total entry budget are
// dropped least recently used first. Never replicated, never persisted.
//
// Thread-safety: every method takes the one mutex. Callers also hold the
// zset's stripe lock, so an index and its zset change together.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace shoal::storage {

class RankIndexes {
 public:
  // Below this many members a walk is cheap enough: no index.
  static constexpr uint64_t kMinMembers = 4096;
  // All indexes together hold at most this many entries (~80 bytes each).
  static constexpr uint64_t kMaxEntries = 4'000'000;

  RankIndexes();
  ~RankIndexes();

  // `prefix`: the zset's score-index prefix (storage/coll.h SubPrefix with
  // kTagScore); entries are what follows it ([score:8 sortable][member]).
  // Makes sure an index exists for a zset of `count` members, building it
  // with `scan` (which calls its argument once per entry, in order; false
  // when the scan failed). False when no index is kept for it.
  bool Ensure(const std::string& prefix, uint64_t count,
              const std::function<bool(const std::function<void(std::string_view)>&)>& scan);
  // Number of entries before `entry`; nullopt without an index.
  std::optional<uint64_t> Rank(const std::string& prefix, std::string_view entry);
  // The entry at `rank` (0-based); nullopt without an index or past the end.
  std::optional<std::string> At(const std::string& prefix, uint64_t rank);

  // A member write of CF sub committed (key without the CF byte): updates
  // the index of its zset, if any. Cheap when there is none.
  void OnSubWrite(std::string_view key, bool put);
  // The zset's members went away with its version (DEL, overwrite, expiry).
  void Drop(std::string_view prefix);
  bool active() const { return active_.load(std::memory_order_relaxed); }
  // Drops every index (FLUSHALL, snapshot install).
  void Clear();

 private:
  struct Index;
  void EvictFor(uint64_t incoming);  // mu_ held
  // Freeing a million-node tree takes tens of milliseconds: dropped indexes
  // are destroyed by a background thread, not on the apply path.
  void Retire(std::unique_ptr<Index> idx);  // mu_ held
  void ReaperLoop();
  std::mutex mu_;
  std::condition_variable reaper_cv_;
  std::vector<std::unique_ptr<Index>> retired_;  // guarded by mu_
  bool stopping_ = false;                        // guarded by mu_
  std::thread reaper_;
  std::map<std::string, std::unique_ptr<Index>, std::less<>> indexes_;  // guarded by mu_
  uint64_t entries_ = 0;                                                // guarded by mu_
  uint64_t tick_ = 0;                                                   // guarded by mu_
  std::atomic<bool> active_{false};  // any index at all (written under mu_)
};

}  // namespace shoal::storage
