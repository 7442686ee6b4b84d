// StateMachine::Apply for the generic key ops (DEL, EXPIRE, PERSIST, RENAME,
// COPY, FLUSHALL, EXPIREIFDUE): replies byte for byte, resulting state, and
// the key_count / keys_with_expiry bookkeeping.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>

#include "storage/errors.h"
#include "storage/op.h"
#include "tests/unit/storage/keyspace_fixture.h"

namespace shoal::storage {
namespace {

using test_util::Bulk;
using test_util::Err;
using test_util::Int;
using test_util::Nil;
using test_util::Ok;
namespace f = op_flags;

class KeyOpsTest : public test_util::KeyspaceTest {
 protected:
  std::string Expire(const std::string& key, int64_t when, uint32_t flags = 0,
                     int64_t now_ms = kNow) {
    return Apply(OpCode::kExpire, {key}, flags, when, now_ms);
  }
};

// --- DEL ---------------------------------------------------------------------

TEST_F(KeyOpsTest, DelCountsOnlyExistingKeysOnce) {
  EXPECT_EQ(Set("a", "1"), Ok());
  EXPECT_EQ(Set("b", "2"), Ok());
  EXPECT_EQ(Apply(OpCode::kDel, {"a", "b", "a", "missing"}), Int(2));
  EXPECT_EQ(Get("a"), Nil());
  EXPECT_EQ(Get("b"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(Apply(OpCode::kDel, {"a"}), Int(0));
}

TEST_F(KeyOpsTest, DelRemovesAnExpiredRecordWithoutCountingIt) {
  EXPECT_EQ(Set("a", "1", 0, kNow + 10), Ok());
  EXPECT_EQ(Set("b", "2"), Ok());
  EXPECT_EQ(Apply(OpCode::kDel, {"a", "b"}, 0, 0, kNow + 10), Int(1));
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(KeyOpsTest, DeletedKeyStaysDeletedAfterFlushAndReopen) {
  EXPECT_EQ(Set("a", "1"), Ok());
  Flush();
  EXPECT_EQ(Apply(OpCode::kDel, {"a"}), Int(1));
  Reopen();
  EXPECT_EQ(Get("a"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
}

// --- EXPIRE / PERSIST --------------------------------------------------------

TEST_F(KeyOpsTest, ExpireSetsAnAbsoluteTime) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Expire("k", kNow + 10'000), Int(1));
  EXPECT_EQ(PExpireTime("k"), Int(kNow + 10'000));
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
  EXPECT_EQ(Expire("k", kNow + 20'000), Int(1));
  EXPECT_EQ(PExpireTime("k"), Int(kNow + 20'000));
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
}

TEST_F(KeyOpsTest, ExpireOnAMissingOrExpiredKeyIsZero) {
  EXPECT_EQ(Expire("missing", kNow + 1000), Int(0));
  EXPECT_EQ(Set("k", "v", 0, kNow + 10), Ok());
  EXPECT_EQ(Expire("k", kNow + 1000, 0, kNow + 10), Int(0));
  EXPECT_EQ(ks_->key_count(), 1);  // still physically there, for the log to delete
}

TEST_F(KeyOpsTest, ExpireInThePastDeletesTheKey) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Expire("k", kNow), Int(1));
  EXPECT_EQ(Get("k"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(Set("j", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(Expire("j", 1), Int(1));
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

struct ExpireCase {
  const char* name;
  bool volatile_key;  // the key has an expiry of kNow + 10'000 before
  int64_t when_offset;
  uint32_t flags;
  int reply;
};

TEST_F(KeyOpsTest, ExpireConditionsFollowRedis) {
  // A key without expiry counts as an infinite TTL for GT and LT.
  const ExpireCase cases[] = {
      {"NX on persistent", false, 5000, f::kExpNx, 1},
      {"NX on volatile", true, 5000, f::kExpNx, 0},
      {"XX on persistent", false, 5000, f::kExpXx, 0},
      {"XX on volatile", true, 5000, f::kExpXx, 1},
      {"GT on persistent", false, 5000, f::kExpGt, 0},
      {"GT later", true, 20'000, f::kExpGt, 1},
      {"GT equal", true, 10'000, f::kExpGt, 0},
      {"GT earlier", true, 5000, f::kExpGt, 0},
      {"LT on persistent", false, 5000, f::kExpLt, 1},
      {"LT earlier", true, 5000, f::kExpLt, 1},
      {"LT equal", true, 10'000, f::kExpLt, 0},
      {"LT later", true, 20'000, f::kExpLt, 0},
      {"XX GT later", true, 20'000, f::kExpXx | f::kExpGt, 1},
      {"XX LT on persistent", false, 5000, f::kExpXx | f::kExpLt, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = std::string("key-") + c.name;
    const int64_t before = c.volatile_key ? kNow + 10'000 : 0;
    EXPECT_EQ(Set(key, "v", 0, before), Ok());
    EXPECT_EQ(Expire(key, kNow + c.when_offset, c.flags), Int(c.reply));
    const int64_t after = c.reply == 1 ? kNow + c.when_offset : before;
    EXPECT_EQ(PExpireTime(key), after == 0 ? Int(-1) : Int(after));
  }
}

TEST_F(KeyOpsTest, ExpireInThePastIsStillSubjectToTheConditions) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Expire("k", kNow - 1, f::kExpGt), Int(0));
  EXPECT_EQ(Get("k"), Bulk("v"));
  EXPECT_EQ(Expire("k", kNow - 1, f::kExpXx), Int(0));
  EXPECT_EQ(Get("k"), Bulk("v"));
  EXPECT_EQ(Expire("k", kNow - 1, f::kExpLt), Int(1));
  EXPECT_EQ(Get("k"), Nil());
}

TEST_F(KeyOpsTest, PersistRemovesTheExpiry) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Apply(OpCode::kPersist, {"k"}), Int(1));
  EXPECT_EQ(PTtl("k"), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(Apply(OpCode::kPersist, {"k"}), Int(0));
  EXPECT_EQ(Apply(OpCode::kPersist, {"missing"}), Int(0));
}

TEST_F(KeyOpsTest, ExpiryIsPersistedAndIndexed) {
  EXPECT_EQ(Set("late", "v", 0, kNow + 3000), Ok());
  EXPECT_EQ(Set("early", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Set("never", "v"), Ok());
  Reopen();
  EXPECT_EQ(PExpireTime("late"), Int(kNow + 3000));
  EXPECT_EQ(ks_->keys_with_expiry(), 2);
  auto due = ks_->CollectExpired(kNow + 5000, 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, (std::vector<std::string>{"early", "late"}));
  due = ks_->CollectExpired(kNow + 2000, 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, (std::vector<std::string>{"early"}));
  due = ks_->CollectExpired(kNow + 5000, 1);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(due->size(), 1u);
}

TEST_F(KeyOpsTest, ChangingAnExpiryMovesItInTheIndex) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Expire("k", kNow + 9000), Int(1));
  Flush();
  auto due = ks_->CollectExpired(kNow + 5000, 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_TRUE(due->empty());
  due = ks_->CollectExpired(kNow + 9000, 10);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, (std::vector<std::string>{"k"}));
}

// --- EXPIREIFDUE -------------------------------------------------------------

TEST_F(KeyOpsTest, ExpireIfDueDeletesOnlyAtOrAfterTheExpiry) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 100), Ok());
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"k"}, 0, 0, kNow + 99), Int(0));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"k"}, 0, 0, kNow + 100), Int(1));
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"k"}, 0, 0, kNow + 200), Int(0));
}

TEST_F(KeyOpsTest, ExpireIfDueLeavesPersistentAndMissingKeysAlone) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"k"}, 0, 0, INT64_MAX), Int(0));
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"missing"}), Int(0));
  EXPECT_EQ(Get("k"), Bulk("v"));
}

TEST_F(KeyOpsTest, ExpireIfDueUsesTheOpClockNotTheWallClock) {
  // The expiry is long past by the wall clock, but the op says it is not due.
  EXPECT_EQ(Set("k", "v", 0, 1000, 0), Ok());
  EXPECT_EQ(Apply(OpCode::kExpireIfDue, {"k"}, 0, 0, 999), Int(0));
  EXPECT_EQ(Get("k", 999), Bulk("v"));
}

// --- RENAME ------------------------------------------------------------------

TEST_F(KeyOpsTest, RenameMovesTheValueAndTheExpiry) {
  EXPECT_EQ(Set("src", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "dst"}), Ok());
  EXPECT_EQ(Get("src"), Nil());
  EXPECT_EQ(Get("dst"), Bulk("v"));
  EXPECT_EQ(PExpireTime("dst"), Int(kNow + 5000));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
  Reopen();
  EXPECT_EQ(Get("dst"), Bulk("v"));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
}

TEST_F(KeyOpsTest, RenameReplacesTheDestinationAndItsExpiry) {
  EXPECT_EQ(Set("src", "new"), Ok());
  EXPECT_EQ(Set("dst", "old", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "dst"}), Ok());
  EXPECT_EQ(Get("dst"), Bulk("new"));
  EXPECT_EQ(PTtl("dst"), Int(-1));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(KeyOpsTest, RenameOfAMissingOrExpiredKeyIsNoSuchKey) {
  EXPECT_EQ(Apply(OpCode::kRename, {"missing", "dst"}), Err(errors::kNoSuchKey));
  EXPECT_EQ(Set("src", "v", 0, kNow + 10), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "dst"}, 0, 0, kNow + 10), Err(errors::kNoSuchKey));
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "dst"}, f::kRenameNx, 0, kNow + 10),
            Err(errors::kNoSuchKey));
  EXPECT_EQ(Get("dst", kNow + 10), Nil());
}

TEST_F(KeyOpsTest, RenameToItselfChangesNothing) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"k", "k"}), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"k", "k"}, f::kRenameNx), Int(0));
  EXPECT_EQ(Get("k"), Bulk("v"));
  EXPECT_EQ(PExpireTime("k"), Int(kNow + 5000));
  EXPECT_EQ(ks_->key_count(), 1);
}

TEST_F(KeyOpsTest, RenameNxOnlyToAFreeName) {
  EXPECT_EQ(Set("src", "1"), Ok());
  EXPECT_EQ(Set("taken", "2"), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "taken"}, f::kRenameNx), Int(0));
  EXPECT_EQ(Get("src"), Bulk("1"));
  EXPECT_EQ(Get("taken"), Bulk("2"));
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "free"}, f::kRenameNx), Int(1));
  EXPECT_EQ(Get("free"), Bulk("1"));
  EXPECT_EQ(Get("src"), Nil());
  EXPECT_EQ(ks_->key_count(), 2);
}

TEST_F(KeyOpsTest, RenameNxOntoAnExpiredKeySucceeds) {
  EXPECT_EQ(Set("src", "1"), Ok());
  EXPECT_EQ(Set("dst", "old", 0, kNow + 10), Ok());
  EXPECT_EQ(Apply(OpCode::kRename, {"src", "dst"}, f::kRenameNx, 0, kNow + 10), Int(1));
  EXPECT_EQ(Get("dst", kNow + 10), Bulk("1"));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

// --- COPY --------------------------------------------------------------------

TEST_F(KeyOpsTest, CopyDuplicatesValueAndExpiry) {
  EXPECT_EQ(Set("src", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kCopy, {"src", "dst"}), Int(1));
  EXPECT_EQ(Get("src"), Bulk("v"));
  EXPECT_EQ(Get("dst"), Bulk("v"));
  EXPECT_EQ(PExpireTime("dst"), Int(kNow + 5000));
  EXPECT_EQ(ks_->key_count(), 2);
  EXPECT_EQ(ks_->keys_with_expiry(), 2);
}

TEST_F(KeyOpsTest, CopyOntoAnExistingKeyNeedsReplace) {
  EXPECT_EQ(Set("src", "new"), Ok());
  EXPECT_EQ(Set("dst", "old", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kCopy, {"src", "dst"}), Int(0));
  EXPECT_EQ(Get("dst"), Bulk("old"));
  EXPECT_EQ(Apply(OpCode::kCopy, {"src", "dst"}, f::kCopyReplace), Int(1));
  EXPECT_EQ(Get("dst"), Bulk("new"));
  EXPECT_EQ(PTtl("dst"), Int(-1));
  EXPECT_EQ(ks_->key_count(), 2);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(KeyOpsTest, CopyOfAMissingKeyIsZero) {
  EXPECT_EQ(Apply(OpCode::kCopy, {"missing", "dst"}), Int(0));
  EXPECT_EQ(Get("dst"), Nil());
}

TEST_F(KeyOpsTest, CopyOntoItselfIsAnError) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Apply(OpCode::kCopy, {"k", "k"}), Err(errors::kSameObject));
  EXPECT_EQ(Apply(OpCode::kCopy, {"k", "k"}, f::kCopyReplace), Err(errors::kSameObject));
}

// --- FLUSHALL ----------------------------------------------------------------

TEST_F(KeyOpsTest, FlushAllRemovesEverything) {
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(Set("k" + std::to_string(i), "v", 0, i % 2 ? kNow + 5000 : 0), Ok());
  }
  Flush();
  EXPECT_EQ(Set("pending", "v"), Ok());  // not yet flushed when FLUSHALL comes
  EXPECT_EQ(Apply(OpCode::kFlushAll, {}), Ok());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(Get("k1"), Nil());
  EXPECT_EQ(Get("pending"), Nil());
  EXPECT_TRUE(AllKeys().empty());
  Reopen();
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_TRUE(AllKeys().empty());
}

TEST_F(KeyOpsTest, WritesAfterFlushAllPersist) {
  EXPECT_EQ(Set("a", "1"), Ok());
  EXPECT_EQ(Apply(OpCode::kFlushAll, {}), Ok());
  EXPECT_EQ(Set("b", "2", 0, kNow + 5000), Ok());
  Reopen();
  EXPECT_EQ(Get("a"), Nil());
  EXPECT_EQ(Get("b"), Bulk("2"));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
}

TEST_F(KeyOpsTest, FlushAllOnAnEmptyKeyspaceIsOk) {
  EXPECT_EQ(Apply(OpCode::kFlushAll, {}), Ok());
  EXPECT_EQ(ks_->key_count(), 0);
}

}  // namespace
}  // namespace shoal::storage
