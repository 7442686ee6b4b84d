// Logging set-up. Modules log through spdlog's default logger (SPDLOG_INFO
// and friends, or spdlog::info); this sets where it goes and at what level.
#pragma once

#include <string>

#include "core/status.h"

namespace shoal {

// level: one of debug, verbose, notice, warning (Redis's loglevel names) or
// spdlog's trace/debug/info/warn/error/critical/off. file: empty for stderr.
Status SetupLogging(const std::string& level, const std::string& file);

// Maps a Redis or spdlog level name to spdlog's level; false if unknown.
bool IsValidLogLevel(const std::string& level);

}  // namespace shoal
