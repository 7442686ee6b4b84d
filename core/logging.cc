#include "core/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <optional>

namespace shoal {
namespace {

std::optional<spdlog::level::level_enum> ParseLevel(const std::string& level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "verbose") return spdlog::level::debug;
  if (level == "notice") return spdlog::level::info;
  if (level == "warning") return spdlog::level::warn;
  if (level == "nothing") return spdlog::level::off;
  auto l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off") return std::nullopt;
  return l;
}

}  // namespace

bool IsValidLogLevel(const std::string& level) { return ParseLevel(level).has_value(); }

Status SetupLogging(const std::string& level, const std::string& file) {
  auto lvl = ParseLevel(level);
  if (!lvl) return Status::InvalidArgument("unknown log level '" + level + "'");
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (file.empty()) {
      logger = spdlog::stderr_color_mt("shoal");
    } else {
      logger = spdlog::basic_logger_mt("shoal", file);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return Status::IoError(std::string("cannot open log: ") + e.what());
  }
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%L%$ [%t] %v");
  logger->set_level(*lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return Status::Ok();
}

}  // namespace shoal
