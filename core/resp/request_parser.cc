#include "core/resp/request_parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace shoal::resp {
namespace {

// Parses the decimal header number after '*' or '$' (line excludes CRLF).
bool ParseHeaderNumber(std::string_view line, int64_t* out) {
  if (line.empty() || line.size() > 20) return false;
  bool neg = false;
  size_t i = 0;
  if (line[0] == '-') {
    neg = true;
    i = 1;
  }
  if (i == line.size()) return false;
  int64_t v = 0;
  for (; i < line.size(); ++i) {
    if (line[i] < '0' || line[i] > '9') return false;
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (line[i] - '0');
  }
  *out = neg ? -v : v;
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void RequestParser::Reset() {
  args_.clear();
  offsets_.clear();
  inline_storage_.clear();
  error_.clear();
  consumed_ = 0;
  pos_ = 0;
  expected_ = -1;
  bulk_len_ = -1;
  bytes_wanted_ = 0;
}

RequestParser::Outcome RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  return Outcome::kError;
}

RequestParser::Outcome RequestParser::Parse(std::string_view data) {
  if (pos_ == 0) {
    args_.clear();
    offsets_.clear();
    inline_storage_.clear();
    consumed_ = 0;
    expected_ = -1;
    bulk_len_ = -1;
    bytes_wanted_ = 0;
  }
  if (data.empty()) return Outcome::kNeedMore;
  if (data[0] == '*') return ParseMultibulk(data);
  return ParseInline(data);
}

RequestParser::Outcome RequestParser::ParseMultibulk(std::string_view data) {
  if (expected_ < 0) {
    auto nl = data.find('\r', 1);
    if (nl == std::string_view::npos || nl + 1 >= data.size()) {
      if (static_cast<int64_t>(data.size()) > limits_.max_inline_bytes) {
        return Fail("Protocol error: too big mbulk count string");
      }
      return Outcome::kNeedMore;
    }
    int64_t n = 0;
    if (!ParseHeaderNumber(data.substr(1, nl - 1), &n) || n > limits_.max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (limits_.unauthenticated && n > kUnauthenticatedMaxArgs) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = nl + 2;
    if (n <= 0) {
      // "*0" and "*-1" are empty commands: consumed, nothing to run.
      consumed_ = pos_;
      pos_ = 0;
      return Outcome::kCommand;
    }
    expected_ = n;
    // Reserve modestly: the count alone must not make us allocate.
    offsets_.reserve(static_cast<size_t>(std::min<int64_t>(n, 1024)));
  }
  while (static_cast<int64_t>(offsets_.size()) < expected_) {
    if (bulk_len_ < 0) {
      if (pos_ >= data.size()) return Outcome::kNeedMore;
      if (data[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      }
      auto nl = data.find('\r', pos_ + 1);
      if (nl == std::string_view::npos || nl + 1 >= data.size()) {
        if (static_cast<int64_t>(data.size() - pos_) > limits_.max_inline_bytes) {
          return Fail("Protocol error: too big bulk count string");
        }
        return Outcome::kNeedMore;
      }
      int64_t len = 0;
      if (!ParseHeaderNumber(data.substr(pos_ + 1, nl - pos_ - 1), &len) || len < 0 ||
          len > limits_.max_bulk_bytes) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (limits_.unauthenticated && len > kUnauthenticatedMaxBulkBytes) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = nl + 2;
    }
    auto need = static_cast<size_t>(bulk_len_) + 2;
    if (data.size() - pos_ < need) {
      bytes_wanted_ = static_cast<int64_t>(need - (data.size() - pos_));
      return Outcome::kNeedMore;
    }
    if (data[pos_ + bulk_len_] != '\r' || data[pos_ + bulk_len_ + 1] != '\n') {
      return Fail("Protocol error: expected CRLF after bulk string");
    }
    offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += need;
    bulk_len_ = -1;
    bytes_wanted_ = 0;
  }
  args_.clear();
  args_.reserve(offsets_.size());
  for (auto [off, len] : offsets_) args_.emplace_back(data.data() + off, len);
  consumed_ = pos_;
  pos_ = 0;
  expected_ = -1;
  return Outcome::kCommand;
}

RequestParser::Outcome RequestParser::ParseInline(std::string_view data) {
  auto nl = data.find('\n');
  if (nl == std::string_view::npos) {
    if (static_cast<int64_t>(data.size()) > limits_.max_inline_bytes) {
      return Fail("Protocol error: too big inline request");
    }
    return Outcome::kNeedMore;
  }
  std::string_view line = data.substr(0, nl);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  inline_storage_.clear();
  if (!SplitInlineArgs(line, &inline_storage_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  args_.clear();
  for (const auto& a : inline_storage_) args_.emplace_back(a);
  consumed_ = nl + 1;
  pos_ = 0;
  return Outcome::kCommand;
}

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out) {
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= n) return true;
    std::string cur;
    bool in_dq = false, in_sq = false, done = false;
    while (!done) {
      if (in_dq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          switch (line[i]) {
            case 'n':
              cur.push_back('\n');
              break;
            case 'r':
              cur.push_back('\r');
              break;
            case 't':
              cur.push_back('\t');
              break;
            case 'b':
              cur.push_back('\b');
              break;
            case 'a':
              cur.push_back('\a');
              break;
            default:
              cur.push_back(line[i]);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else if (in_sq) {
        if (i >= n) return false;
        char c = line[i];
        if (c == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !std::isspace(static_cast<unsigned char>(line[i + 1]))) return false;
          done = true;
        } else {
          cur.push_back(c);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        char c = line[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
          done = true;
        } else if (c == '"') {
          in_dq = true;
        } else if (c == '\'') {
          in_sq = true;
        } else {
          cur.push_back(c);
        }
      }
      if (i < n) ++i;
    }
    out->push_back(std::move(cur));
  }
}

}  // namespace shoal::resp
