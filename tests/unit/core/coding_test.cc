// Fixed-width big-endian integers, varints and length-prefixed strings.
#include "core/coding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {
namespace {

TEST(Fixed16BE, RoundTripsAndIsBigEndian) {
  std::string s;
  PutFixed16BE(&s, 0x1234);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s, "\x12\x34");
  EXPECT_EQ(DecodeFixed16BE(s.data()), 0x1234);
  s.clear();
  PutFixed16BE(&s, 0xffff);
  EXPECT_EQ(DecodeFixed16BE(s.data()), 0xffff);
}

TEST(Fixed64BE, RoundTripsAndIsBigEndian) {
  std::string s;
  PutFixed64BE(&s, 0x0102030405060708ULL);
  EXPECT_EQ(s, "\x01\x02\x03\x04\x05\x06\x07\x08");
  EXPECT_EQ(DecodeFixed64BE(s.data()), 0x0102030405060708ULL);
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x80}, UINT64_MAX, uint64_t{1} << 63}) {
    std::string t;
    PutFixed64BE(&t, v);
    EXPECT_EQ(DecodeFixed64BE(t.data()), v);
  }
}

TEST(Fixed64BE, ByteOrderIsNumericOrder) {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> values;
  for (int i = 0; i < 500; ++i) values.push_back(rng() >> (rng() % 64));
  std::vector<std::string> encoded;
  for (uint64_t v : values) {
    std::string s;
    PutFixed64BE(&s, v);
    encoded.push_back(s);
  }
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    EXPECT_EQ(values[i] < values[i + 1], encoded[i] < encoded[i + 1]);
  }
}

TEST(Varint, KnownEncodings) {
  std::string s;
  PutVarint64(&s, 0);
  EXPECT_EQ(s, std::string("\x00", 1));
  s.clear();
  PutVarint64(&s, 127);
  EXPECT_EQ(s, "\x7f");
  s.clear();
  PutVarint64(&s, 128);
  EXPECT_EQ(s, "\x80\x01");
  s.clear();
  PutVarint64(&s, 300);
  EXPECT_EQ(s, "\xac\x02");
  s.clear();
  PutVarint64(&s, UINT64_MAX);
  EXPECT_EQ(s.size(), 10u);
}

TEST(Varint, RoundTripsBoundaryValues) {
  std::vector<uint64_t> values;
  for (int shift = 0; shift < 64; ++shift) {
    uint64_t p = uint64_t{1} << shift;
    values.push_back(p - 1);
    values.push_back(p);
    values.push_back(p + 1);
  }
  values.push_back(UINT64_MAX);
  std::string buf;
  for (uint64_t v : values) PutVarint64(&buf, v);
  std::string_view in = buf;
  for (uint64_t v : values) {
    auto got = GetVarint64(&in);
    ASSERT_TRUE(got.has_value()) << v;
    EXPECT_EQ(*got, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(Varint, RoundTripsRandomValues) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = rng() >> (rng() % 64);
    std::string s;
    PutVarint64(&s, v);
    std::string_view in = s;
    EXPECT_EQ(GetVarint64(&in), v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(Varint, TruncatedInputIsRejectedAndNotConsumed) {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 40);
  for (size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    EXPECT_EQ(GetVarint64(&in), std::nullopt) << "length " << n;
    EXPECT_EQ(in.size(), n);
  }
}

TEST(Varint, MoreThanTenBytesIsRejected) {
  std::string s(10, '\x80');
  s.push_back('\x01');
  std::string_view in = s;
  EXPECT_EQ(GetVarint64(&in), std::nullopt);
}

TEST(Varint, DecodingStopsAtTheEndOfTheVarint) {
  std::string s;
  PutVarint64(&s, 5);
  s += "rest";
  std::string_view in = s;
  EXPECT_EQ(GetVarint64(&in), 5u);
  EXPECT_EQ(in, "rest");
}

TEST(LengthPrefixed, RoundTripsBinaryStrings) {
  std::string buf;
  const std::vector<std::string> items = {"", "a", std::string("\0\r\n", 3), std::string(300, 'x')};
  for (const auto& s : items) PutLengthPrefixed(&buf, s);
  std::string_view in = buf;
  for (const auto& s : items) {
    auto got = GetLengthPrefixed(&in);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, s);
  }
  EXPECT_TRUE(in.empty());
}

TEST(LengthPrefixed, LengthBeyondInputIsRejected) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  for (size_t n = 0; n < buf.size(); ++n) {
    std::string_view in(buf.data(), n);
    EXPECT_EQ(GetLengthPrefixed(&in), std::nullopt) << "length " << n;
  }
}

}  // namespace
}  // namespace shoal
