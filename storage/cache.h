// The in-memory cache of hot keys in front of RocksDB (DESIGN.md §3).
//
// A CacheShard holds whole records (type, expire-at, value) of some keys,
// bounded in bytes, with a Redis-vocabulary eviction policy choosing which
// records leave first when it is full. Leaving the cache never loses data:
// every record is also in RocksDB. See docs/adr/002-cache-and-group-commit.md.
//
// Pending records: a write enters the cache at once, tagged with the
// generation of the group-commit batch that carries it to RocksDB. Until
// that generation is durable (CacheSettings::durable_gen) the entry is
// pinned: it cannot be evicted, because RocksDB does not have it yet.
// Deletions are cached as pinned tombstones for the same reason.
//
// Memory: one allocation per entry (header + key + value) on an intrusive
// hash chain; recency is an access counter in the entry and eviction
// samples entries (exactly in a small shard), as Redis's approximated LRU
// does, so the per-key overhead is close to Redis's.
//
// Not thread-safe: each shard is guarded by its owner's mutex (the keyspace
// stripe that holds it).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "storage/format.h"

namespace shoal::storage {

enum class EvictionPolicy : uint8_t {
  kNoEviction,
  kAllKeysLru,
  kAllKeysLfu,
  kAllKeysRandom,
  kVolatileLru,
  kVolatileLfu,
  kVolatileRandom,
  kVolatileTtl,
};

const char* EvictionPolicyName(EvictionPolicy p);
std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name);
inline bool IsLfu(EvictionPolicy p) {
  return p == EvictionPolicy::kAllKeysLfu || p == EvictionPolicy::kVolatileLfu;
}

// Settings shared by all shards; may change at run time (CONFIG SET).
struct CacheSettings {
  std::atomic<uint64_t> capacity_bytes_per_shard{0};  // 0 = unbounded
  std::atomic<EvictionPolicy> policy{EvictionPolicy::kAllKeysLru};
  std::atomic<int> lfu_log_factor{10};
  std::atomic<int> lfu_decay_time_min{1};
  std::atomic<uint64_t> evicted{0};  // entries evicted, all shards
  // Newest group-commit generation known to be in RocksDB.
  std::atomic<uint64_t> durable_gen{0};
};

class CacheShard {
 public:
  struct View {
    ValueType type;
    int64_t expire_at_ms;
    std::string_view value;  // valid until the shard is next modified
    bool tombstone;          // deleted, deletion not yet in RocksDB
  };

  explicit CacheShard(CacheSettings* settings);
  ~CacheShard();
  CacheShard(const CacheShard&) = delete;
  CacheShard& operator=(const CacheShard&) = delete;

  // Looks a key up and records the access (LRU position, LFU counter).
  std::optional<View> Get(std::string_view key, uint64_t hash, int64_t now_ms);
  // Looks a key up without recording an access.
  std::optional<View> Peek(std::string_view key, uint64_t hash) const;
  // Inserts or replaces a record, evicting others per policy if the shard
  // is over capacity. gen = 0: a clean record read from RocksDB; returns
  // false if it could not be kept (too big, or only pinned entries to
  // evict). gen > 0: a pending write of that generation; always kept (the
  // shard may overshoot its capacity by the pinned bytes).
  bool Put(std::string_view key, uint64_t hash, ValueType type, int64_t expire_at_ms,
           std::string_view value, int64_t now_ms, uint64_t gen = 0);
  // Records a pending deletion of generation gen.
  void PutTombstone(std::string_view key, uint64_t hash, int64_t now_ms, uint64_t gen);
  // Records that RocksDB has no such key, so the next read of it stays in
  // memory. Bounded: at most kMaxTombstones per shard, so reads of many
  // missing keys cannot grow the cache.
  void PutAbsent(std::string_view key, uint64_t hash, int64_t now_ms);
  static constexpr size_t kMaxTombstones = 1024;
  // Changes only the expire-at of a cached record (no-op if absent).
  void SetExpire(std::string_view key, uint64_t hash, int64_t expire_at_ms);
  void Erase(std::string_view key, uint64_t hash);
  void Clear();
  // Evicts until within capacity (after CONFIG SET maxmemory).
  void Shrink(int64_t now_ms);

  std::optional<uint64_t> IdleMs(std::string_view key, uint64_t hash, int64_t now_ms) const;
  std::optional<uint8_t> Frequency(std::string_view key, uint64_t hash, int64_t now_ms) const;

  size_t used_bytes() const { return used_bytes_; }
  size_t size() const { return count_; }

 private:
  struct Entry;
  Entry* Find(std::string_view key, uint64_t hash) const;
  void Unlink(Entry* e);
  void Touch(Entry* e, int64_t now_ms);
  Entry* PickVictim(int64_t now_ms);
  bool Pinned(const Entry* e) const;
  void MarkTombstone(Entry* e);
  bool MakeRoom(size_t need, int64_t now_ms);
  void Rehash(size_t buckets);
  uint8_t DecayedLfu(const Entry* e, int64_t now_ms) const;
  static size_t Charge(size_t key_len, size_t val_len);

  CacheSettings* settings_;
  std::vector<Entry*> buckets_;
  uint32_t access_clock_ = 0;  // counts accesses; orders entries for LRU
  size_t count_ = 0;
  size_t tombstones_ = 0;  // entries with tombstone set
  size_t used_bytes_ = 0;
  uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace shoal::storage
