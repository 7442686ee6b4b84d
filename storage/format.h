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

// The payload of a collection's metadata record (hash, list, set, zset,
// stream):
// [version:8][count:8][mod:8][head:8], big-endian.
struct CollMeta {
  uint64_t version = 0;  // names this incarnation's sub-records
  uint64_t count = 0;    // members (list: elements)
  uint64_t mod = 0;      // bumped by every write (WATCH compares it)
  uint64_t head = 0;     // lists: position of the first element
};
inline constexpr size_t kCollMetaBytes = 32;
std::string EncodeCollMeta(const CollMeta& m);
std::optional<CollMeta> DecodeCollMeta(std::string_view payload);
inline bool IsCollection(ValueType t) {
  return t == ValueType::kHash || t == ValueType::kList || t == ValueType::kSet ||
         t == ValueType::kZset || t == ValueType::kStream;
}

// CF sub: [slot:2 BE][keylen:4 BE][key][version:8 BE], then a tag byte and
// the member part (storage/coll.h).
std::string EncodeSubPrefix(uint16_t slot, std::string_view key, uint64_t version);
struct SubKeyParts {
  uint16_t slot;
  std::string_view key;
  uint64_t version;
  std::string_view rest;  // tag and member part
};
std::optional<SubKeyParts> DecodeSubKey(std::string_view encoded);

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
