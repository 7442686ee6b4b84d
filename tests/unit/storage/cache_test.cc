// CacheShard: lookups, capacity, eviction policies, pinned pending entries
// and tombstones.
#include "storage/cache.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/hash.h"

namespace shoal::storage {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

// Keys and values of fixed width, so every entry costs the same.
std::string Key(int i) {
  std::string s = "key:" + std::to_string(i);
  s.resize(12, '_');
  return s;
}
const std::string kValue(20, 'v');

// What one entry with these key and value sizes costs in a shard.
size_t ChargeOf(size_t key_len, size_t val_len) {
  CacheSettings s;
  CacheShard c(&s);
  EXPECT_TRUE(
      c.Put(std::string(key_len, 'k'), 1, ValueType::kString, 0, std::string(val_len, 'v'), kNow));
  return c.used_bytes();
}

class CacheTest : public ::testing::Test {
 protected:
  // Room for exactly n entries of Key()/kValue size.
  void SetCapacityEntries(size_t n) {
    settings_.capacity_bytes_per_shard = n * ChargeOf(Key(0).size(), kValue.size());
  }

  bool Put(const std::string& key, int64_t expire_at_ms = 0, uint64_t gen = 0,
           int64_t now_ms = kNow, const std::string& value = kValue) {
    return cache_.Put(key, Hash64(key), ValueType::kString, expire_at_ms, value, now_ms, gen);
  }
  bool Has(const std::string& key) { return cache_.Peek(key, Hash64(key)).has_value(); }
  void Touch(const std::string& key, int64_t now_ms = kNow) {
    EXPECT_TRUE(cache_.Get(key, Hash64(key), now_ms).has_value()) << key;
  }
  uint64_t Capacity() const { return settings_.capacity_bytes_per_shard.load(); }

  CacheSettings settings_;
  CacheShard cache_{&settings_};
};

// --- Basics ------------------------------------------------------------------

TEST_F(CacheTest, GetReturnsWhatWasPut) {
  const std::string key = "k";
  ASSERT_TRUE(cache_.Put(key, Hash64(key), ValueType::kHash, 1234, "payload", kNow));
  auto v = cache_.Get(key, Hash64(key), kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->type, ValueType::kHash);
  EXPECT_EQ(v->expire_at_ms, 1234);
  EXPECT_EQ(v->value, "payload");
  EXPECT_FALSE(v->tombstone);
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(CacheTest, MissingKeyIsAbsent) {
  EXPECT_FALSE(cache_.Get("nope", Hash64("nope"), kNow).has_value());
  EXPECT_FALSE(cache_.Peek("nope", Hash64("nope")).has_value());
}

TEST_F(CacheTest, EmptyKeyAndValueAndBinaryBytesWork) {
  const std::string binary("a\0b\r\n", 5);
  ASSERT_TRUE(cache_.Put("", Hash64(""), ValueType::kString, 0, "", kNow));
  ASSERT_TRUE(cache_.Put(binary, Hash64(binary), ValueType::kString, 0, binary, kNow));
  EXPECT_EQ(cache_.Peek("", Hash64(""))->value, "");
  EXPECT_EQ(cache_.Peek(binary, Hash64(binary))->value, binary);
}

TEST_F(CacheTest, KeysWithTheSameHashStayDistinct) {
  ASSERT_TRUE(cache_.Put("a", 7, ValueType::kString, 0, "1", kNow));
  ASSERT_TRUE(cache_.Put("b", 7, ValueType::kString, 0, "2", kNow));
  EXPECT_EQ(cache_.Peek("a", 7)->value, "1");
  EXPECT_EQ(cache_.Peek("b", 7)->value, "2");
  cache_.Erase("a", 7);
  EXPECT_FALSE(cache_.Peek("a", 7).has_value());
  EXPECT_EQ(cache_.Peek("b", 7)->value, "2");
}

TEST_F(CacheTest, PutReplacesAndAccountsBytes) {
  ASSERT_TRUE(Put("k", 0, 0, kNow, "short"));
  const size_t small = cache_.used_bytes();
  ASSERT_TRUE(Put("k", 0, 0, kNow, std::string(100, 'x')));
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_EQ(cache_.used_bytes(), small + 95);
  EXPECT_EQ(cache_.Peek("k", Hash64("k"))->value, std::string(100, 'x'));
}

TEST_F(CacheTest, SetExpireChangesOnlyTheExpiry) {
  ASSERT_TRUE(Put("k", 0, 0, kNow, "v"));
  cache_.SetExpire("k", Hash64("k"), 99);
  auto v = cache_.Peek("k", Hash64("k"));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->expire_at_ms, 99);
  EXPECT_EQ(v->value, "v");
  cache_.SetExpire("absent", Hash64("absent"), 5);  // no-op
  EXPECT_FALSE(Has("absent"));
}

TEST_F(CacheTest, EraseAndClearReleaseEverything) {
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(Put(Key(i)));
  cache_.Erase(Key(3), Hash64(Key(3)));
  EXPECT_FALSE(Has(Key(3)));
  EXPECT_EQ(cache_.size(), 99u);
  cache_.Clear();
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(cache_.used_bytes(), 0u);
  EXPECT_FALSE(Has(Key(0)));
}

TEST_F(CacheTest, ManyEntriesSurviveRehashing) {
  for (int i = 0; i < 20000; ++i) ASSERT_TRUE(Put(Key(i)));
  for (int i = 0; i < 20000; i += 2) cache_.Erase(Key(i), Hash64(Key(i)));
  EXPECT_EQ(cache_.size(), 10000u);
  for (int i = 0; i < 20000; ++i) EXPECT_EQ(Has(Key(i)), i % 2 == 1) << i;
}

TEST_F(CacheTest, UnboundedWhenCapacityIsZero) {
  settings_.capacity_bytes_per_shard = 0;
  for (int i = 0; i < 5000; ++i) ASSERT_TRUE(Put(Key(i)));
  EXPECT_EQ(cache_.size(), 5000u);
  EXPECT_EQ(settings_.evicted.load(), 0u);
}

TEST_F(CacheTest, IdleTimeCountsFromTheLastAccessInSeconds) {
  ASSERT_TRUE(Put("k", 0, 0, 10'500));
  EXPECT_EQ(cache_.IdleMs("k", Hash64("k"), 15'000), 5000u);
  Touch("k", 20'000);
  EXPECT_EQ(cache_.IdleMs("k", Hash64("k"), 20'000), 0u);
  EXPECT_EQ(cache_.IdleMs("k", Hash64("k"), 1'000), 0u);  // clock went back
  EXPECT_FALSE(cache_.IdleMs("absent", Hash64("absent"), 0).has_value());
}

TEST(EvictionPolicy, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(EvictionPolicy::kVolatileTtl); ++i) {
    auto p = static_cast<EvictionPolicy>(i);
    EXPECT_EQ(ParseEvictionPolicy(EvictionPolicyName(p)), p);
  }
  EXPECT_STREQ(EvictionPolicyName(EvictionPolicy::kAllKeysLru), "allkeys-lru");
  EXPECT_STREQ(EvictionPolicyName(EvictionPolicy::kVolatileTtl), "volatile-ttl");
  EXPECT_FALSE(ParseEvictionPolicy("lru").has_value());
  EXPECT_FALSE(ParseEvictionPolicy("ALLKEYS-LRU").has_value());
  EXPECT_TRUE(IsLfu(EvictionPolicy::kAllKeysLfu));
  EXPECT_TRUE(IsLfu(EvictionPolicy::kVolatileLfu));
  EXPECT_FALSE(IsLfu(EvictionPolicy::kAllKeysLru));
}

// --- Capacity and LRU --------------------------------------------------------

TEST_F(CacheTest, LruEvictsTheLeastRecentlyUsed) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(3);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  ASSERT_TRUE(Put("c"));
  Touch("a");
  ASSERT_TRUE(Put("d"));
  EXPECT_FALSE(Has("b"));
  EXPECT_TRUE(Has("a"));
  EXPECT_TRUE(Has("c"));
  EXPECT_TRUE(Has("d"));
  EXPECT_EQ(settings_.evicted.load(), 1u);
}

TEST_F(CacheTest, PeekDoesNotCountAsAnAccess) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(2);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  EXPECT_TRUE(Has("a"));  // Peek
  ASSERT_TRUE(Put("c"));
  EXPECT_FALSE(Has("a"));
  EXPECT_TRUE(Has("b"));
}

TEST_F(CacheTest, CapacityIsRespectedUnderEveryPolicy) {
  for (int p = 0; p <= static_cast<int>(EvictionPolicy::kVolatileTtl); ++p) {
    SCOPED_TRACE(EvictionPolicyName(static_cast<EvictionPolicy>(p)));
    CacheSettings settings;
    settings.policy = static_cast<EvictionPolicy>(p);
    settings.capacity_bytes_per_shard = 4096;
    CacheShard cache(&settings);
    std::mt19937 rng(static_cast<uint32_t>(p));
    for (int i = 0; i < 3000; ++i) {
      const std::string key = "k" + std::to_string(rng() % 500);
      const std::string value(rng() % 300, 'v');
      const int64_t expire = rng() % 2 ? 0 : kNow + static_cast<int64_t>(rng() % 100000);
      const bool kept = cache.Put(key, Hash64(key), ValueType::kString, expire, value, kNow);
      EXPECT_TRUE(kept);
      if (rng() % 3 == 0) (void)cache.Get(key, Hash64(key), kNow);
      ASSERT_LE(cache.used_bytes(), 4096u);
    }
    EXPECT_GT(settings.evicted.load(), 0u);
  }
}

TEST_F(CacheTest, NoEvictionStillBoundsTheCache) {
  // Leaving the cache deletes nothing (RocksDB has every record), so
  // noeviction falls back to LRU rather than refusing (ADR 002).
  settings_.policy = EvictionPolicy::kNoEviction;
  SetCapacityEntries(2);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  ASSERT_TRUE(Put("c"));
  EXPECT_FALSE(Has("a"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
}

TEST_F(CacheTest, CleanRecordBiggerThanTheShardIsRefused) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(3);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  const size_t before = cache_.used_bytes();
  EXPECT_FALSE(Put("huge", 0, 0, kNow, std::string(Capacity(), 'x')));
  EXPECT_FALSE(Has("huge"));
  // Nothing was evicted for it.
  EXPECT_TRUE(Has("a"));
  EXPECT_TRUE(Has("b"));
  EXPECT_EQ(cache_.used_bytes(), before);
}

TEST_F(CacheTest, PendingRecordBiggerThanTheShardIsKept) {
  SetCapacityEntries(3);
  EXPECT_TRUE(Put("huge", 0, /*gen=*/1, kNow, std::string(Capacity(), 'x')));
  auto v = cache_.Peek("huge", Hash64("huge"));
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->value.size(), Capacity());
}

// --- LFU ---------------------------------------------------------------------

// Fills a 10-entry shard with one key read `hot_reads` times and then nine
// never-read keys (so the hot key is the least recently used), then inserts
// 30 more never-read keys. Returns whether the hot key is still cached.
bool HotKeySurvives(EvictionPolicy policy, int hot_reads) {
  CacheSettings settings;
  settings.policy = policy;
  settings.capacity_bytes_per_shard = 10 * ChargeOf(Key(0).size(), kValue.size());
  CacheShard cache(&settings);
  const std::string hot = Key(999);
  EXPECT_TRUE(cache.Put(hot, Hash64(hot), ValueType::kString, 0, kValue, kNow));
  for (int i = 0; i < hot_reads; ++i) (void)cache.Get(hot, Hash64(hot), kNow);
  for (int i = 0; i < 39; ++i) {
    EXPECT_TRUE(cache.Put(Key(i), Hash64(Key(i)), ValueType::kString, 0, kValue, kNow));
  }
  return cache.Peek(hot, Hash64(hot)).has_value();
}

TEST(CacheLfu, LfuKeepsAFrequentlyReadKey) {
  EXPECT_TRUE(HotKeySurvives(EvictionPolicy::kAllKeysLfu, 100));
}

TEST(CacheLfu, LruDropsTheSameKeyOnceItIsLeastRecent) {
  EXPECT_FALSE(HotKeySurvives(EvictionPolicy::kAllKeysLru, 100));
}

TEST_F(CacheTest, LfuCounterGrowsWithReadsAndDecaysPerMinute) {
  settings_.policy = EvictionPolicy::kAllKeysLfu;
  settings_.lfu_decay_time_min = 1;
  ASSERT_TRUE(Put("k"));
  const uint8_t initial = *cache_.Frequency("k", Hash64("k"), kNow);
  for (int i = 0; i < 100; ++i) Touch("k");
  const uint8_t hot = *cache_.Frequency("k", Hash64("k"), kNow);
  EXPECT_GT(hot, initial);
  EXPECT_EQ(*cache_.Frequency("k", Hash64("k"), kNow + 3 * 60'000), hot - 3);
  EXPECT_EQ(*cache_.Frequency("k", Hash64("k"), kNow + 1000 * 60'000), 0);
  settings_.lfu_decay_time_min = 0;  // no decay
  EXPECT_EQ(*cache_.Frequency("k", Hash64("k"), kNow + 3 * 60'000), hot);
}

TEST_F(CacheTest, LfuCounterIsLogarithmic) {
  settings_.policy = EvictionPolicy::kAllKeysLfu;
  settings_.lfu_decay_time_min = 0;
  ASSERT_TRUE(Put("k"));
  for (int i = 0; i < 1000; ++i) Touch("k");
  // With lfu-log-factor 10, a thousand hits land around 10-20, far from 255.
  const uint8_t f = *cache_.Frequency("k", Hash64("k"), kNow);
  EXPECT_GT(f, 7);
  EXPECT_LT(f, 40);
}

// --- volatile-* --------------------------------------------------------------

TEST_F(CacheTest, VolatileTtlEvictsTheSoonestExpiryFirst) {
  settings_.policy = EvictionPolicy::kVolatileTtl;
  SetCapacityEntries(4);
  ASSERT_TRUE(Put("late", kNow + 5000));
  ASSERT_TRUE(Put("soonest", kNow + 1000));
  ASSERT_TRUE(Put("persistent"));
  ASSERT_TRUE(Put("middle", kNow + 3000));
  ASSERT_TRUE(Put("new1"));
  EXPECT_FALSE(Has("soonest"));
  ASSERT_TRUE(Put("new2"));
  EXPECT_FALSE(Has("middle"));
  ASSERT_TRUE(Put("new3"));
  EXPECT_FALSE(Has("late"));
  EXPECT_TRUE(Has("persistent"));
  EXPECT_TRUE(Has("new1"));
  EXPECT_TRUE(Has("new2"));
  EXPECT_TRUE(Has("new3"));
}

TEST_F(CacheTest, VolatileLruSparesRecordsWithoutTtl) {
  settings_.policy = EvictionPolicy::kVolatileLru;
  SetCapacityEntries(3);
  ASSERT_TRUE(Put("p1"));
  ASSERT_TRUE(Put("v1", kNow + 1000));
  ASSERT_TRUE(Put("p2"));
  ASSERT_TRUE(Put("p3"));
  EXPECT_FALSE(Has("v1"));
  EXPECT_TRUE(Has("p1"));
  EXPECT_TRUE(Has("p2"));
  EXPECT_TRUE(Has("p3"));
}

TEST_F(CacheTest, VolatilePolicyWithoutVolatileRecordsFallsBackToLru) {
  settings_.policy = EvictionPolicy::kVolatileTtl;
  SetCapacityEntries(2);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  ASSERT_TRUE(Put("c"));
  EXPECT_FALSE(Has("a"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
}

// --- Pinned pending entries --------------------------------------------------

TEST_F(CacheTest, PinnedEntriesAreNeverEvicted) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  settings_.durable_gen = 0;
  SetCapacityEntries(3);
  ASSERT_TRUE(Put("a", 0, 1));
  ASSERT_TRUE(Put("b", 0, 1));
  ASSERT_TRUE(Put("c", 0, 2));
  // A clean record has nowhere to go: only pinned entries could make room.
  EXPECT_FALSE(Put("clean"));
  EXPECT_FALSE(Has("clean"));
  // A pending record is always kept; the shard overshoots by its bytes.
  EXPECT_TRUE(Put("d", 0, 2));
  EXPECT_GT(cache_.used_bytes(), Capacity());
  for (const char* k : {"a", "b", "c", "d"}) EXPECT_TRUE(Has(k)) << k;
  EXPECT_EQ(settings_.evicted.load(), 0u);
}

TEST_F(CacheTest, PinnedEntriesBecomeEvictableOnceTheirGenerationIsDurable) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(3);
  ASSERT_TRUE(Put("a", 0, 1));
  ASSERT_TRUE(Put("b", 0, 1));
  ASSERT_TRUE(Put("c", 0, 2));
  ASSERT_TRUE(Put("d", 0, 2));
  settings_.durable_gen = 1;  // a and b are in RocksDB now; c and d are not
  ASSERT_TRUE(Put("clean"));
  EXPECT_FALSE(Has("a"));
  EXPECT_FALSE(Has("b"));
  EXPECT_TRUE(Has("c"));
  EXPECT_TRUE(Has("d"));
  EXPECT_TRUE(Has("clean"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
  settings_.durable_gen = 2;
  ASSERT_TRUE(Put("clean2"));
  EXPECT_FALSE(Has("c"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
}

TEST_F(CacheTest, ShrinkEvictsDownToANewCapacityButKeepsPinnedEntries) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Put(Key(i), 0, i < 2 ? 5 : 0));
  SetCapacityEntries(4);
  cache_.Shrink(kNow);
  EXPECT_LE(cache_.used_bytes(), Capacity());
  EXPECT_TRUE(Has(Key(0)));
  EXPECT_TRUE(Has(Key(1)));
  EXPECT_EQ(cache_.size(), 4u);
}

TEST_F(CacheTest, PinnedEntriesNeverEvictedUnderAnyPolicy) {
  for (int p = 0; p <= static_cast<int>(EvictionPolicy::kVolatileTtl); ++p) {
    SCOPED_TRACE(EvictionPolicyName(static_cast<EvictionPolicy>(p)));
    CacheSettings settings;
    settings.policy = static_cast<EvictionPolicy>(p);
    settings.capacity_bytes_per_shard = 4 * ChargeOf(Key(0).size(), kValue.size());
    settings.durable_gen = 10;
    CacheShard cache(&settings);
    std::vector<std::string> pinned;
    for (int i = 0; i < 3; ++i) {
      pinned.push_back("pinned" + std::to_string(i));
      ASSERT_TRUE(cache.Put(pinned.back(), Hash64(pinned.back()), ValueType::kString, kNow + i,
                            kValue, kNow, /*gen=*/11));
    }
    for (int i = 0; i < 200; ++i) {
      (void)cache.Put(Key(i), Hash64(Key(i)), ValueType::kString, i % 2 ? kNow + 1 : 0, kValue,
                      kNow);
    }
    for (const auto& k : pinned) EXPECT_TRUE(cache.Peek(k, Hash64(k)).has_value()) << k;
  }
}

// The header promises that a clean Put is refused only when there are only
// pinned entries to evict. Here 70 pinned entries sit at the LRU end and a
// clean entry sits behind them: it should be evicted to make room.
TEST_F(CacheTest, CleanPutEvictsAnUnpinnedEntryBehindManyPinnedOnes) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(71);
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(Put(Key(i), 0, /*gen=*/1));
  ASSERT_TRUE(Put("clean-old"));
  EXPECT_TRUE(Put("clean-new"));
  EXPECT_TRUE(Has("clean-new"));
  EXPECT_FALSE(Has("clean-old"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
}

// --- Tombstones --------------------------------------------------------------

TEST_F(CacheTest, TombstoneIsVisibleAsADeletion) {
  ASSERT_TRUE(Put("k"));
  cache_.PutTombstone("k", Hash64("k"), kNow, /*gen=*/1);
  auto v = cache_.Get("k", Hash64("k"), kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->tombstone);
  EXPECT_EQ(v->value, "");
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(CacheTest, PutAfterTombstoneRevivesTheKey) {
  cache_.PutTombstone("k", Hash64("k"), kNow, 1);
  ASSERT_TRUE(Put("k", 0, 2, kNow, "back"));
  auto v = cache_.Peek("k", Hash64("k"));
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->tombstone);
  EXPECT_EQ(v->value, "back");
}

TEST_F(CacheTest, PendingTombstoneIsPinnedAndDurableOneIsEvictable) {
  settings_.policy = EvictionPolicy::kAllKeysLru;
  SetCapacityEntries(2);
  cache_.PutTombstone("gone", Hash64("gone"), kNow, 1);
  ASSERT_TRUE(Put("a"));
  ASSERT_TRUE(Put("b"));
  EXPECT_TRUE(Has("gone"));
  EXPECT_FALSE(Has("a"));  // evicted instead of the pinned tombstone
  settings_.durable_gen = 1;
  ASSERT_TRUE(Put("c"));
  EXPECT_FALSE(Has("gone"));
  EXPECT_LE(cache_.used_bytes(), Capacity());
}

}  // namespace
}  // namespace shoal::storage

namespace shoal::storage {
namespace {

TEST(CacheAbsent, AbsentEntryAnswersAsTombstoneUntilTheKeyIsWritten) {
  CacheSettings s;
  CacheShard c(&s);
  c.PutAbsent("missing", 7, kNow);
  auto v = c.Get("missing", 7, kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->tombstone);
  ASSERT_TRUE(c.Put("missing", 7, ValueType::kString, 0, "now here", kNow, 1));
  v = c.Get("missing", 7, kNow);
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->tombstone);
  EXPECT_EQ(v->value, "now here");
}

TEST(CacheAbsent, AbsentEntriesAreBoundedPerShard) {
  CacheSettings s;
  CacheShard c(&s);
  for (size_t i = 0; i < CacheShard::kMaxTombstones + 500; ++i) {
    std::string k = "absent:" + std::to_string(i);
    c.PutAbsent(k, Hash64(k), kNow);
  }
  EXPECT_EQ(c.size(), CacheShard::kMaxTombstones);
  // Writing over an absent entry frees its place for another.
  ASSERT_TRUE(c.Put("absent:0", Hash64("absent:0"), ValueType::kString, 0, "v", kNow, 1));
  c.PutAbsent("another", Hash64("another"), kNow);
  EXPECT_TRUE(c.Peek("another", Hash64("another")).has_value());
}

TEST(CacheOverwrite, SameSizeOverwriteKeepsTheChargeAndReplacesTheValue) {
  CacheSettings s;
  CacheShard c(&s);
  ASSERT_TRUE(c.Put("k", 1, ValueType::kString, 0, "aaaa", kNow, 1));
  size_t used = c.used_bytes();
  ASSERT_TRUE(c.Put("k", 1, ValueType::kString, 123, "bbbb", kNow, 2));
  EXPECT_EQ(c.used_bytes(), used);
  auto v = c.Peek("k", 1);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->value, "bbbb");
  EXPECT_EQ(v->expire_at_ms, 123);
  // A shorter value reuses the space; a longer one reallocates.
  ASSERT_TRUE(c.Put("k", 1, ValueType::kString, 0, "cc", kNow, 3));
  EXPECT_EQ(c.Peek("k", 1)->value, "cc");
  ASSERT_TRUE(c.Put("k", 1, ValueType::kString, 0, "dddddddddd", kNow, 4));
  EXPECT_EQ(c.Peek("k", 1)->value, "dddddddddd");
  EXPECT_GT(c.used_bytes(), used);
  EXPECT_EQ(c.size(), 1u);
}

}  // namespace
}  // namespace shoal::storage
