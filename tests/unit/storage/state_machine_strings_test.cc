// StateMachine::Apply for the string ops (SET family, MSET, INCRBY,
// INCRBYFLOAT, APPEND, SETRANGE, SETBIT, GETDEL, GETEX): replies byte for
// byte and the resulting state.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
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

class StringOpsTest : public test_util::KeyspaceTest {};

// --- SET ---------------------------------------------------------------------

TEST_F(StringOpsTest, SetThenGet) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Get("k"), Bulk("v"));
  EXPECT_EQ(ks_->key_count(), 1);
}

TEST_F(StringOpsTest, SetKeepsBinaryKeysAndValues) {
  const std::string key("k\0\r\n", 4);
  const std::string value("\0\xff\r\n", 4);
  EXPECT_EQ(Set(key, value), Ok());
  EXPECT_EQ(Get(key), Bulk(value));
}

TEST_F(StringOpsTest, SetOverwritesWithoutAddingAKey) {
  EXPECT_EQ(Set("k", "v1"), Ok());
  EXPECT_EQ(Set("k", "v2"), Ok());
  EXPECT_EQ(Get("k"), Bulk("v2"));
  EXPECT_EQ(ks_->key_count(), 1);
}

TEST_F(StringOpsTest, SetReplacesAKeyOfAnotherType) {
  PutRecord("h", ValueType::kHash, 0, "");
  EXPECT_EQ(Set("h", "v"), Ok());
  EXPECT_EQ(Get("h"), Bulk("v"));
  EXPECT_EQ(ks_->key_count(), 1);
}

TEST_F(StringOpsTest, SetNxOnlyCreates) {
  EXPECT_EQ(Set("k", "v1", f::kNx), Ok());
  EXPECT_EQ(Set("k", "v2", f::kNx), Nil());
  EXPECT_EQ(Get("k"), Bulk("v1"));
}

TEST_F(StringOpsTest, SetNxTreatsAnExpiredKeyAsAbsent) {
  EXPECT_EQ(Set("k", "old", 0, kNow + 10), Ok());
  EXPECT_EQ(Set("k", "new", f::kNx, 0, kNow + 10), Ok());
  EXPECT_EQ(Get("k", kNow + 10), Bulk("new"));
  EXPECT_EQ(PTtl("k", kNow + 10), Int(-1));
  EXPECT_EQ(ks_->key_count(), 1);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, SetXxOnlyOverwrites) {
  EXPECT_EQ(Set("k", "v", f::kXx), Nil());
  EXPECT_EQ(Get("k"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(Set("k", "v1"), Ok());
  EXPECT_EQ(Set("k", "v2", f::kXx), Ok());
  EXPECT_EQ(Get("k"), Bulk("v2"));
}

TEST_F(StringOpsTest, SetNxWithIntegerReplyIsSetnx) {
  EXPECT_EQ(Set("k", "v1", f::kNx | f::kReplyInt), Int(1));
  EXPECT_EQ(Set("k", "v2", f::kNx | f::kReplyInt), Int(0));
  EXPECT_EQ(Get("k"), Bulk("v1"));
}

TEST_F(StringOpsTest, SetGetReturnsThePreviousValue) {
  EXPECT_EQ(Set("k", "v1", f::kGet), Nil());
  EXPECT_EQ(Get("k"), Bulk("v1"));
  EXPECT_EQ(Set("k", "v2", f::kGet), Bulk("v1"));
  EXPECT_EQ(Get("k"), Bulk("v2"));
}

TEST_F(StringOpsTest, SetNxGetReturnsTheValueItDidNotReplace) {
  EXPECT_EQ(Set("k", "v1"), Ok());
  EXPECT_EQ(Set("k", "v2", f::kNx | f::kGet), Bulk("v1"));
  EXPECT_EQ(Get("k"), Bulk("v1"));
}

TEST_F(StringOpsTest, SetXxGetOnAbsentKeyCreatesNothing) {
  EXPECT_EQ(Set("k", "v", f::kXx | f::kGet), Nil());
  EXPECT_EQ(Get("k"), Nil());
}

TEST_F(StringOpsTest, SetGetOnAnotherTypeIsWrongTypeAndChangesNothing) {
  PutRecord("h", ValueType::kHash, 0, "");
  EXPECT_EQ(Set("h", "v", f::kGet), Err(errors::kWrongType));
  std::string type;
  resp::Writer w(&type);
  reads::Type(*ks_, "h", kNow, w);
  EXPECT_EQ(type, "+hash\r\n");
}

TEST_F(StringOpsTest, SetWithExpiryAndWithoutKeepTtlClearsIt) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(PTtl("k"), Int(5000));
  EXPECT_EQ(PExpireTime("k"), Int(kNow + 5000));
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
  EXPECT_EQ(Set("k", "v2"), Ok());
  EXPECT_EQ(PTtl("k"), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, SetKeepTtlKeepsTheExpiry) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 5000), Ok());
  EXPECT_EQ(Set("k", "v2", f::kKeepTtl, 0, kNow + 1000), Ok());
  EXPECT_EQ(Get("k", kNow + 1000), Bulk("v2"));
  EXPECT_EQ(PExpireTime("k", kNow + 1000), Int(kNow + 5000));
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
}

TEST_F(StringOpsTest, SetKeepTtlOnAbsentOrExpiredKeySetsNoExpiry) {
  EXPECT_EQ(Set("a", "v", f::kKeepTtl), Ok());
  EXPECT_EQ(PTtl("a"), Int(-1));
  EXPECT_EQ(Set("b", "v", 0, kNow + 10), Ok());
  EXPECT_EQ(Set("b", "v2", f::kKeepTtl, 0, kNow + 20), Ok());
  EXPECT_EQ(PTtl("b", kNow + 20), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, ExpiredKeyReadsAsAbsentAndIsReported) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 100), Ok());
  EXPECT_EQ(Get("k", kNow + 99), Bulk("v"));
  (void)ks_->TakeNotedExpired();
  EXPECT_EQ(Get("k", kNow + 100), Nil());
  EXPECT_EQ(PTtl("k", kNow + 100), Int(-2));
  auto noted = ks_->TakeNotedExpired();
  ASSERT_FALSE(noted.empty());
  EXPECT_EQ(noted[0], "k");
  // Reads never delete: the record is still there for the log to remove.
  EXPECT_EQ(ks_->key_count(), 1);
}

// --- MSET / MSETNX -----------------------------------------------------------

TEST_F(StringOpsTest, MSetWritesEveryPairAndTheLastValueOfADuplicateWins) {
  EXPECT_EQ(Apply(OpCode::kMSet, {"a", "1", "b", "2", "a", "3"}), Ok());
  EXPECT_EQ(Get("a"), Bulk("3"));
  EXPECT_EQ(Get("b"), Bulk("2"));
  EXPECT_EQ(ks_->key_count(), 2);
}

TEST_F(StringOpsTest, MSetClearsExpiries) {
  EXPECT_EQ(Set("a", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Apply(OpCode::kMSet, {"a", "1"}), Ok());
  EXPECT_EQ(PTtl("a"), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, MSetNxWritesAllOrNothing) {
  EXPECT_EQ(Apply(OpCode::kMSetNx, {"a", "1", "b", "2"}), Int(1));
  EXPECT_EQ(Apply(OpCode::kMSetNx, {"c", "3", "a", "x"}), Int(0));
  EXPECT_EQ(Get("a"), Bulk("1"));
  EXPECT_EQ(Get("c"), Nil());
  EXPECT_EQ(ks_->key_count(), 2);
}

// --- INCRBY ------------------------------------------------------------------

TEST_F(StringOpsTest, IncrByStartsFromZero) {
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 5), Int(5));
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, -7), Int(-2));
  EXPECT_EQ(Get("n"), Bulk("-2"));
}

TEST_F(StringOpsTest, IncrByReachesTheInt64Extremes) {
  EXPECT_EQ(Set("n", "9223372036854775806"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 1), Int(INT64_MAX));
  EXPECT_EQ(Set("m", "-9223372036854775807"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"m"}, 0, -1), Int(INT64_MIN));
}

TEST_F(StringOpsTest, IncrByOverflowIsAnErrorAndChangesNothing) {
  EXPECT_EQ(Set("n", "9223372036854775807"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 1), Err(errors::kOverflow));
  EXPECT_EQ(Get("n"), Bulk("9223372036854775807"));
  EXPECT_EQ(Set("m", "-9223372036854775808"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"m"}, 0, -1), Err(errors::kOverflow));
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"m"}, 0, INT64_MIN), Err(errors::kOverflow));
  EXPECT_EQ(Get("m"), Bulk("-9223372036854775808"));
}

TEST_F(StringOpsTest, IncrByOnANonIntegerIsAnError) {
  for (const char* v : {"abc", " 1", "1 ", "1.5", "01", "-0", "", "99999999999999999999"}) {
    EXPECT_EQ(Set("n", v), Ok());
    EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 1), Err(errors::kNotInteger)) << "'" << v << "'";
    EXPECT_EQ(Get("n"), Bulk(v));
  }
}

TEST_F(StringOpsTest, IncrByOnAnotherTypeIsWrongType) {
  PutRecord("h", ValueType::kHash, 0, "");
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"h"}, 0, 1), Err(errors::kWrongType));
}

TEST_F(StringOpsTest, IncrByKeepsTheExpiry) {
  EXPECT_EQ(Set("n", "1", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 1), Int(2));
  EXPECT_EQ(PExpireTime("n"), Int(kNow + 5000));
}

TEST_F(StringOpsTest, IncrByOnAnExpiredKeyStartsFromZeroWithoutExpiry) {
  EXPECT_EQ(Set("n", "41", 0, kNow + 10), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"n"}, 0, 1, kNow + 10), Int(1));
  EXPECT_EQ(PTtl("n", kNow + 10), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(ks_->key_count(), 1);
}

// --- INCRBYFLOAT -------------------------------------------------------------

TEST_F(StringOpsTest, IncrByFloatFormatsLikeRedis) {
  EXPECT_EQ(Set("f", "10.5"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Get("f"), Bulk("10.6"));
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "-5"}), Bulk("5.6"));
}

TEST_F(StringOpsTest, IncrByFloatAcceptsExponents) {
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "5.0e3"}), Bulk("5000"));
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "2.0e2"}), Bulk("5200"));
}

TEST_F(StringOpsTest, IncrByFloatOnAnIntegerValue) {
  EXPECT_EQ(Set("f", "3"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "1.5"}), Bulk("4.5"));
}

TEST_F(StringOpsTest, IncrByFloatOnANonFloatIsAnError) {
  EXPECT_EQ(Set("f", "abc"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "1"}), Err(errors::kNotFloat));
  EXPECT_EQ(Set("g", "1"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"g", "x"}), Err(errors::kNotFloat));
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"g", " 1"}), Err(errors::kNotFloat));
  EXPECT_EQ(Get("g"), Bulk("1"));
}

TEST_F(StringOpsTest, IncrByFloatToInfinityIsAnErrorAndChangesNothing) {
  EXPECT_EQ(Set("f", "1"), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "inf"}), Err(errors::kNanOrInf));
  EXPECT_EQ(Get("f"), Bulk("1"));
}

TEST_F(StringOpsTest, IncrByFloatKeepsTheExpiry) {
  EXPECT_EQ(Set("f", "1", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kIncrByFloat, {"f", "0.5"}), Bulk("1.5"));
  EXPECT_EQ(PExpireTime("f"), Int(kNow + 5000));
}

// --- APPEND ------------------------------------------------------------------

TEST_F(StringOpsTest, AppendCreatesAndExtends) {
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", "Hello"}), Int(5));
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", " World"}), Int(11));
  EXPECT_EQ(Get("s"), Bulk("Hello World"));
}

TEST_F(StringOpsTest, AppendStopsAtTheMaximumStringSize) {
  sm_->options().max_string_bytes = 10;
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", "12345"}), Int(5));
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", "67890"}), Int(10));
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", "x"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Get("s"), Bulk("1234567890"));
  EXPECT_EQ(Apply(OpCode::kAppend, {"t", "12345678901"}), Err(errors::kStringTooLong));
  EXPECT_EQ(Get("t"), Nil());
}

TEST_F(StringOpsTest, AppendKeepsTheExpiry) {
  EXPECT_EQ(Set("s", "a", 0, kNow + 5000), Ok());
  EXPECT_EQ(Apply(OpCode::kAppend, {"s", "b"}), Int(2));
  EXPECT_EQ(PExpireTime("s"), Int(kNow + 5000));
}

TEST_F(StringOpsTest, AppendOnAnotherTypeIsWrongType) {
  PutRecord("h", ValueType::kHash, 0, "");
  EXPECT_EQ(Apply(OpCode::kAppend, {"h", "x"}), Err(errors::kWrongType));
}

// --- SETRANGE ----------------------------------------------------------------

TEST_F(StringOpsTest, SetRangeOverwritesInPlace) {
  EXPECT_EQ(Set("s", "Hello World"), Ok());
  EXPECT_EQ(Apply(OpCode::kSetRange, {"s", "Redis"}, 0, 6), Int(11));
  EXPECT_EQ(Get("s"), Bulk("Hello Redis"));
}

TEST_F(StringOpsTest, SetRangePadsWithZeroBytes) {
  EXPECT_EQ(Apply(OpCode::kSetRange, {"s", "x"}, 0, 5), Int(6));
  EXPECT_EQ(Get("s"), Bulk(std::string("\0\0\0\0\0x", 6)));
}

TEST_F(StringOpsTest, SetRangeWithEmptyValueCreatesNothing) {
  EXPECT_EQ(Apply(OpCode::kSetRange, {"s", ""}, 0, 5), Int(0));
  EXPECT_EQ(Get("s"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(Set("t", "abc"), Ok());
  EXPECT_EQ(Apply(OpCode::kSetRange, {"t", ""}, 0, 100), Int(3));
  EXPECT_EQ(Get("t"), Bulk("abc"));
}

TEST_F(StringOpsTest, SetRangeStopsAtTheMaximumStringSize) {
  sm_->options().max_string_bytes = 10;
  EXPECT_EQ(Apply(OpCode::kSetRange, {"s", "abc"}, 0, 7), Int(10));
  EXPECT_EQ(Apply(OpCode::kSetRange, {"s", "abc"}, 0, 8), Err(errors::kStringTooLong));
  EXPECT_EQ(Get("s"), Bulk(std::string(7, '\0') + "abc"));
}

// An op from the log is trusted input, but a huge offset must still be an
// error reply, not a signed overflow followed by an exception out of Apply.
TEST_F(StringOpsTest, SetRangeWithAHugeOffsetIsAnErrorNotAnException) {
  std::string reply;
  try {
    reply = Apply(OpCode::kSetRange, {"s", "x"}, 0, INT64_MAX);
  } catch (const std::exception& e) {
    FAIL() << "Apply threw: " << e.what();
  }
  EXPECT_EQ(reply, Err(errors::kStringTooLong));
  EXPECT_EQ(Get("s"), Nil());
}

// --- SETBIT ------------------------------------------------------------------

TEST_F(StringOpsTest, SetBitReturnsThePreviousBit) {
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 1, 7), Int(0));
  EXPECT_EQ(Get("b"), Bulk("\x01"));
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 1, 0), Int(0));
  EXPECT_EQ(Get("b"), Bulk("\x81"));
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 0, 7), Int(1));
  EXPECT_EQ(Get("b"), Bulk("\x80"));
}

TEST_F(StringOpsTest, SetBitGrowsTheStringWithZeroBytes) {
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 1, 100), Int(0));
  std::string expected(13, '\0');
  expected[12] = '\x08';
  EXPECT_EQ(Get("b"), Bulk(expected));
}

TEST_F(StringOpsTest, SetBitStopsAtTheMaximumStringSize) {
  sm_->options().max_string_bytes = 4;
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 1, 31), Int(0));
  EXPECT_EQ(Apply(OpCode::kSetBit, {"b"}, 1, 32), Err(errors::kStringTooLong));
  EXPECT_EQ(Get("b"), Bulk(std::string("\0\0\0\x01", 4)));
}

// --- GETDEL / GETEX ----------------------------------------------------------

TEST_F(StringOpsTest, GetDelReturnsAndDeletes) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Apply(OpCode::kGetDel, {"k"}), Bulk("v"));
  EXPECT_EQ(Get("k"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
  EXPECT_EQ(Apply(OpCode::kGetDel, {"k"}), Nil());
}

TEST_F(StringOpsTest, GetDelOfAnExpiredKeyRepliesNilAndRemovesTheRecord) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 10), Ok());
  EXPECT_EQ(Apply(OpCode::kGetDel, {"k"}, 0, 0, kNow + 10), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, GetExPersistRemovesTheExpiry) {
  EXPECT_EQ(Set("k", "v", 0, kNow + 1000), Ok());
  EXPECT_EQ(Apply(OpCode::kGetEx, {"k"}, f::kPersist), Bulk("v"));
  EXPECT_EQ(PTtl("k"), Int(-1));
  EXPECT_EQ(ks_->keys_with_expiry(), 0);
}

TEST_F(StringOpsTest, GetExSetsAnExpiry) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Apply(OpCode::kGetEx, {"k"}, f::kSetExpire, kNow + 3000), Bulk("v"));
  EXPECT_EQ(PTtl("k"), Int(3000));
  EXPECT_EQ(ks_->keys_with_expiry(), 1);
}

TEST_F(StringOpsTest, GetExWithAPastTimeReturnsTheValueAndDeletes) {
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(Apply(OpCode::kGetEx, {"k"}, f::kSetExpire, kNow), Bulk("v"));
  EXPECT_EQ(Get("k"), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
}

TEST_F(StringOpsTest, GetExOnAMissingKeyIsNil) {
  EXPECT_EQ(Apply(OpCode::kGetEx, {"k"}, f::kPersist), Nil());
  EXPECT_EQ(ks_->key_count(), 0);
}

// --- Bookkeeping of the apply itself -----------------------------------------

TEST_F(StringOpsTest, ChangesCountsOnlyOpsThatWrote) {
  EXPECT_EQ(sm_->changes(), 0u);
  EXPECT_EQ(Set("k", "v"), Ok());
  EXPECT_EQ(sm_->changes(), 1u);
  EXPECT_EQ(Set("k", "v2", f::kNx), Nil());
  EXPECT_EQ(Apply(OpCode::kIncrBy, {"k"}, 0, 1), Err(errors::kNotInteger));
  EXPECT_EQ(Apply(OpCode::kGetDel, {"missing"}), Nil());
  EXPECT_EQ(sm_->changes(), 1u);
}

TEST_F(StringOpsTest, ApplyWithoutAReplyStillChangesState) {
  // Followers apply with no client to answer.
  Op op;
  op.code = OpCode::kSet;
  op.now_ms = kNow;
  op.args = {"k", "v"};
  sm_->Apply(op, nullptr);
  EXPECT_EQ(Get("k"), Bulk("v"));
}

}  // namespace
}  // namespace shoal::storage
