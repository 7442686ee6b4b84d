// The keyspace of a node: records in RocksDB (CF meta + expire index) with
// the cache in front, split into lock stripes by hash slot.
//
// Thread-safety: a key's record may be read or written only while holding
// the lock of its stripe (LockKeys/LockAll); the stripe's mutex guards its
// cache shard. Different stripes proceed in parallel. Engine calls are
// thread-safe on their own. See docs/adr/001-striped-keyspace.md.
//
// Group commit (docs/adr/002-cache-and-group-commit.md): a committed
// WriteTxn is visible at once (through the cache) and appended, in apply
// order, to one pending RocksDB batch. FlushPending() writes that batch and
// the WAL in one go; callers flush before acknowledging the writes. Lock
// order: stripe locks, then flush_mu_, then pending_mu_.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "storage/cache.h"
#include "storage/engine.h"
#include "storage/format.h"
#include "storage/rank_index.h"

namespace shoal::storage {

struct KeyspaceOptions {
  EngineOptions engine;
  uint64_t maxmemory_bytes = 0;  // cache bound; 0 = unbounded
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
};

// A key with its routing facts, computed once.
struct KeyRef {
  std::string_view key;
  uint16_t slot;
  uint64_t hash;
  uint32_t stripe;
};

// A record as read: a view into the cache or into caller-provided scratch.
struct Record {
  ValueType type;
  int64_t expire_at_ms;
  std::string_view value;
  bool expired(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

class Keyspace {
 public:
  static constexpr uint32_t kStripes = 64;

  static Result<std::unique_ptr<Keyspace>> Open(const KeyspaceOptions& options);
  ~Keyspace();

  static KeyRef Ref(std::string_view key);

  // Holds the locks of a set of stripes (a bit per stripe), taken in
  // stripe order, released on destruction. No allocation.
  class Lock {
   public:
    Lock() = default;
    Lock(Lock&& o) noexcept : ks_(o.ks_), mask_(o.mask_) { o.mask_ = 0; }
    Lock& operator=(Lock&&) = delete;
    Lock(const Lock&) = delete;
    ~Lock();

   private:
    friend class Keyspace;
    Keyspace* ks_ = nullptr;
    uint64_t mask_ = 0;
  };
  static_assert(kStripes == 64, "Lock keeps one bit per stripe");
  Lock LockKeys(std::span<const KeyRef> keys);
  Lock LockKey(const KeyRef& key) { return LockKeys(std::span<const KeyRef>(&key, 1)); }
  Lock LockAll();

  // Reads a key's record, expired or not (callers decide; see
  // Record::expired). nullopt when the key does not exist. `scratch` backs
  // the value when it came from disk. touch=false reads without counting
  // as an access (OBJECT, TYPE-like introspection still counts in Redis,
  // so only internal reads pass false). Caller holds the stripe lock.
  Result<std::optional<Record>> Read(const KeyRef& key, int64_t now_ms, std::string* scratch,
                                     bool touch = true);

  // Reports a key seen expired by a read, so the expiry task can delete it
  // through the log. Bounded; extra reports are dropped (the active cycle
  // finds those keys anyway). Thread-safe.
  void NoteExpired(std::string_view key);
  std::vector<std::string> TakeNotedExpired();
  // Up to `max` keys whose expire-at is <= now_ms, oldest first, among
  // the slots `want_slot` accepts (all when null); looks at no more than
  // max * kExpireScanFactor index entries.
  static constexpr size_t kExpireScanFactor = 16;
  Result<std::vector<std::string>> CollectExpired(
      int64_t now_ms, size_t max, const std::function<bool(uint16_t)>& want_slot = nullptr);

  // Cache introspection for OBJECT FREQ / IDLETIME. Caller holds the lock.
  std::optional<uint64_t> IdleMs(const KeyRef& key, int64_t now_ms);
  std::optional<uint8_t> Frequency(const KeyRef& key, int64_t now_ms);

  Engine* engine() { return engine_.get(); }
  CacheSettings* cache_settings() { return &cache_settings_; }
  // Changes the cache bound; evicts down to it.
  void SetMaxMemory(uint64_t bytes, int64_t now_ms);
  uint64_t maxmemory() const { return maxmemory_.load(); }

  int64_t key_count() const { return key_count_.load(std::memory_order_relaxed); }
  int64_t keys_with_expiry() const { return expires_count_.load(std::memory_order_relaxed); }
  uint64_t cache_bytes();
  uint64_t cache_entries();
  uint64_t cache_hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t cache_misses() const { return misses_.load(std::memory_order_relaxed); }
  uint64_t keyspace_hits() const { return ks_hits_.load(std::memory_order_relaxed); }
  uint64_t keyspace_misses() const { return ks_misses_.load(std::memory_order_relaxed); }
  void CountLookup(bool hit) {
    (hit ? ks_hits_ : ks_misses_).fetch_add(1, std::memory_order_relaxed);
  }
  void ResetStats();

  // Drops all cached records (FLUSHALL). Caller holds LockAll.
  void ClearCache();
  // True while the cache holds every record that exists (unbounded cache,
  // loaded at open, nothing evicted since): a miss is then an answer.
  bool Complete() const;

  // Makes every write committed by the calling thread durable per the
  // fsync policy (the group commit). Cheap when another thread's flush
  // already carried them. Thread-safe.
  Status FlushPending();
  // Adds a raw record change (Raft log entries, hard state, applied index)
  // to the pending group: it lands in the same atomic RocksDB batch as the
  // writes committed before this thread's next FlushPending. nullopt
  // deletes. Thread-safe.
  void StageRaw(Cf cf, std::string key, std::optional<std::string> value);

  // Slot ranges, [first, last] inclusive: the slots of one shard.
  using SlotRanges = std::vector<std::pair<uint16_t, uint16_t>>;
  // The body of a shard snapshot: every record of the slots in `ranges`,
  // as of the writes committed so far (they are flushed first).
  // Format: ([tag:1][len:varint][key][len:varint][value])*, tag 1 = meta record,
  // 2 = a collection member (docs/storage-format.md).
  Result<std::string> ExportSlots(const SlotRanges& ranges);
  // Replaces every record of those slots by the snapshot's records (an
  // empty `data` deletes them all) in the pending group: the caller's next
  // FlushPending makes it durable, atomically with whatever the caller
  // staged meanwhile. Takes every stripe lock.
  Status ImportSlots(const SlotRanges& ranges, std::string_view data, int64_t now_ms);

  // Keeps group flushes out while held (a transaction's writes then
  // become durable together). Lock order: stripe locks, then this.
  std::unique_lock<std::mutex> HoldFlush() { return std::unique_lock<std::mutex>(flush_mu_); }

  // True after a failed flush: the keyspace refuses writes until restart.
  bool write_failed() const { return write_failed_.load(); }

  // ---- collection members (CF sub), storage/coll.h ----
  // A new collection version: unique on this node with overwhelming
  // probability (64 random bits), so a recreated key never sees the old
  // incarnation's sub-records, which wait for the compaction filter.
  uint64_t NewVersion();
  // Point read of a sub-record, committed-but-unflushed writes included.
  Result<std::optional<std::string>> GetSub(std::string_view key);
  // Iterates sub-records in [lo, hi), merging the pending writes over
  // RocksDB. Caller holds the stripe lock of the collection's key.
  class SubIterator {
   public:
    SubIterator(Keyspace* ks, std::string lo, std::string hi, bool reverse);
    bool Valid() const { return valid_; }
    std::string_view key() const { return key_; }
    std::string_view value() const { return value_; }
    void Next();
    // Forward: first key >= target; reverse: last key <= target.
    void Seek(std::string_view target);
    Status status() const;

   private:
    void Settle();
    std::string lo_, hi_;
    bool reverse_;
    rocksdb::Slice lo_slice_, hi_slice_;
    std::unique_ptr<rocksdb::Iterator> it_;
    // The overlaid writes in [lo, hi), in key order (nullopt: deleted).
    std::vector<std::pair<std::string, std::optional<std::string>>> overlay_;
    size_t pos_ = 0;  // next overlay entry in the iteration direction
    bool valid_ = false;
    std::string_view key_, value_;
    bool from_overlay_ = false;
  };
  // A digest of a key's state for WATCH: equal digests mean (with hash
  // certainty) no write changed the key in between. Deterministic across
  // replicas (collection versions are left out; their write counter is in).
  // 0 for an absent or expired key. Caller holds the stripe lock.
  uint64_t Digest(const KeyRef& key, int64_t now_ms);
  // Rank indexes of big sorted sets (storage/rank_index.h).
  RankIndexes& rank_indexes() { return rank_; }

 private:
  friend class WriteTxn;
  Keyspace() = default;
  Status CountKeys();

  struct Stripe {
    std::mutex mu;
    std::unique_ptr<CacheShard> cache;  // guarded by mu
  };

  std::unique_ptr<Engine> engine_;
  CacheSettings cache_settings_;
  Stripe stripes_[kStripes];
  std::atomic<uint64_t> maxmemory_{0};
  std::atomic<int64_t> key_count_{0};
  std::atomic<int64_t> expires_count_{0};
  std::atomic<uint64_t> hits_{0}, misses_{0}, ks_hits_{0}, ks_misses_{0};
  std::mutex noted_mu_;
  std::vector<std::string> noted_expired_;  // guarded by noted_mu_

  Status FlushUpTo(uint64_t gen);
  // Flushes the writes of every thread committed so far (snapshots).
  Status FlushEverything();
  void OnFlushFailure(const Status& s);
  std::mutex flush_mu_;  // one flusher at a time, so batches land in order
  // The pending group: [cf:1][rocksdb key] -> value to put, or nullopt to
  // delete. A key written twice in one group is written once: the group is
  // one atomic RocksDB batch, so only its final state matters.
  // Ordered, so that it lands in key order (the memtable's skiplist then
  // finds each insert point next to the previous one) and so that sub-record
  // iterators can overlay a key range of it.
  using PendingMap = std::map<std::string, std::optional<std::string>, std::less<>>;
  std::mutex pending_mu_;
  PendingMap pending_;     // guarded by pending_mu_
  uint64_t open_gen_ = 1;  // generation of pending_; guarded by pending_mu_
  // The group being written: swapped in and cleared under pending_mu_ (so
  // readers see each write in pending_, flushing_ or RocksDB at all times),
  // read by the flusher under flush_mu_.
  PendingMap flushing_;
  RankIndexes rank_;
  std::atomic<uint64_t> version_seq_{0};
  uint64_t version_base_ = 0;
  std::atomic<bool> write_failed_{false};
  std::atomic<bool> complete_{false};
};

// A group of record changes that becomes visible and durable together (one
// append to the pending batch). Caller holds the stripe locks of every key
// from the first Put/Delete until Commit returns.
class WriteTxn {
 public:
  explicit WriteTxn(Keyspace* ks) : ks_(ks) {}

  // Writes a record. `old` is the record the key had (nullptr if none),
  // needed to keep the expiry index and key count right.
  void Put(const KeyRef& key, ValueType type, int64_t expire_at_ms, std::string_view value,
           const Record* old);
  // Deletes an existing record.
  void Delete(const KeyRef& key, const Record& old);
  // Removes everything (FLUSHALL); caller holds LockAll.
  void DeleteAll() { delete_all_ = true; }
  // Writes / deletes a collection sub-record (CF sub, full encoded key).
  void PutSub(std::string key, std::string value) {
    subs_.emplace_back(std::move(key), std::move(value));
  }
  void DeleteSub(std::string key) { subs_.emplace_back(std::move(key), std::nullopt); }

  // Fails only when the keyspace refuses writes after a storage failure.
  Status Commit(int64_t now_ms);
  bool empty() const { return changes_.empty() && subs_.empty() && !delete_all_; }

 private:
  struct Change {
    KeyRef key;
    bool del;
    ValueType type;
    int64_t expire_at_ms;
    int64_t old_expire_at_ms;
    std::string encoded;  // the meta record (header + value)
  };
  Keyspace* ks_;
  std::vector<Change> changes_;
  // A zset replaced or deleted: its rank index goes (storage/rank_index.h).
  void NoteReplaced(const KeyRef& key, const Record* old, ValueType type, std::string_view value);
  std::vector<std::pair<std::string, std::optional<std::string>>> subs_;
  std::vector<std::string> rank_drops_;
  int64_t key_delta_ = 0;
  bool delete_all_ = false;
};

}  // namespace shoal::storage
