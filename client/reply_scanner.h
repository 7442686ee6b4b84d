// Reply framing: finds where the first complete RESP2/RESP3 reply in a byte
// buffer ends, without decoding it (the server relays forwarded replies as
// raw bytes; decoding them would only be thrown away).
//
// Every RESP2 and RESP3 type is understood: simple string, error, integer,
// bulk string, array, null ("_", "$-1", "*-1"), double, boolean, big number,
// verbatim string, big error, map, set, push and attribute. An attribute
// ("|n" followed by n key/value pairs) belongs to the value after it, so an
// attribute plus that value is framed as one reply (also inside aggregates).
//
// The scanner never allocates: nesting is tracked in a fixed array of
// kMaxReplyDepth counters; deeper replies are malformed. It is resumable: a
// kNeedMore result keeps the progress made so far, and the next Scan() call
// continues from there, so a large aggregate arriving in many reads is
// scanned once, not once per read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shoal::client {

// Deepest aggregate nesting accepted (Redis never nests replies more than a
// few levels; the limit keeps hostile input from growing state).
inline constexpr int kMaxReplyDepth = 128;
// Largest element count accepted in one aggregate header. Real replies are
// far smaller; the cap keeps "count * 2" (maps) from overflowing.
inline constexpr int64_t kMaxAggregateCount = int64_t{1} << 32;

enum class ScanOutcome {
  kComplete,   // `length` is the byte length of the first reply
  kNeedMore,   // the buffer holds only a prefix of a valid reply
  kMalformed,  // the bytes can never become a valid reply
};

struct ScanResult {
  ScanOutcome outcome = ScanOutcome::kNeedMore;
  size_t length = 0;  // set only for kComplete
};

class ReplyScanner {
 public:
  // Scans `data`, which must start at the first byte of the reply and, on a
  // call after kNeedMore, must begin with the same bytes as before (more may
  // have been appended). After kComplete or kMalformed call Reset() before
  // scanning the next reply.
  ScanResult Scan(std::string_view data);
  void Reset();

 private:
  // pos_ is the start of the next element header not yet consumed; the
  // stack holds, per open aggregate, the number of elements still expected.
  size_t pos_ = 0;
  int depth_ = 0;
  std::array<uint64_t, kMaxReplyDepth> remaining_{};
};

// One-shot form: frames the first reply of `data`.
ScanResult ScanReply(std::string_view data);

}  // namespace shoal::client
