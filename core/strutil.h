// Number parsing/formatting and glob matching with Redis's exact rules, so
// replies and errors match what Redis clients expect byte for byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

// Strict base-10 int64: optional '-', no '+', no spaces, no leading zeros
// ("0" alone is fine), must fit in int64. The rule Redis applies to values
// and to numeric arguments alike.
std::optional<int64_t> ParseInt64(std::string_view s);

// A long double as Redis parses INCRBYFLOAT operands and stored values: no
// leading/trailing space, not NaN, no overflow ("inf" itself is accepted;
// INCRBYFLOAT rejects an infinite result).
std::optional<long double> ParseLongDouble(std::string_view s);

// A double as Redis parses score-like arguments ("inf", "-inf", "+inf"
// accepted; NaN rejected).
std::optional<double> ParseDouble(std::string_view s);

// INCRBYFLOAT's output form: fixed-point, trailing zeros removed.
std::string FormatLongDoubleHuman(long double v);

// A round-trippable form ("%.17g", as Redis 7.0 replies doubles), and
// "inf"/"-inf" for infinities.
std::string FormatDouble(double v);

// Redis-style glob: * ? [abc] [^a-z] and \ escapes. nocase folds ASCII case.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

}  // namespace shoal
