// shoal-server's command line, redis-server style:
//   shoal-server [config-file] [--name value]...
// CLI11 does the parsing; CLI11 throws, so every call into it is wrapped and
// nothing escapes ParseCommandLine.
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"

namespace shoal::config {
namespace {

constexpr const char* kProgram = "shoal-server";
constexpr const char* kDescription =
    "shoal: a Redis-compatible, Raft-replicated, sharded key-value server";

int Fail(const std::string& message) {
  std::cerr << kProgram << ": " << message << "\n";
  return 1;
}

// Parses argv into `cfg`; returns -1 to continue, else the exit code.
int Parse(int argc, char** argv, ServerConfig& cfg) {
  CLI::App app(kDescription, kProgram);
  app.set_version_flag("-v,--version", std::string(kProgram) + " v" + kVersion);

  std::string config_file;
  app.add_option("config-file", config_file,
                 "redis.conf-style file, applied before the --name flags");

  const std::vector<Param>& params = Params();
  const ServerConfig defaults;
  std::vector<std::string> values(params.size());
  std::vector<CLI::Option*> options(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    options[i] = app.add_option("--" + p.name, values[i], p.help);
    options[i]->type_name("VALUE");
    // As with redis-server, a repeated flag takes its last value, so a
    // wrapper script can append overrides.
    options[i]->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    options[i]->default_str(p.get(defaults));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Prints help or the version on stdout (exit code 0), errors on stderr.
    // CLI11 has its own non-zero codes per error kind; ours is always 1.
    return app.exit(e) == 0 ? 0 : 1;
  }

  // The file first, then every flag on top of it, whatever their order in
  // argv: a flag always overrides the file.
  if (!config_file.empty()) {
    Status s = ApplyConfigFile(cfg, config_file);
    if (!s.ok()) return Fail(s.message());
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (options[i]->count() == 0) continue;
    Status s = params[i].set(cfg, values[i]);
    if (!s.ok()) return Fail("--" + params[i].name + " '" + values[i] + "': " + s.message());
  }
  Status s = Validate(cfg);
  if (!s.ok()) return Fail(s.message());
  return -1;
}

}  // namespace

ServerConfig ParseCommandLine(int argc, char** argv, int* exit_code) {
  ServerConfig cfg;
  try {
    *exit_code = Parse(argc, argv, cfg);
  } catch (const std::exception& e) {
    // CLI11 can also throw while the options are declared; that is a bug
    // here, but it must still not take the process down uncaught.
    *exit_code = Fail(std::string("command line: ") + e.what());
  }
  return cfg;
}

}  // namespace shoal::config
