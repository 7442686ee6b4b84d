#include "core/coding.h"

namespace shoal {

void PutVarint64(std::string* dst, uint64_t v) {
  // One append instead of a push_back (and capacity check) per byte.
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  dst->append(buf, n);
}

std::optional<uint64_t> GetVarint64(std::string_view* in) {
  uint64_t result = 0;
  for (int shift = 0, i = 0; i < 10 && i < static_cast<int>(in->size()); ++i, shift += 7) {
    auto byte = static_cast<uint8_t>((*in)[i]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      in->remove_prefix(i + 1);
      return result;
    }
  }
  return std::nullopt;
}

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s);
}

std::optional<std::string_view> GetLengthPrefixed(std::string_view* in) {
  auto len = GetVarint64(in);
  if (!len || *len > in->size()) return std::nullopt;
  std::string_view out = in->substr(0, *len);
  in->remove_prefix(*len);
  return out;
}

}  // namespace shoal
