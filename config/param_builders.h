// Internal to config/: value parsers that produce Param::set's reasons, and
// builders that turn a ServerConfig field into a Param. Every reason says
// what is wrong without naming the parameter; callers add the name.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/status.h"

namespace shoal::config::internal {

inline constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();
inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// A strict decimal integer within [min, max]. The reason describes the range
// ("must be an integer in 0..65535", "must be an integer >= 1").
Result<int64_t> ParseIntInRange(std::string_view v, int64_t min, int64_t max);
// A memory value (see ParseMemory) of at least `min` bytes.
Result<uint64_t> ParseMemoryAtLeast(std::string_view v, uint64_t min);
// "yes" or "no", case-insensitive as in Redis.
Result<bool> ParseYesNo(std::string_view v);
// One of `choices` (lower case), case-insensitive; returns the lower-case form.
Result<std::string> ParseChoice(std::string_view v, const std::vector<std::string>& choices);

// Builders for ServerConfig fields; getters report values as CONFIG GET does.
template <typename T>
Param IntParam(std::string name, std::string help, T ServerConfig::*field, int64_t min,
               int64_t max) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.get = [field](const ServerConfig& c) { return std::to_string(c.*field); };
  p.set = [field, min, max](ServerConfig& c, std::string_view v) -> Status {
    Result<int64_t> r = ParseIntInRange(v, min, max);
    if (!r.ok()) return r.status();
    c.*field = static_cast<T>(*r);
    return Status::Ok();
  };
  return p;
}

// Memory fields are reported as plain byte counts.
template <typename T>
Param MemoryParam(std::string name, std::string help, T ServerConfig::*field, uint64_t min) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help);
  p.get = [field](const ServerConfig& c) { return std::to_string(c.*field); };
  p.set = [field, min](ServerConfig& c, std::string_view v) -> Status {
    Result<uint64_t> r = ParseMemoryAtLeast(v, min);
    if (!r.ok()) return r.status();
    // ParseMemory caps values at INT64_MAX, so this fits either field type.
    c.*field = static_cast<T>(*r);
    return Status::Ok();
  };
  return p;
}

Param EnumParam(std::string name, std::string help, std::string ServerConfig::*field,
                std::vector<std::string> choices);
Param StringParam(std::string name, std::string help, std::string ServerConfig::*field,
                  bool allow_empty);

Param YesNoParam(std::string name, std::string help, bool ServerConfig::*field);

inline Param Immutable(Param p) {
  p.mutable_at_runtime = false;
  return p;
}

// Appends the compat_only parameters (compat_params.cc).
void AppendCompatParams(std::vector<Param>* params);

}  // namespace shoal::config::internal
