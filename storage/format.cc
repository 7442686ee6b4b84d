#include "storage/format.h"

#include "core/coding.h"

namespace shoal::storage {

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString:
      return "string";
    case ValueType::kHash:
      return "hash";
    case ValueType::kList:
      return "list";
    case ValueType::kSet:
      return "set";
    case ValueType::kZset:
      return "zset";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

std::string EncodeCollMeta(const CollMeta& m) {
  std::string out;
  out.reserve(kCollMetaBytes);
  PutFixed64BE(&out, m.version);
  PutFixed64BE(&out, m.count);
  PutFixed64BE(&out, m.mod);
  PutFixed64BE(&out, m.head);
  return out;
}

std::optional<CollMeta> DecodeCollMeta(std::string_view p) {
  if (p.size() < kCollMetaBytes) return std::nullopt;
  CollMeta m;
  m.version = DecodeFixed64BE(p.data());
  m.count = DecodeFixed64BE(p.data() + 8);
  m.mod = DecodeFixed64BE(p.data() + 16);
  m.head = DecodeFixed64BE(p.data() + 24);
  return m;
}

std::string EncodeSubPrefix(uint16_t slot, std::string_view key, uint64_t version) {
  std::string out;
  out.reserve(2 + 4 + key.size() + 8 + 24);
  PutFixed16BE(&out, slot);
  PutFixed32BE(&out, static_cast<uint32_t>(key.size()));
  out.append(key);
  PutFixed64BE(&out, version);
  return out;
}

std::optional<SubKeyParts> DecodeSubKey(std::string_view e) {
  if (e.size() < 6) return std::nullopt;
  uint32_t klen = DecodeFixed32BE(e.data() + 2);
  if (e.size() < 6 + static_cast<size_t>(klen) + 8) return std::nullopt;
  SubKeyParts p;
  p.slot = DecodeFixed16BE(e.data());
  p.key = e.substr(6, klen);
  p.version = DecodeFixed64BE(e.data() + 6 + klen);
  p.rest = e.substr(6 + klen + 8);
  return p;
}

std::string EncodeMetaKey(uint16_t slot, std::string_view key) {
  std::string out;
  out.reserve(2 + key.size());
  PutFixed16BE(&out, slot);
  out.append(key);
  return out;
}

std::optional<std::pair<uint16_t, std::string_view>> DecodeMetaKey(std::string_view encoded) {
  if (encoded.size() < 2) return std::nullopt;
  return std::make_pair(DecodeFixed16BE(encoded.data()), encoded.substr(2));
}

std::string EncodeMetaValue(ValueType type, int64_t expire_at_ms, std::string_view payload) {
  std::string out;
  out.reserve(kMetaHeaderBytes + payload.size());
  out.push_back(static_cast<char>(kMetaFormatV1));
  out.push_back(static_cast<char>(type));
  PutFixed64BE(&out, static_cast<uint64_t>(expire_at_ms));
  out.append(payload);
  return out;
}

std::optional<Meta> DecodeMetaValue(std::string_view encoded) {
  if (encoded.size() < kMetaHeaderBytes) return std::nullopt;
  if (static_cast<uint8_t>(encoded[0]) != kMetaFormatV1) return std::nullopt;
  auto t = static_cast<uint8_t>(encoded[1]);
  if (t > static_cast<uint8_t>(ValueType::kStream)) return std::nullopt;
  Meta m;
  m.type = static_cast<ValueType>(t);
  m.expire_at_ms = static_cast<int64_t>(DecodeFixed64BE(encoded.data() + 2));
  m.payload.assign(encoded.substr(kMetaHeaderBytes));
  return m;
}

std::string EncodeExpireKey(int64_t expire_at_ms, uint16_t slot, std::string_view key) {
  std::string out;
  out.reserve(10 + key.size());
  PutFixed64BE(&out, static_cast<uint64_t>(expire_at_ms));
  PutFixed16BE(&out, slot);
  out.append(key);
  return out;
}

std::optional<ExpireKey> DecodeExpireKey(std::string_view encoded) {
  if (encoded.size() < 10) return std::nullopt;
  return ExpireKey{static_cast<int64_t>(DecodeFixed64BE(encoded.data())),
                   DecodeFixed16BE(encoded.data() + 8), encoded.substr(10)};
}

}  // namespace shoal::storage
