// Redis Cluster hash slots: CRC16-XMODEM and {hash tags}.
#include "core/keyslot.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace shoal {
namespace {

TEST(Crc16Xmodem, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc16Xmodem("123456789"), 0x31C3);
  EXPECT_EQ(Crc16Xmodem(""), 0);
}

TEST(KeySlot, MatchesKnownRedisClusterSlots) {
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("somekey"), 11058);
  EXPECT_EQ(KeySlot("foo{hash_tag}"), 2515);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlot, HashTagPutsKeysInTheSameSlot) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("a{tag}b"), KeySlot("tag"));
}

TEST(KeySlot, EmptyTagHashesTheWholeKey) {
  EXPECT_EQ(KeySlot("foo{}{bar}"), Crc16Xmodem("foo{}{bar}") % kSlotCount);
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
}

TEST(KeySlot, OnlyTheFirstTagCounts) {
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
}

TEST(KeySlot, UnclosedBraceHashesTheWholeKey) {
  EXPECT_EQ(KeySlot("foo{bar"), Crc16Xmodem("foo{bar") % kSlotCount);
  EXPECT_EQ(KeySlot("foo}bar{"), Crc16Xmodem("foo}bar{") % kSlotCount);
}

TEST(KeySlot, IsAlwaysBelowTheSlotCount) {
  std::mt19937 rng(5);
  for (int i = 0; i < 10000; ++i) {
    std::string key(rng() % 20, '\0');
    for (auto& c : key) c = static_cast<char>(rng() & 0xff);
    EXPECT_LT(KeySlot(key), kSlotCount);
  }
}

}  // namespace
}  // namespace shoal

namespace shoal {
namespace {

// Bit-at-a-time CRC16-XMODEM, the definition the sliced tables must match.
uint16_t ReferenceCrc16(std::string_view data) {
  uint16_t crc = 0;
  for (char ch : data) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(ch) << 8);
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

TEST(Crc16Xmodem, SlicedTablesMatchTheBitwiseDefinitionAtEveryLength) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 100; ++len) {
    for (int round = 0; round < 20; ++round) {
      std::string s(len, '\0');
      for (auto& c : s) c = static_cast<char>(rng());
      ASSERT_EQ(Crc16Xmodem(s), ReferenceCrc16(s)) << "length " << len;
    }
  }
}

}  // namespace
}  // namespace shoal
