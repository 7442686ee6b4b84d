#include "storage/op.h"

#include "core/coding.h"

namespace shoal::storage {
namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

std::string EncodeOp(const Op& op) {
  std::string out;
  size_t total = 24;
  for (auto a : op.args) total += a.size() + 5;
  out.reserve(total);
  out.push_back(static_cast<char>(kOpFormatV1));
  out.push_back(static_cast<char>(op.code));
  PutVarint64(&out, op.flags);
  PutVarint64(&out, ZigZag(op.now_ms));
  PutVarint64(&out, ZigZag(op.num));
  PutVarint64(&out, op.args.size());
  for (auto a : op.args) PutLengthPrefixed(&out, a);
  return out;
}

Result<Op> DecodeOp(std::string_view data) {
  if (data.size() < 2) return Status::Corruption("op: too short");
  if (static_cast<uint8_t>(data[0]) != kOpFormatV1)
    return Status::Corruption("op: unknown version");
  Op op;
  auto code = static_cast<uint8_t>(data[1]);
  if (code < static_cast<uint8_t>(OpCode::kSet) || code > static_cast<uint8_t>(kLastOpCode)) {
    return Status::Corruption("op: unknown code");
  }
  op.code = static_cast<OpCode>(code);
  data.remove_prefix(2);
  auto flags = GetVarint64(&data);
  auto now = GetVarint64(&data);
  auto num = GetVarint64(&data);
  auto argc = GetVarint64(&data);
  if (!flags || !now || !num || !argc || *flags > UINT32_MAX)
    return Status::Corruption("op: bad header");
  op.flags = static_cast<uint32_t>(*flags);
  op.now_ms = UnZigZag(*now);
  op.num = UnZigZag(*num);
  if (*argc > data.size()) return Status::Corruption("op: bad argc");
  op.args.reserve(*argc);
  for (uint64_t i = 0; i < *argc; ++i) {
    auto a = GetLengthPrefixed(&data);
    if (!a) return Status::Corruption("op: truncated argument");
    op.args.push_back(*a);
  }
  if (!data.empty()) return Status::Corruption("op: trailing bytes");
  return op;
}

std::string EncodeArgv(std::span<const std::string_view> argv) {
  std::string out;
  PutVarint64(&out, argv.size());
  for (auto a : argv) PutLengthPrefixed(&out, a);
  return out;
}

std::optional<std::vector<std::string_view>> DecodeArgv(std::string_view data) {
  auto n = GetVarint64(&data);
  if (!n || *n > data.size()) return std::nullopt;
  std::vector<std::string_view> out;
  out.reserve(*n);
  for (uint64_t i = 0; i < *n; ++i) {
    auto a = GetLengthPrefixed(&data);
    if (!a) return std::nullopt;
    out.push_back(*a);
  }
  if (!data.empty()) return std::nullopt;
  return out;
}

}  // namespace shoal::storage
