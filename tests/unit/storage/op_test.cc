// The replicated operation's wire format: round trips and corruption.
#include "storage/op.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::storage {
namespace {

void ExpectSameOp(const Op& a, const Op& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.now_ms, b.now_ms);
  EXPECT_EQ(a.num, b.num);
  ASSERT_EQ(a.args.size(), b.args.size());
  for (size_t i = 0; i < a.args.size(); ++i) EXPECT_EQ(a.args[i], b.args[i]) << "arg " << i;
}

// The returned op's args are views into `args`, which must outlive it.
Op MakeOp(OpCode code, uint32_t flags, int64_t now_ms, int64_t num,
          const std::vector<std::string>& args) {
  Op op;
  op.code = code;
  op.flags = flags;
  op.now_ms = now_ms;
  op.num = num;
  for (const auto& a : args) op.args.emplace_back(a);
  return op;
}

TEST(OpCode, OnTheLogNumbersNeverChange) {
  EXPECT_EQ(static_cast<int>(OpCode::kSet), 1);
  EXPECT_EQ(static_cast<int>(OpCode::kMSet), 2);
  EXPECT_EQ(static_cast<int>(OpCode::kIncrBy), 4);
  EXPECT_EQ(static_cast<int>(OpCode::kDel), 11);
  EXPECT_EQ(static_cast<int>(OpCode::kExpire), 12);
  EXPECT_EQ(static_cast<int>(OpCode::kFlushAll), 16);
  EXPECT_EQ(static_cast<int>(OpCode::kExpireIfDue), 17);
  EXPECT_EQ(kOpFormatV1, 1);
}

TEST(Op, EncodingStartsWithVersionAndCode) {
  const std::string enc = EncodeOp(MakeOp(OpCode::kDel, 0, 0, 0, {"k"}));
  ASSERT_GE(enc.size(), 2u);
  EXPECT_EQ(enc[0], '\x01');
  EXPECT_EQ(enc[1], static_cast<char>(OpCode::kDel));
}

TEST(Op, RoundTripsEveryCode) {
  for (int c = static_cast<int>(OpCode::kSet); c <= static_cast<int>(OpCode::kExpireIfDue); ++c) {
    const std::vector<std::string> args = {"key", "value"};
    const Op op = MakeOp(static_cast<OpCode>(c), 5, 1'700'000'000'123, -42, args);
    const std::string enc = EncodeOp(op);
    auto dec = DecodeOp(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    ExpectSameOp(*dec, op);
  }
}

TEST(Op, RoundTripsExtremeNumbers) {
  for (int64_t n : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX}) {
    for (uint32_t flags : {uint32_t{0}, uint32_t{1}, UINT32_MAX}) {
      const std::vector<std::string> args = {"k"};
      const Op op = MakeOp(OpCode::kIncrBy, flags, n, n, args);
      const std::string enc = EncodeOp(op);
      auto dec = DecodeOp(enc);
      ASSERT_TRUE(dec.ok()) << dec.status().ToString();
      ExpectSameOp(*dec, op);
    }
  }
}

TEST(Op, RoundTripsBinaryEmptyAndNoArguments) {
  const std::string big(100000, 'b');
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {""}, {"", ""}, {std::string("\0\r\n\xff", 4)}, {big, "x"}}) {
    const Op op = MakeOp(OpCode::kMSet, 0, 1, 2, args);
    const std::string enc = EncodeOp(op);
    auto dec = DecodeOp(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    ExpectSameOp(*dec, op);
  }
}

TEST(Op, DecodedArgumentsPointIntoTheEntry) {
  const std::string enc = EncodeOp(MakeOp(OpCode::kSet, 0, 0, 0, {"key", "value"}));
  auto dec = DecodeOp(enc);
  ASSERT_TRUE(dec.ok());
  for (std::string_view a : dec->args) {
    EXPECT_GE(a.data(), enc.data());
    EXPECT_LE(a.data() + a.size(), enc.data() + enc.size());
  }
}

TEST(Op, RoundTripsRandomOps) {
  std::mt19937_64 rng(17);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::string> args(rng() % 6);
    for (auto& a : args) {
      a.resize(rng() % 40);
      for (auto& c : a) c = static_cast<char>(rng() & 0xff);
    }
    const Op op = MakeOp(static_cast<OpCode>(1 + rng() % 17), static_cast<uint32_t>(rng()),
                         static_cast<int64_t>(rng()), static_cast<int64_t>(rng()), args);
    const std::string enc = EncodeOp(op);
    auto dec = DecodeOp(enc);
    ASSERT_TRUE(dec.ok()) << dec.status().ToString();
    ExpectSameOp(*dec, op);
  }
}

void ExpectCorruption(std::string_view data, std::string_view msg) {
  auto dec = DecodeOp(data);
  ASSERT_FALSE(dec.ok());
  EXPECT_EQ(dec.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(dec.status().message(), msg);
}

TEST(Op, TooShortEntryIsCorruption) {
  ExpectCorruption("", "op: too short");
  ExpectCorruption("\x01", "op: too short");
}

TEST(Op, UnknownVersionIsCorruption) {
  std::string enc = EncodeOp(MakeOp(OpCode::kSet, 0, 0, 0, {"k", "v"}));
  enc[0] = '\x02';
  ExpectCorruption(enc, "op: unknown version");
  enc[0] = '\x00';
  ExpectCorruption(enc, "op: unknown version");
}

TEST(Op, UnknownCodeIsCorruption) {
  std::string enc = EncodeOp(MakeOp(OpCode::kSet, 0, 0, 0, {"k", "v"}));
  for (int code : {0, 20, 255}) {
    enc[1] = static_cast<char>(code);
    ExpectCorruption(enc, "op: unknown code");
  }
}

TEST(Op, EveryTruncationIsCorruption) {
  const std::string enc = EncodeOp(MakeOp(OpCode::kSet, 300, 1'700'000'000'000, -5, {"key", ""}));
  for (size_t n = 0; n < enc.size(); ++n) {
    auto dec = DecodeOp(enc.substr(0, n));
    ASSERT_FALSE(dec.ok()) << "length " << n;
    EXPECT_EQ(dec.status().code(), Status::Code::kCorruption);
  }
}

TEST(Op, TrailingBytesAreCorruption) {
  ExpectCorruption(EncodeOp(MakeOp(OpCode::kDel, 0, 0, 0, {"k"})) + "x", "op: trailing bytes");
}

TEST(Op, ArgumentCountBeyondTheEntryIsCorruption) {
  // version, code, flags=0, now=0, num=0, argc=100, then one short argument.
  ExpectCorruption(std::string("\x01\x0b\x00\x00\x00\x64\x01k", 8), "op: bad argc");
}

TEST(Op, ArgumentLongerThanTheEntryIsCorruption) {
  ExpectCorruption(std::string("\x01\x0b\x00\x00\x00\x01\x05k", 8), "op: truncated argument");
}

TEST(Op, FlagsBeyond32BitsAreCorruption) {
  std::string enc("\x01\x0b", 2);
  enc += "\x80\x80\x80\x80\x10";  // varint 2^32
  enc += std::string("\x00\x00\x00", 3);
  ExpectCorruption(enc, "op: bad header");
}

TEST(Op, RandomMutationsNeverCrashTheDecoder) {
  std::mt19937 rng(23);
  const std::string base = EncodeOp(MakeOp(OpCode::kSet, 3, 1'700'000'000'000, 77, {"key", "val"}));
  for (int i = 0; i < 5000; ++i) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (!s.empty()) s[at % s.size()] = static_cast<char>(rng() & 0xff);
          break;
        case 1:
          s.insert(at, 1, static_cast<char>(rng() & 0xff));
          break;
        default:
          if (at < s.size()) s.erase(at, 1);
          break;
      }
    }
    auto dec = DecodeOp(s);
    if (!dec.ok()) {
      EXPECT_EQ(dec.status().code(), Status::Code::kCorruption);
      continue;
    }
    for (std::string_view a : dec->args) {
      EXPECT_GE(a.data(), s.data());
      EXPECT_LE(a.data() + a.size(), s.data() + s.size());
    }
  }
}

}  // namespace
}  // namespace shoal::storage
