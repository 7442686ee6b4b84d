#include "client/reply_scanner.h"

#include <cstring>

namespace shoal::client {
namespace {

// Longest decimal length/count header accepted: 18 digits stays below 2^60,
// so offset arithmetic on a length can never overflow size_t.
constexpr size_t kMaxLengthDigits = 18;
// An int64 has at most 19 digits after the sign.
constexpr size_t kMaxIntegerDigits = 19;

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A ':' or '(' payload: optional sign, then digits. Big numbers have no
// length bound.
bool ValidInteger(std::string_view s, size_t max_digits) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && s.size() <= max_digits && AllDigits(s);
}

// A length or count header: digits, or exactly "-1" (null). Returns -2 for
// anything else.
int64_t ParseLength(std::string_view s) {
  if (s == "-1") return -1;
  if (s.empty() || s.size() > kMaxLengthDigits || !AllDigits(s)) return -2;
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

void ReplyScanner::Reset() {
  pos_ = 0;
  depth_ = 0;
}

ScanResult ReplyScanner::Scan(std::string_view data) {
  constexpr ScanResult kNeedMore{ScanOutcome::kNeedMore, 0};
  constexpr ScanResult kMalformed{ScanOutcome::kMalformed, 0};
  while (true) {
    if (pos_ >= data.size()) return kNeedMore;
    const char type = data[pos_];
    const size_t line_start = pos_ + 1;
    // Headers are short, so re-finding an incomplete one on the next call
    // costs little; what was consumed before it is never rescanned.
    const void* nl = std::memchr(data.data() + line_start, '\n', data.size() - line_start);
    if (nl == nullptr) return kNeedMore;
    const auto nl_pos = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
    if (nl_pos == line_start || data[nl_pos - 1] != '\r') return kMalformed;
    const std::string_view line = data.substr(line_start, nl_pos - 1 - line_start);
    if (line.find('\r') != std::string_view::npos) return kMalformed;
    size_t next = nl_pos + 1;
    uint64_t children = 0;
    switch (type) {
      case '+':  // simple string
      case '-':  // error
        break;
      case ':':
        if (!ValidInteger(line, kMaxIntegerDigits)) return kMalformed;
        break;
      case '(':
        if (!ValidInteger(line, line.size())) return kMalformed;
        break;
      case ',':
        if (line.empty()) return kMalformed;
        break;
      case '#':
        if (line != "t" && line != "f") return kMalformed;
        break;
      case '_':
        if (!line.empty()) return kMalformed;
        break;
      case '$':    // bulk string
      case '=':    // verbatim string
      case '!': {  // big error
        const int64_t n = ParseLength(line);
        if (n == -1 && type == '$') break;  // RESP2 null bulk
        if (n < 0) return kMalformed;
        const auto len = static_cast<size_t>(n);
        if (data.size() - next < len + 2) return kNeedMore;
        if (data[next + len] != '\r' || data[next + len + 1] != '\n') return kMalformed;
        if (type == '=' && (len < 4 || data[next + 3] != ':')) return kMalformed;
        next += len + 2;
        break;
      }
      case '*':    // array
      case '~':    // set
      case '>':    // push
      case '%':    // map
      case '|': {  // attribute
        const int64_t n = ParseLength(line);
        if (n == -1 && type == '*') break;  // RESP2 null array
        if (n < 0 || n > kMaxAggregateCount) return kMalformed;
        const auto count = static_cast<uint64_t>(n);
        // An attribute's pairs are followed by the value they annotate,
        // which belongs to the same reply.
        children = type == '%' ? 2 * count : type == '|' ? 2 * count + 1 : count;
        break;
      }
      default:
        return kMalformed;
    }
    pos_ = next;
    if (children > 0) {
      if (depth_ == kMaxReplyDepth) return kMalformed;
      remaining_[depth_++] = children;
      continue;
    }
    // One element is complete; it may complete its parents too.
    while (depth_ > 0) {
      if (--remaining_[depth_ - 1] > 0) break;
      --depth_;
    }
    if (depth_ == 0) return {ScanOutcome::kComplete, pos_};
  }
}

ScanResult ScanReply(std::string_view data) {
  ReplyScanner scanner;
  return scanner.Scan(data);
}

}  // namespace shoal::client
