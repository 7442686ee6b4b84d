#include "core/keyslot.h"

#include <array>

namespace shoal {
namespace {

// Table-driven CRC16-XMODEM (polynomial 0x1021, not reflected), sliced by 8:
// kTables[k][b] is the CRC of byte b followed by k zero bytes, so eight
// input bytes are folded with eight independent lookups.
using Table = std::array<uint16_t, 256>;

constexpr std::array<Table, 8> MakeTables() {
  std::array<Table, 8> t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    t[0][i] = crc;
  }
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) {
      uint16_t prev = t[k - 1][i];
      t[k][i] = static_cast<uint16_t>((prev << 8) ^ t[0][prev >> 8]);
    }
  }
  return t;
}

constexpr auto kTables = MakeTables();

}  // namespace

uint16_t Crc16Xmodem(std::string_view data) {
  uint16_t crc = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  while (n >= 8) {
    crc = static_cast<uint16_t>(kTables[7][(crc >> 8) ^ p[0]] ^ kTables[6][(crc & 0xff) ^ p[1]] ^
                                kTables[5][p[2]] ^ kTables[4][p[3]] ^ kTables[3][p[4]] ^
                                kTables[2][p[5]] ^ kTables[1][p[6]] ^ kTables[0][p[7]]);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) {
    crc = static_cast<uint16_t>((crc << 8) ^ kTables[0][((crc >> 8) ^ *p++) & 0xff]);
  }
  return crc;
}

uint16_t KeySlot(std::string_view key) {
  // Only the part between the first '{' and the next '}' is hashed, if that
  // part is non-empty ("{}" hashes the whole key).
  auto open = key.find('{');
  if (open != std::string_view::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string_view::npos && close != open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return Crc16Xmodem(key) & (kSlotCount - 1);
}

}  // namespace shoal
