// A decoded RESP2/RESP3 reply, and an incremental parser for replies. Used by
// the client library, tests and tools (the server parses requests with
// RequestParser instead).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::resp {

struct Value {
  enum class Type : uint8_t {
    kSimple,     // +
    kError,      // -
    kInteger,    // :
    kBulk,       // $
    kNull,       // $-1, *-1, _
    kArray,      // *
    kMap,        // % (elements: k1, v1, k2, v2, ...)
    kSet,        // ~
    kPush,       // >
    kDouble,     // ,
    kBool,       // #
    kBigNumber,  // (
    kVerbatim,   // = (str holds the text after "txt:")
  };
  Type type = Type::kNull;
  std::string str;      // simple, error, bulk, big number, verbatim, double text
  int64_t integer = 0;  // integer, bool
  double dbl = 0;
  std::vector<Value> elements;

  bool is_error() const { return type == Type::kError; }
  // Debug form, e.g. [1, "a", (nil)].
  std::string ToString() const;
};

class ReplyParser {
 public:
  enum class Outcome { kValue, kNeedMore, kError };
  // Parses one reply from the front of data. On kValue, *consumed is set.
  static Outcome Parse(std::string_view data, Value* out, size_t* consumed);
};

}  // namespace shoal::resp
