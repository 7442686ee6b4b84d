#include "config/param_builders.h"

#include <utility>

#include "core/strutil.h"

namespace shoal::config {

Result<uint64_t> ParseMemory(std::string_view s) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  if (digits == 0) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a memory value");
  }
  const std::string unit = ToLower(s.substr(digits));
  uint64_t mul = 0;
  if (unit.empty() || unit == "b") {
    mul = 1;
  } else if (unit == "k") {
    mul = 1000;
  } else if (unit == "kb") {
    mul = 1024;
  } else if (unit == "m") {
    mul = 1000ULL * 1000;
  } else if (unit == "mb") {
    mul = 1024ULL * 1024;
  } else if (unit == "g") {
    mul = 1000ULL * 1000 * 1000;
  } else if (unit == "gb") {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return Status::InvalidArgument("'" + std::string(s) + "' has an unknown memory unit");
  }
  // Redis keeps memory settings in a long long, and several of our fields
  // are int64_t, so INT64_MAX is the ceiling rather than UINT64_MAX.
  constexpr uint64_t kMax = static_cast<uint64_t>(internal::kInt64Max);
  uint64_t n = 0;
  for (size_t i = 0; i < digits; ++i) {
    const uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (n > (kMax - d) / 10) {
      return Status::InvalidArgument("'" + std::string(s) + "' is too large");
    }
    n = n * 10 + d;
  }
  if (n > kMax / mul) return Status::InvalidArgument("'" + std::string(s) + "' is too large");
  return n * mul;
}

namespace internal {
namespace {

std::string RangeReason(int64_t min, int64_t max) {
  if (min == kInt64Min && max == kInt64Max) return "must be an integer";
  if (max == kInt64Max) return "must be an integer >= " + std::to_string(min);
  return "must be an integer in " + std::to_string(min) + ".." + std::to_string(max);
}

// "1mb (1048576)" for round binary sizes, plain bytes otherwise.
std::string MemoryText(uint64_t bytes) {
  constexpr uint64_t kMb = 1024 * 1024ULL;
  if (bytes >= kMb && bytes % kMb == 0) {
    return std::to_string(bytes / kMb) + "mb (" + std::to_string(bytes) + " bytes)";
  }
  return std::to_string(bytes) + " bytes";
}

}  // namespace

Result<int64_t> ParseIntInRange(std::string_view v, int64_t min, int64_t max) {
  std::optional<int64_t> n = ParseInt64(v);
  if (!n || *n < min || *n > max) return Status::InvalidArgument(RangeReason(min, max));
  return *n;
}

Result<uint64_t> ParseMemoryAtLeast(std::string_view v, uint64_t min) {
  Result<uint64_t> r = ParseMemory(v);
  if (!r.ok()) {
    return Status::InvalidArgument(
        "must be a memory value: bytes, or a number "
        "with k, kb, m, mb, g or gb");
  }
  if (*r < min) return Status::InvalidArgument("must be at least " + MemoryText(min));
  return r;
}

Result<bool> ParseYesNo(std::string_view v) {
  if (EqualsIgnoreCase(v, "yes")) return true;
  if (EqualsIgnoreCase(v, "no")) return false;
  return Status::InvalidArgument("must be yes or no");
}

Result<std::string> ParseChoice(std::string_view v, const std::vector<std::string>& choices) {
  for (const std::string& c : choices) {
    if (EqualsIgnoreCase(v, c)) return c;
  }
  std::string reason = "must be one of ";
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) reason += ", ";
    reason += choices[i];
  }
  return Status::InvalidArgument(std::move(reason));
}

Param EnumParam(std::string name, std::string help, std::string ServerConfig::*field,
                std::vector<std::string> choices) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.get = [field](const ServerConfig& c) { return c.*field; };
  p.set = [field, choices = std::move(choices)](ServerConfig& c, std::string_view v) -> Status {
    Result<std::string> r = ParseChoice(v, choices);
    if (!r.ok()) return r.status();
    c.*field = std::move(r).value();
    return Status::Ok();
  };
  return p;
}

Param StringParam(std::string name, std::string help, std::string ServerConfig::*field,
                  bool allow_empty) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.get = [field](const ServerConfig& c) { return c.*field; };
  p.set = [field, allow_empty](ServerConfig& c, std::string_view v) -> Status {
    if (v.empty() && !allow_empty) return Status::InvalidArgument("must not be empty");
    c.*field = std::string(v);
    return Status::Ok();
  };
  return p;
}

Param YesNoParam(std::string name, std::string help, bool ServerConfig::*field) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.get = [field](const ServerConfig& c) { return std::string(c.*field ? "yes" : "no"); };
  p.set = [field](ServerConfig& c, std::string_view v) -> Status {
    Result<bool> r = ParseYesNo(v);
    if (!r.ok()) return r.status();
    c.*field = *r;
    return Status::Ok();
  };
  return p;
}

}  // namespace internal
}  // namespace shoal::config
