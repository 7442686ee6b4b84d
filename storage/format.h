// On-disk key and value encodings of the keyspace; docs/storage-format.md is
// the prose version. Every enum value here is on disk: never change one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::storage {

// Value types. On disk: never change the numbers.
enum class ValueType : uint8_t {
  kString = 0,
  kHash = 1,
  kList = 2,
  kSet = 3,
  kZset = 4,
  kStream = 5,
};

// The TYPE command's name of a value type.
const char* TypeName(ValueType t);

// Version of the metadata record layout. On disk: never change.
inline constexpr uint8_t kMetaFormatV1 = 1;

// The metadata record of a key (CF meta). For strings `payload` is the
// value; for collections it will hold version and size (later formats).
struct Meta {
  ValueType type = ValueType::kString;
  int64_t expire_at_ms = 0;  // absolute Unix ms; 0 = no expiry
  std::string payload;

  bool expired(int64_t now_ms) const { return expire_at_ms != 0 && expire_at_ms <= now_ms; }
};

// [slot:2 BE][key]
std::string EncodeMetaKey(uint16_t slot, std::string_view key);
// Splits an encoded meta key; nullopt if it is shorter than the prefix.
std::optional<std::pair<uint16_t, std::string_view>> DecodeMetaKey(std::string_view encoded);

// [format:1][type:1][expire_at_ms:8 BE][payload]
std::string EncodeMetaValue(ValueType type, int64_t expire_at_ms, std::string_view payload);
// nullopt on an unknown format or a short record (corruption).
std::optional<Meta> DecodeMetaValue(std::string_view encoded);
inline constexpr size_t kMetaHeaderBytes = 10;

// [expire_at_ms:8 BE][slot:2 BE][key], ordered by time for the active cycle.
std::string EncodeExpireKey(int64_t expire_at_ms, uint16_t slot, std::string_view key);
struct ExpireKey {
  int64_t expire_at_ms;
  uint16_t slot;
  std::string_view key;
};
std::optional<ExpireKey> DecodeExpireKey(std::string_view encoded);

}  // namespace shoal::storage
