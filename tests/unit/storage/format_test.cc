// On-disk encodings: meta keys, meta records and expire-index keys.
#include "storage/format.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::storage {
namespace {

TEST(TypeName, NamesEveryValueType) {
  EXPECT_STREQ(TypeName(ValueType::kString), "string");
  EXPECT_STREQ(TypeName(ValueType::kHash), "hash");
  EXPECT_STREQ(TypeName(ValueType::kList), "list");
  EXPECT_STREQ(TypeName(ValueType::kSet), "set");
  EXPECT_STREQ(TypeName(ValueType::kZset), "zset");
  EXPECT_STREQ(TypeName(ValueType::kStream), "stream");
  EXPECT_STREQ(TypeName(static_cast<ValueType>(200)), "none");
}

TEST(ValueType, OnDiskNumbersNeverChange) {
  EXPECT_EQ(static_cast<int>(ValueType::kString), 0);
  EXPECT_EQ(static_cast<int>(ValueType::kHash), 1);
  EXPECT_EQ(static_cast<int>(ValueType::kList), 2);
  EXPECT_EQ(static_cast<int>(ValueType::kSet), 3);
  EXPECT_EQ(static_cast<int>(ValueType::kZset), 4);
  EXPECT_EQ(static_cast<int>(ValueType::kStream), 5);
  EXPECT_EQ(kMetaFormatV1, 1);
}

TEST(MetaKey, IsBigEndianSlotThenKey) {
  EXPECT_EQ(EncodeMetaKey(0x1234, "foo"), std::string("\x12\x34", 2) + "foo");
  EXPECT_EQ(EncodeMetaKey(0, ""), std::string("\0\0", 2));
}

TEST(MetaKey, RoundTrips) {
  const std::string binary("k\0\r\n\xff", 5);
  for (uint16_t slot : {uint16_t{0}, uint16_t{1}, uint16_t{255}, uint16_t{256}, uint16_t{16383}}) {
    for (std::string_view key :
         {std::string_view(), std::string_view("foo"), std::string_view(binary)}) {
      const std::string enc = EncodeMetaKey(slot, key);
      auto dec = DecodeMetaKey(enc);
      ASSERT_TRUE(dec.has_value());
      EXPECT_EQ(dec->first, slot);
      EXPECT_EQ(dec->second, key);
    }
  }
}

TEST(MetaKey, ShorterThanTheSlotPrefixIsRejected) {
  EXPECT_FALSE(DecodeMetaKey("").has_value());
  EXPECT_FALSE(DecodeMetaKey("\x01").has_value());
}

TEST(MetaKey, KeysOfOneSlotAreContiguousAndSlotsAreOrdered) {
  // A slot is one key range: every key of slot s sorts before every key of
  // slot s+1, whatever the key bytes.
  EXPECT_LT(EncodeMetaKey(1, "\xff\xff\xff"), EncodeMetaKey(2, ""));
  EXPECT_LT(EncodeMetaKey(255, "zzz"), EncodeMetaKey(256, "a"));
}

TEST(MetaValue, LayoutIsFormatTypeExpireThenPayload) {
  const std::string enc = EncodeMetaValue(ValueType::kSet, 0x0102030405060708LL, "pay");
  EXPECT_EQ(enc, std::string("\x01\x03\x01\x02\x03\x04\x05\x06\x07\x08pay", 13));
  EXPECT_EQ(kMetaHeaderBytes, 10u);
}

TEST(MetaValue, RoundTripsEveryTypeExpiryAndPayload) {
  const std::string binary("v\0\r\n\xff", 5);
  for (int t = 0; t <= static_cast<int>(ValueType::kStream); ++t) {
    for (int64_t expire : {int64_t{0}, int64_t{1}, int64_t{1'700'000'000'000}, INT64_MAX}) {
      for (std::string_view payload : {std::string_view(), std::string_view(binary)}) {
        auto dec = DecodeMetaValue(EncodeMetaValue(static_cast<ValueType>(t), expire, payload));
        ASSERT_TRUE(dec.has_value());
        EXPECT_EQ(dec->type, static_cast<ValueType>(t));
        EXPECT_EQ(dec->expire_at_ms, expire);
        EXPECT_EQ(dec->payload, payload);
      }
    }
  }
}

TEST(MetaValue, ShortRecordIsRejected) {
  const std::string enc = EncodeMetaValue(ValueType::kString, 123, "");
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeMetaValue(enc.substr(0, n)).has_value()) << "length " << n;
  }
  EXPECT_TRUE(DecodeMetaValue(enc).has_value());
}

TEST(MetaValue, UnknownFormatIsRejected) {
  std::string enc = EncodeMetaValue(ValueType::kString, 0, "v");
  for (int f : {0, 2, 255}) {
    enc[0] = static_cast<char>(f);
    EXPECT_FALSE(DecodeMetaValue(enc).has_value()) << "format " << f;
  }
}

TEST(MetaValue, UnknownTypeIsRejected) {
  std::string enc = EncodeMetaValue(ValueType::kString, 0, "v");
  for (int t : {6, 7, 128, 255}) {
    enc[1] = static_cast<char>(t);
    EXPECT_FALSE(DecodeMetaValue(enc).has_value()) << "type " << t;
  }
}

TEST(MetaValue, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 rng(9);
  int decoded = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string s(rng() % 24, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xff);
    if (rng() % 2 && !s.empty()) s[0] = '\x01';
    if (rng() % 2 && s.size() > 1) s[1] = static_cast<char>(rng() % 8);
    auto m = DecodeMetaValue(s);
    if (m) {
      ++decoded;
      EXPECT_GE(s.size(), kMetaHeaderBytes);
      EXPECT_LE(static_cast<int>(m->type), static_cast<int>(ValueType::kStream));
      EXPECT_EQ(m->payload.size(), s.size() - kMetaHeaderBytes);
    }
  }
  EXPECT_GT(decoded, 0);
}

TEST(Meta, ExpiredOnlyWithAnExpiryAtOrBeforeNow) {
  Meta m;
  EXPECT_FALSE(m.expired(INT64_MAX));
  m.expire_at_ms = 1000;
  EXPECT_FALSE(m.expired(999));
  EXPECT_TRUE(m.expired(1000));
  EXPECT_TRUE(m.expired(1001));
}

TEST(ExpireKey, RoundTrips) {
  const std::string binary("k\0y", 3);
  for (int64_t t : {int64_t{0}, int64_t{1}, int64_t{1'700'000'000'000}, INT64_MAX}) {
    for (uint16_t slot : {uint16_t{0}, uint16_t{16383}}) {
      for (std::string_view key : {std::string_view(), std::string_view(binary)}) {
        const std::string enc = EncodeExpireKey(t, slot, key);
        EXPECT_EQ(enc.size(), 10 + key.size());
        auto dec = DecodeExpireKey(enc);
        ASSERT_TRUE(dec.has_value());
        EXPECT_EQ(dec->expire_at_ms, t);
        EXPECT_EQ(dec->slot, slot);
        EXPECT_EQ(dec->key, key);
      }
    }
  }
}

TEST(ExpireKey, SortsByTimeFirst) {
  EXPECT_LT(EncodeExpireKey(1000, 16383, "zzz"), EncodeExpireKey(1001, 0, ""));
  EXPECT_LT(EncodeExpireKey(255, 0, "a"), EncodeExpireKey(256, 0, "a"));
  EXPECT_LT(EncodeExpireKey(5, 1, "b"), EncodeExpireKey(5, 2, "a"));
}

TEST(ExpireKey, ShortKeyIsRejected) {
  const std::string enc = EncodeExpireKey(1, 2, "");
  for (size_t n = 0; n < enc.size(); ++n) {
    EXPECT_FALSE(DecodeExpireKey(enc.substr(0, n)).has_value()) << "length " << n;
  }
}

}  // namespace
}  // namespace shoal::storage
