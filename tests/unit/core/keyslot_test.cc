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
