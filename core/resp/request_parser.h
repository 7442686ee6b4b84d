// Incremental parser for client requests: RESP multibulk ("*N\r\n$len\r\n...")
// and inline commands ("SET k v\r\n"). Plain code over bytes (no I/O), so it
// can be fuzzed and unit-tested in isolation.
//
// Usage: feed the unconsumed bytes (the current command starts at data[0]).
// On kCommand, args() point into `data` (or into the parser for unescaped
// inline arguments) and stay valid until the next Parse/Reset or until the
// caller changes `data`; consumed() bytes belong to the command. On
// kNeedMore, call again with the same bytes plus more; the parser keeps its
// progress so a huge multibulk is not re-scanned. On kError, error() holds
// the Redis-style message ("Protocol error: ..."); the connection should be
// closed after replying, as Redis does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::resp {

struct ParserLimits {
  // proto-max-bulk-len: largest single argument.
  int64_t max_bulk_bytes = 512LL * 1024 * 1024;
  // Largest multibulk element count accepted.
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
  // Longest inline command line, and longest "*N" / "$N" header line.
  int64_t max_inline_bytes = 64 * 1024;
  // A client that has not authenticated (when a password is required) may
  // send only small requests, so it cannot make the server allocate much.
  bool unauthenticated = false;
};

inline constexpr int64_t kUnauthenticatedMaxArgs = 10;
inline constexpr int64_t kUnauthenticatedMaxBulkBytes = 16 * 1024;

class RequestParser {
 public:
  enum class Outcome { kCommand, kNeedMore, kError };

  explicit RequestParser(ParserLimits limits = {}) : limits_(limits) {}

  Outcome Parse(std::string_view data);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }
  // True when the command being parsed is multibulk with a bulk argument
  // in progress; bytes_wanted() tells how many more bytes finish it, so the
  // caller can size its read buffer once for large values.
  int64_t bytes_wanted() const { return bytes_wanted_; }

  void Reset();
  void set_limits(const ParserLimits& limits) { limits_ = limits; }

 private:
  Outcome ParseMultibulk(std::string_view data);
  Outcome ParseInline(std::string_view data);
  Outcome Fail(std::string msg);

  ParserLimits limits_;
  std::vector<std::string_view> args_;
  std::vector<std::pair<size_t, size_t>> offsets_;  // (offset, len) in data
  std::vector<std::string> inline_storage_;
  std::string error_;
  size_t consumed_ = 0;
  size_t pos_ = 0;         // resume point within the current command
  int64_t expected_ = -1;  // multibulk count, -1 while unknown
  int64_t bulk_len_ = -1;  // length of the bulk being read, -1 if none
  int64_t bytes_wanted_ = 0;
};

// Splits an inline command line the way redis-cli and Redis do: whitespace
// separated, "double quoted" with \n \r \t \b \a \\ \" \xHH escapes, or
// 'single quoted' with \' only. Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* out);

}  // namespace shoal::resp
