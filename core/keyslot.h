// Redis Cluster key → hash slot mapping: CRC16-XMODEM of the key (or of the
// first non-empty {hash tag}) modulo 16384, so cluster-aware clients agree
// with shoal on where every key lives.
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

inline constexpr uint16_t kSlotCount = 16384;

uint16_t Crc16Xmodem(std::string_view data);
uint16_t KeySlot(std::string_view key);

}  // namespace shoal
