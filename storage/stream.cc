#include "storage/stream.h"

#include <cerrno>
#include <cstdlib>

#include "core/coding.h"
#include "core/strutil.h"

namespace shoal::storage::stream {
namespace {

// An unsigned decimal as Redis's string2ull reads it: a plain integer
// ("0", no leading zeros, no sign) or else whatever strtoull consumes
// whole (leading spaces, a sign, leading zeros: "+5", " 6", "007").
std::optional<uint64_t> ParseU64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto v = ParseInt64(s)) {
    if (*v < 0) return std::nullopt;
    return static_cast<uint64_t>(*v);
  }
  const std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(buf.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || end != buf.c_str() + buf.size()) return std::nullopt;
  return static_cast<uint64_t>(v);
}

// Redis parses IDs in a 128-byte buffer: longer arguments are invalid.
constexpr size_t kMaxIdLen = 127;

void PutI64(std::string* out, int64_t v) { PutFixed64BE(out, static_cast<uint64_t>(v)); }
int64_t GetI64(const char* p) { return static_cast<int64_t>(DecodeFixed64BE(p)); }

}  // namespace

std::string StreamId::ToString() const { return std::to_string(ms) + "-" + std::to_string(seq); }

std::string StreamId::Encode() const {
  std::string out;
  out.reserve(16);
  PutFixed64BE(&out, ms);
  PutFixed64BE(&out, seq);
  return out;
}

StreamId StreamId::Decode(std::string_view sixteen) {
  if (sixteen.size() < 16) return {};
  return {DecodeFixed64BE(sixteen.data()), DecodeFixed64BE(sixteen.data() + 8)};
}

bool StreamId::Incr() {
  if (seq != UINT64_MAX) {
    ++seq;
    return true;
  }
  if (ms == UINT64_MAX) return false;
  ++ms;
  seq = 0;
  return true;
}

bool StreamId::Decr() {
  if (seq != 0) {
    --seq;
    return true;
  }
  if (ms == 0) return false;
  --ms;
  seq = UINT64_MAX;
  return true;
}

std::optional<StreamId> ParseId(std::string_view s, uint64_t missing_seq, bool allow_specials) {
  if (s.size() > kMaxIdLen) return std::nullopt;
  if (allow_specials && s == "-") return StreamId{};
  if (allow_specials && s == "+") return StreamId::Max();
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto ms = ParseU64(s);
    if (!ms) return std::nullopt;
    return StreamId{*ms, missing_seq};
  }
  auto ms = ParseU64(s.substr(0, dash));
  auto seq = ParseU64(s.substr(dash + 1));
  if (!ms || !seq) return std::nullopt;
  return StreamId{*ms, *seq};
}

std::optional<StreamId> ParseRangeBound(std::string_view s, bool start, bool* empty) {
  bool exclusive = false;
  if (!s.empty() && s[0] == '(') {
    exclusive = true;
    s.remove_prefix(1);
  }
  // Exclusive "-" / "+" are invalid (Redis).
  if (exclusive && (s == "-" || s == "+")) return std::nullopt;
  auto id = ParseId(s, start ? 0 : UINT64_MAX, /*allow_specials=*/true);
  if (!id) return std::nullopt;
  if (exclusive && !(start ? id->Incr() : id->Decr())) *empty = true;
  return id;
}

std::optional<AddIdSpec> ParseAddId(std::string_view s) {
  AddIdSpec spec;
  if (s.size() > kMaxIdLen) return std::nullopt;
  if (s == "*") {
    spec.auto_ms = true;
    return spec;
  }
  size_t dash = s.find('-');
  if (dash != std::string_view::npos && s.substr(dash + 1) == "*") {
    auto ms = ParseU64(s.substr(0, dash));
    if (!ms) return std::nullopt;
    spec.auto_seq = true;
    spec.id.ms = *ms;
    return spec;
  }
  auto id = ParseId(s, 0, false);
  if (!id) return std::nullopt;
  spec.id = *id;
  return spec;
}

std::optional<StreamId> NextAddId(const AddIdSpec& spec, StreamId last, int64_t now_ms,
                                  const char** error) {
  if (spec.auto_ms) {
    auto now = static_cast<uint64_t>(now_ms < 0 ? 0 : now_ms);
    if (now > last.ms) return StreamId{now, 0};
    StreamId id = last;
    if (!id.Incr()) {
      *error = kIdExhausted;
      return std::nullopt;
    }
    return id;
  }
  if (spec.auto_seq) {
    if (spec.id.ms > last.ms) return StreamId{spec.id.ms, 0};
    if (spec.id.ms < last.ms || last.seq == UINT64_MAX) {
      *error = kIdTooSmall;
      return std::nullopt;
    }
    return StreamId{last.ms, last.seq + 1};
  }
  if (spec.id.IsZero()) {
    *error = kIdZero;
    return std::nullopt;
  }
  if (spec.id <= last) {
    *error = kIdTooSmall;
    return std::nullopt;
  }
  return spec.id;
}

std::string EncodeState(const StreamState& s) {
  std::string out;
  out.append(s.last_id.Encode());
  out.append(s.max_deleted_id.Encode());
  PutFixed64BE(&out, s.entries_added);
  return out;
}

std::optional<StreamState> DecodeState(std::string_view v) {
  if (v.size() < 40) return std::nullopt;
  StreamState s;
  s.last_id = StreamId::Decode(v.substr(0, 16));
  s.max_deleted_id = StreamId::Decode(v.substr(16, 16));
  s.entries_added = DecodeFixed64BE(v.data() + 32);
  return s;
}

std::string EncodeFields(const std::vector<std::pair<std::string_view, std::string_view>>& fv) {
  size_t n = 8;
  for (const auto& [f, v] : fv) n += f.size() + v.size() + 4;
  std::string out;
  out.reserve(n);
  PutVarint64(&out, fv.size());
  for (const auto& [f, v] : fv) {
    PutLengthPrefixed(&out, f);
    PutLengthPrefixed(&out, v);
  }
  return out;
}

bool DecodeFields(std::string_view v,
                  std::vector<std::pair<std::string_view, std::string_view>>* fv) {
  fv->clear();
  auto n = GetVarint64(&v);
  if (!n || *n > v.size()) return false;
  fv->reserve(*n);
  for (uint64_t i = 0; i < *n; ++i) {
    auto f = GetLengthPrefixed(&v);
    if (!f) return false;
    auto val = GetLengthPrefixed(&v);
    if (!val) return false;
    fv->emplace_back(*f, *val);
  }
  return v.empty();
}

std::string EncodeGroup(const GroupState& g) {
  std::string out = g.last_delivered.Encode();
  PutI64(&out, g.entries_read);
  PutFixed64BE(&out, g.pending);
  return out;
}

std::optional<GroupState> DecodeGroup(std::string_view v) {
  if (v.size() < 32) return std::nullopt;
  GroupState g;
  g.last_delivered = StreamId::Decode(v.substr(0, 16));
  g.entries_read = GetI64(v.data() + 16);
  g.pending = DecodeFixed64BE(v.data() + 24);
  return g;
}

std::string EncodeConsumer(const ConsumerState& c) {
  std::string out;
  PutI64(&out, c.seen_ms);
  PutI64(&out, c.active_ms);
  PutFixed64BE(&out, c.pending);
  return out;
}

std::optional<ConsumerState> DecodeConsumer(std::string_view v) {
  if (v.size() < 24) return std::nullopt;
  ConsumerState c;
  c.seen_ms = GetI64(v.data());
  c.active_ms = GetI64(v.data() + 8);
  c.pending = DecodeFixed64BE(v.data() + 16);
  return c;
}

std::string EncodePending(const PendingEntry& p) {
  std::string out;
  PutI64(&out, p.delivery_ms);
  PutFixed64BE(&out, p.delivery_count);
  out.append(p.consumer);
  return out;
}

std::optional<PendingEntry> DecodePending(std::string_view v) {
  if (v.size() < 16) return std::nullopt;
  PendingEntry p;
  p.delivery_ms = GetI64(v.data());
  p.delivery_count = DecodeFixed64BE(v.data() + 8);
  p.consumer.assign(v.substr(16));
  return p;
}

std::string GroupPart(std::string_view group) {
  std::string out;
  PutFixed32BE(&out, static_cast<uint32_t>(group.size()));
  out.append(group);
  return out;
}

std::string ConsumerRest(std::string_view group, std::string_view consumer) {
  std::string out = GroupPart(group);
  out.append(consumer);
  return out;
}

std::string PendingRest(std::string_view group, StreamId id) {
  std::string out = GroupPart(group);
  out.append(id.Encode());
  return out;
}

std::string ConsumerPendingPrefix(std::string_view group, std::string_view consumer) {
  std::string out = GroupPart(group);
  PutFixed32BE(&out, static_cast<uint32_t>(consumer.size()));
  out.append(consumer);
  return out;
}

std::string ConsumerPendingRest(std::string_view group, std::string_view consumer, StreamId id) {
  std::string out = ConsumerPendingPrefix(group, consumer);
  out.append(id.Encode());
  return out;
}

}  // namespace shoal::storage::stream
