// Keyspace behaviour across ops: persistence over close/reopen, key and
// expiry counters, SCAN cursors, a cache much smaller than the data, and
// determinism of apply (the same ops give the same replies and state).
#include "storage/keyspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/keyslot.h"
#include "core/resp/value.h"
#include "storage/op.h"
#include "storage/reads.h"
#include "tests/unit/storage/keyspace_fixture.h"

namespace shoal::storage {
namespace {

using test_util::Bulk;
using test_util::Int;
using test_util::Nil;
using test_util::Ok;
namespace f = op_flags;

class KeyspaceBehaviourTest : public test_util::KeyspaceTest {
 protected:
  // One SCAN call: returns (next cursor, keys).
  std::pair<uint64_t, std::vector<std::string>> ScanOnce(const reads::ScanArgs& args,
                                                         int64_t now_ms = kNow) {
    std::string out;
    resp::Writer w(&out);
    reads::Scan(*ks_, args, now_ms, w);
    resp::Value v;
    size_t consumed = 0;
    EXPECT_EQ(resp::ReplyParser::Parse(out, &v, &consumed), resp::ReplyParser::Outcome::kValue)
        << out;
    std::pair<uint64_t, std::vector<std::string>> result{0, {}};
    if (v.elements.size() != 2) {
      ADD_FAILURE() << "bad SCAN reply " << v.ToString();
      return result;
    }
    result.first = std::stoull(v.elements[0].str);
    for (const auto& e : v.elements[1].elements) result.second.push_back(e.str);
    return result;
  }

  // A full SCAN; returns how often each key was returned, and the calls made.
  std::map<std::string, int> ScanAll(reads::ScanArgs args, int* calls, int64_t now_ms = kNow) {
    std::map<std::string, int> seen;
    args.cursor = 0;
    *calls = 0;
    do {
      auto [next, keys] = ScanOnce(args, now_ms);
      ++*calls;
      for (const auto& k : keys) ++seen[k];
      if (*calls > 20000) {
        ADD_FAILURE() << "SCAN does not terminate";
        break;
      }
      args.cursor = next;
    } while (args.cursor != 0);
    return seen;
  }
};

// --- Persistence -------------------------------------------------------------

TEST_F(KeyspaceBehaviourTest, DataAndCountersSurviveCloseAndReopen) {
  EXPECT_EQ(Set("plain", "v1"), Ok());
  EXPECT_EQ(Set("volatile", "v2", 0, kNow + 60'000), Ok());
  EXPECT_EQ(Set(std::string("bin\0key", 7), std::string("\0\r\n", 3)), Ok());
  EXPECT_EQ(Set("overwritten", "old"), Ok());
  EXPECT_EQ(Set("overwritten", "new"), Ok());
  EXPECT_EQ(Set("deleted", "x"), Ok());
  EXPECT_EQ(Apply(OpCode::kDel, {"deleted"}), Int(1));
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"counter"}, 0, 42), Int(42));
  const int64_t keys = ks_->key_count();
  const int64_t expiring = ks_->keys_with_expiry();
  EXPECT_EQ(keys, 5);
  EXPECT_EQ(expiring, 1);

  Reopen();
  EXPECT_EQ(ks_->key_count(), keys);
  EXPECT_EQ(ks_->keys_with_expiry(), expiring);
  EXPECT_EQ(Get("plain"), Bulk("v1"));
  EXPECT_EQ(Get("volatile"), Bulk("v2"));
  EXPECT_EQ(PExpireTime("volatile"), Int(kNow + 60'000));
  EXPECT_EQ(Get(std::string("bin\0key", 7)), Bulk(std::string("\0\r\n", 3)));
  EXPECT_EQ(Get("overwritten"), Bulk("new"));
  EXPECT_EQ(Get("deleted"), Nil());
  EXPECT_EQ(Get("counter"), Bulk("42"));
  // Reads after reopen come from RocksDB, not a warm cache.
  EXPECT_GT(ks_->cache_misses(), 0u);
}

TEST_F(KeyspaceBehaviourTest, ManyKeysSurviveReopen) {
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(Set("key:" + std::to_string(i), "value:" + std::to_string(i)), Ok());
    if (i % 100 == 0) Flush();
  }
  Reopen();
  EXPECT_EQ(ks_->key_count(), 1000);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk("value:" + std::to_string(i))) << i;
  }
}

TEST_F(KeyspaceBehaviourTest, CommittedWritesAreVisibleBeforeTheFlush) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Get("k"), Bulk("v"));
  EXPECT_EQ(Apply(OpCode::kDel, {"k"}), Int(1));
  EXPECT_EQ(Get("k"), Nil());
  EXPECT_EQ(Exists({"k"}), Int(0));
}

// FlushPending's contract: it makes every write committed by the calling
// thread durable. A FLUSHALL on another keyspace in the same thread must not
// make it forget about this keyspace's pending writes.
TEST_F(KeyspaceBehaviourTest, FlushPendingIsNotFooledByFlushAllOnAnotherKeyspace) {
  test_util::TempDir other_dir;
  KeyspaceOptions other_options = Options();
  other_options.engine.dir = other_dir.path();
  auto other = Keyspace::Open(other_options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  StateMachine other_sm(other->get(), StateMachineOptions{});

  EXPECT_EQ(Set("k", "v"), Ok());  // pending in ks_
  Op flushall;
  flushall.code = OpCode::kFlushAll;
  flushall.now_ms = kNow;
  std::string reply;
  resp::Writer w(&reply);
  other_sm.Apply(flushall, &w);
  EXPECT_EQ(reply, Ok());

  Status s = ks_->FlushPending();
  ASSERT_TRUE(s.ok()) << s.ToString();
  // Iterators read RocksDB only, so KEYS shows what was really written.
  std::string keys;
  resp::Writer kw(&keys);
  reads::Keys(*ks_, "*", kNow, kw);
  EXPECT_EQ(keys, "*1\r\n$1\r\nk\r\n");
}

// --- Counters ----------------------------------------------------------------

TEST_F(KeyspaceBehaviourTest, KeyAndExpiryCountersFollowEveryKindOfChange) {
  auto expect_counts = [&](int64_t keys, int64_t expiring, const char* step) {
    EXPECT_EQ(ks_->key_count(), keys) << step;
    EXPECT_EQ(ks_->keys_with_expiry(), expiring) << step;
  };
  expect_counts(0, 0, "empty");
  EXPECT_EQ(Set("a", "1"), Ok());
  expect_counts(1, 0, "set a");
  EXPECT_EQ(Set("b", "1", 0, kNow + 1000), Ok());
  expect_counts(2, 1, "set b with expiry");
  EXPECT_EQ(Set("b", "2", f::kKeepTtl), Ok());
  expect_counts(2, 1, "keepttl");
  EXPECT_EQ(Apply(OpCode::kExpire, {"a"}, 0, kNow + 2000), Int(1));
  expect_counts(2, 2, "expire a");
  EXPECT_EQ(Apply(OpCode::kPersist, {"b"}), Int(1));
  expect_counts(2, 1, "persist b");
  EXPECT_EQ(Apply(OpCode::kCopy, {"a", "c"}), Int(1));
  expect_counts(3, 2, "copy a c");
  EXPECT_EQ(Apply(OpCode::kRename, {"c", "b"}), Ok());
  expect_counts(2, 2, "rename c onto b");
  EXPECT_EQ(Apply(OpCode::kMSet, {"a", "x", "d", "y"}), Ok());
  expect_counts(3, 1, "mset clears a's expiry, adds d");
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"b"}, 0, 0, kNow + 2000), Int(1));
  expect_counts(2, 0, "b expired");
  EXPECT_EQ(Apply(OpCode::kDel, {"a", "d"}), Int(2));
  expect_counts(0, 0, "del");
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(KeyspaceBehaviourTest, CountersMatchTheStoredDataAfterRandomOps) {
  std::mt19937 rng(99);
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "k" + std::to_string(rng() % 40);
    const std::string other = "k" + std::to_string(rng() % 40);
    const int64_t now = kNow + i;
    switch (rng() % 6) {
      case 0:
        (void)Set(key, "v", 0, rng() % 2 ? now + 1 + static_cast<int64_t>(rng() % 500) : 0, now);
        break;
      case 1:
        (void)Apply(OpCode::kDel, {key, other}, 0, 0, now);
        break;
      case 2:
        (void)Apply(OpCode::kExpire, {key}, 0, now - 100 + static_cast<int64_t>(rng() % 600), now);
        break;
      case 3:
        (void)Apply(OpCode::kRename, {key, other}, 0, 0, now);
        break;
      case 4:
        (void)Apply(OpCode::kCopy, {key, other}, f::kCopyReplace, 0, now);
        break;
      default:
        (void)Apply(OpCode::kExpireIfDue, {key}, 0, 0, now);
        break;
    }
  }
  const int64_t keys = ks_->key_count();
  const int64_t expiring = ks_->keys_with_expiry();
  // Reopening recounts from RocksDB: the running counters must agree.
  Reopen();
  EXPECT_EQ(ks_->key_count(), keys);
  EXPECT_EQ(ks_->keys_with_expiry(), expiring);
}

// --- SCAN --------------------------------------------------------------------

TEST_F(KeyspaceBehaviourTest, ScanWithCountOneReturnsEveryKeyExactlyOnce) {
  std::set<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.insert("key:" + std::to_string(i));
  // Keys sharing a slot must not be split over calls.
  for (int i = 0; i < 20; ++i) keys.insert("{tag}" + std::to_string(i));
  for (const auto& k : keys) EXPECT_EQ(Set(k, "v"), Ok());
  Flush();
  std::set<uint16_t> slots;
  for (const auto& k : keys) slots.insert(KeySlot(k));

  reads::ScanArgs args;
  args.count = 1;
  int calls = 0;
  auto seen = ScanAll(args, &calls);
  ASSERT_EQ(seen.size(), keys.size());
  for (const auto& k : keys) EXPECT_EQ(seen[k], 1) << k;
  EXPECT_LE(calls, static_cast<int>(slots.size()) + 1);
}

TEST_F(KeyspaceBehaviourTest, ScanWithLargerCountsCoversEverything) {
  for (int i = 0; i < 500; ++i) EXPECT_EQ(Set("key:" + std::to_string(i), "v"), Ok());
  Flush();
  for (int64_t count : {3, 10, 100, 1000}) {
    SCOPED_TRACE(count);
    reads::ScanArgs args;
    args.count = count;
    int calls = 0;
    auto seen = ScanAll(args, &calls);
    EXPECT_EQ(seen.size(), 500u);
    for (const auto& [k, n] : seen) EXPECT_EQ(n, 1) << k;
  }
}

TEST_F(KeyspaceBehaviourTest, ScanFiltersByPatternTypeAndExpiry) {
  EXPECT_EQ(Set("user:1", "v"), Ok());
  EXPECT_EQ(Set("user:2", "v", 0, kNow + 10), Ok());
  EXPECT_EQ(Set("item:1", "v"), Ok());
  PutRecord("user:h", ValueType::kHash, 0, "");
  Flush();
  reads::ScanArgs args;
  args.count = 1;
  std::string_view pattern = "user:*";
  args.pattern = pattern;
  int calls = 0;
  auto seen = ScanAll(args, &calls, kNow + 10);
  EXPECT_EQ(seen, (std::map<std::string, int>{{"user:1", 1}, {"user:h", 1}}));
  std::string_view type = "STRING";
  args.type = type;
  seen = ScanAll(args, &calls, kNow + 10);
  EXPECT_EQ(seen, (std::map<std::string, int>{{"user:1", 1}}));
}

TEST_F(KeyspaceBehaviourTest, ScanReturnsKeysPresentForTheWholeScanDespiteWrites) {
  std::set<std::string> stable;
  for (int i = 0; i < 200; ++i) {
    stable.insert("stable:" + std::to_string(i));
    EXPECT_EQ(Set("stable:" + std::to_string(i), "v"), Ok());
    EXPECT_EQ(Set("churn:" + std::to_string(i), "v"), Ok());
  }
  Flush();
  std::map<std::string, int> seen;
  reads::ScanArgs args;
  args.count = 5;
  int calls = 0;
  int churn = 0;
  do {
    auto [next, keys] = ScanOnce(args);
    for (const auto& k : keys) ++seen[k];
    // Between calls: delete some keys and add others.
    EXPECT_EQ(Apply(OpCode::kDel, {"churn:" + std::to_string(churn)}), Int(1));
    EXPECT_EQ(Set("new:" + std::to_string(churn), "v"), Ok());
    ++churn;
    Flush();
    args.cursor = next;
    ASSERT_LT(++calls, 1000);
  } while (args.cursor != 0);
  for (const auto& k : stable) EXPECT_EQ(seen[k], 1) << k;
}

TEST_F(KeyspaceBehaviourTest, ScanOfAnEmptyKeyspaceEndsAtOnce) {
  reads::ScanArgs args;
  auto [next, keys] = ScanOnce(args);
  EXPECT_EQ(next, 0u);
  EXPECT_TRUE(keys.empty());
  args.cursor = kSlotCount;  // out of range
  auto out_of_range = ScanOnce(args);
  EXPECT_EQ(out_of_range.first, 0u);
  EXPECT_TRUE(out_of_range.second.empty());
}

// --- A cache much smaller than the data --------------------------------------

TEST_F(KeyspaceBehaviourTest, SmallCacheStillReadsEveryKeyFromRocksDb) {
  maxmemory_bytes_ = 64 * 2048;  // 2 KB per stripe
  policy_ = EvictionPolicy::kAllKeysLru;
  Reopen();
  const std::string pad(200, 'p');
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(Set("key:" + std::to_string(i), std::to_string(i) + pad), Ok());
    if (i % 50 == 49) Flush();  // as a server does after each batch
  }
  Flush();
  for (int i = 0; i < 3000; ++i) {
    ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk(std::to_string(i) + pad)) << i;
  }
  EXPECT_EQ(ks_->key_count(), 3000);
  EXPECT_GT(ks_->cache_settings()->evicted.load(), 0u);
  EXPECT_GT(ks_->cache_misses(), 0u);
  EXPECT_LE(ks_->cache_bytes(), maxmemory_bytes_);
  EXPECT_LT(ks_->cache_entries(), 3000u);

  // Updates of evicted keys read the old record from RocksDB.
  for (int i = 0; i < 3000; i += 7) {
    EXPECT_EQ(Apply(OpCode::kAppend, {"key:" + std::to_string(i), "!"}),
              Int(static_cast<int64_t>(std::to_string(i).size() + pad.size() + 1)));
  }
  Flush();
  for (int i = 0; i < 3000; ++i) {
    std::string expected = std::to_string(i) + pad + (i % 7 == 0 ? "!" : "");
    ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk(expected)) << i;
  }
}

TEST_F(KeyspaceBehaviourTest, LoweringMaxMemoryShrinksTheCache) {
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(Set("key:" + std::to_string(i), "value"), Ok());
  Flush();
  const uint64_t before = ks_->cache_bytes();
  ASSERT_GT(before, 64u * 1024);
  ks_->SetMaxMemory(64 * 1024, kNow);
  EXPECT_EQ(ks_->maxmemory(), 64u * 1024);
  EXPECT_LE(ks_->cache_bytes(), 64u * 1024);
  for (int i = 0; i < 2000; i += 13) {
    ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk("value")) << i;
  }
}

TEST_F(KeyspaceBehaviourTest, UnflushedWritesAreNeverEvicted) {
  maxmemory_bytes_ = 64 * 1024;
  policy_ = EvictionPolicy::kAllKeysLru;
  Reopen();
  // Far more than fits, none flushed: the cache must keep all of them,
  // because RocksDB does not have them yet.
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(Set("key:" + std::to_string(i), "value"), Ok());
  EXPECT_EQ(ks_->cache_entries(), 2000u);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk("value")) << i;
  Flush();
  Reopen();
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(Get("key:" + std::to_string(i)), Bulk("value")) << i;
}

// --- Determinism -------------------------------------------------------------

Op RandomOp(std::mt19937& rng, int64_t now, std::vector<std::string>* storage) {
  auto key = [&] { return "k" + std::to_string(rng() % 8); };
  auto value = [&]() -> std::string {
    switch (rng() % 4) {
      case 0:
        return std::to_string(static_cast<int>(rng() % 200) - 100);
      case 1:
        return std::to_string(rng() % 100) + ".5";
      case 2:
        return "";
      default:
        return std::string(1 + rng() % 10, static_cast<char>('a' + rng() % 26));
    }
  };
  auto expire = [&]() -> int64_t {
    return rng() % 3 == 0 ? 0 : now - 500 + static_cast<int64_t>(rng() % 3000);
  };
  Op op;
  op.now_ms = now;
  storage->clear();
  switch (rng() % 14) {
    case 0:
      op.code = OpCode::kSet;
      *storage = {key(), value()};
      op.flags = static_cast<uint32_t>(rng() % 16);
      if ((op.flags & f::kNx) && (op.flags & f::kXx)) op.flags &= ~f::kXx;
      op.num = (op.flags & f::kKeepTtl) != 0 ? 0 : std::max<int64_t>(0, expire());
      break;
    case 1:
      op.code = OpCode::kIncrBy;
      *storage = {key()};
      op.num = static_cast<int64_t>(rng() % 21) - 10;
      break;
    case 2:
      op.code = OpCode::kIncrByFloat;
      *storage = {key(), rng() % 2 ? "0.1" : "-2.5"};
      break;
    case 3:
      op.code = OpCode::kAppend;
      *storage = {key(), value()};
      break;
    case 4:
      op.code = OpCode::kDel;
      *storage = {key(), key()};
      break;
    case 5:
      op.code = OpCode::kExpire;
      *storage = {key()};
      op.flags = static_cast<uint32_t>(rng() % 16);
      op.num = now - 500 + static_cast<int64_t>(rng() % 3000);
      break;
    case 6:
      op.code = OpCode::kPersist;
      *storage = {key()};
      break;
    case 7:
      op.code = OpCode::kRename;
      *storage = {key(), key()};
      op.flags = rng() % 2;
      break;
    case 8:
      op.code = OpCode::kCopy;
      *storage = {key(), key()};
      op.flags = rng() % 2;
      break;
    case 9:
      op.code = OpCode::kGetDel;
      *storage = {key()};
      break;
    case 10:
      op.code = OpCode::kGetEx;
      *storage = {key()};
      op.flags = rng() % 2 ? f::kPersist : f::kSetExpire;
      op.num = now - 500 + static_cast<int64_t>(rng() % 3000);
      break;
    case 11:
      op.code = OpCode::kSetRange;
      *storage = {key(), value()};
      op.num = rng() % 12;
      break;
    case 12:
      op.code = OpCode::kSetBit;
      *storage = {key()};
      op.num = rng() % 64;
      op.flags = rng() % 2;
      break;
    default:
      op.code = OpCode::kExpireIfDue;
      *storage = {key()};
      break;
  }
  for (const auto& s : *storage) op.args.emplace_back(s);
  return op;
}

// Everything observable about keys k0..k7 at `now`.
std::string Dump(Keyspace& ks, int64_t now) {
  std::string out;
  resp::Writer w(&out);
  for (int i = 0; i < 8; ++i) {
    const std::string key = "k" + std::to_string(i);
    reads::Get(ks, key, now, w);
    reads::Ttl(ks, key, reads::TtlForm::kAbsoluteMs, now, w);
  }
  w.Integer(ks.key_count());
  w.Integer(ks.keys_with_expiry());
  return out;
}

TEST_F(KeyspaceBehaviourTest, SameOpsGiveSameRepliesAndStateOnAnotherReplica) {
  // A second replica with a tiny cache: its reads often come from RocksDB,
  // which must not change any outcome.
  test_util::TempDir replica_dir;
  KeyspaceOptions replica_options = Options();
  replica_options.engine.dir = replica_dir.path();
  replica_options.maxmemory_bytes = 64 * 256;
  replica_options.policy = EvictionPolicy::kAllKeysRandom;
  auto replica = Keyspace::Open(replica_options);
  ASSERT_TRUE(replica.ok()) << replica.status().ToString();
  StateMachine replica_sm(replica->get(), StateMachineOptions{});

  const uint32_t seed = 4242;
  SCOPED_TRACE("seed=" + std::to_string(seed));
  std::mt19937 rng(seed);
  int64_t now = kNow;
  std::vector<std::string> storage;
  for (int i = 0; i < 3000; ++i) {
    now += static_cast<int64_t>(rng() % 300);
    const Op op = RandomOp(rng, now, &storage);
    // The leader applies the op; the replica applies the decoded log entry.
    const std::string entry = EncodeOp(op);
    auto decoded = DecodeOp(entry);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    std::string leader_reply, replica_reply;
    resp::Writer lw(&leader_reply), rw(&replica_reply);
    sm_->Apply(op, &lw);
    replica_sm.Apply(*decoded, &rw);
    ASSERT_EQ(leader_reply, replica_reply) << "op " << i << " code " << static_cast<int>(op.code);
    if (i % 10 == 9) {
      Flush();
      Status s = (*replica)->FlushPending();
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
    if (i % 500 == 499) {
      ASSERT_EQ(Dump(*ks_, now), Dump(**replica, now)) << "after op " << i;
    }
  }
  EXPECT_EQ(Dump(*ks_, now), Dump(**replica, now));
  EXPECT_GT(sm_->changes(), 0u);
  EXPECT_EQ(sm_->changes(), replica_sm.changes());
}

}  // namespace
}  // namespace shoal::storage

namespace shoal::storage {
namespace {

using test_util::Bulk;
class CompleteCacheTest : public test_util::KeyspaceTest {};

TEST_F(CompleteCacheTest, UnboundedCacheLoadsEverythingAtOpenAndAnswersMissesFromMemory) {
  for (int i = 0; i < 50; ++i) Set("k" + std::to_string(i), "v" + std::to_string(i));
  Reopen();
  EXPECT_TRUE(ks_->Complete());
  EXPECT_EQ(ks_->cache_entries(), 50u);
  uint64_t misses = ks_->cache_misses();
  EXPECT_EQ(Get("k7"), Bulk("v7"));
  EXPECT_EQ(Get("absent"), "$-1\r\n");
  // Both answered without RocksDB: a hit, and a miss that is an answer.
  EXPECT_EQ(ks_->cache_misses(), misses + 1);
  EXPECT_EQ(Set("absent", "now"), "+OK\r\n");
  EXPECT_EQ(Get("absent"), Bulk("now"));
  EXPECT_EQ(ks_->key_count(), 51);
}

TEST_F(CompleteCacheTest, BoundingTheCacheEndsCompletenessAndReadsGoToDisk) {
  for (int i = 0; i < 200; ++i) Set("k" + std::to_string(i), std::string(100, 'x'));
  Flush();
  ASSERT_TRUE(ks_->Complete());
  ks_->SetMaxMemory(64 * 1024, kNow);
  EXPECT_FALSE(ks_->Complete());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(Get("k" + std::to_string(i)), Bulk(std::string(100, 'x'))) << i;
  }
  ks_->SetMaxMemory(0, kNow);
  EXPECT_FALSE(ks_->Complete());  // until a restart reloads everything
  EXPECT_EQ(Get("never-written"), "$-1\r\n");
}

}  // namespace
}  // namespace shoal::storage
