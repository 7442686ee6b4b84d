// Redis's error replies, word for word: clients and tests match on them.
#pragma once

namespace shoal::errors {

inline constexpr const char* kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr const char* kNotInteger = "ERR value is not an integer or out of range";
inline constexpr const char* kNotFloat = "ERR value is not a valid float";
inline constexpr const char* kOverflow = "ERR increment or decrement would overflow";
inline constexpr const char* kNanOrInf = "ERR increment would produce NaN or Infinity";
inline constexpr const char* kSyntax = "ERR syntax error";
inline constexpr const char* kNoSuchKey = "ERR no such key";
inline constexpr const char* kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr const char* kOffsetRange = "ERR offset is out of range";
inline constexpr const char* kBitOffset = "ERR bit offset is not an integer or out of range";
inline constexpr const char* kBitValue = "ERR bit is not an integer or out of range";
inline constexpr const char* kSameObject = "ERR source and destination objects are the same";
inline constexpr const char* kStoragePrefix = "ERR storage error: ";

}  // namespace shoal::errors
