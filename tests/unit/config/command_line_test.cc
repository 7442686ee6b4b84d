// ParseCommandLine: redis-server style argv, flags over the config file.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace shoal::config {
namespace {

std::string Get(const ServerConfig& cfg, std::string_view name) {
  const Param* p = FindParam(name);
  EXPECT_NE(p, nullptr) << name;
  return p == nullptr ? "" : p->get(cfg);
}

// Writes `text` to a fresh file under the test temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "shoal_command_line_test_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

struct Cli {
  int exit_code = -1;
  ServerConfig cfg;
  std::string out;
  std::string err;
};

Cli RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "shoal-server");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  Cli r;
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  r.cfg = ParseCommandLine(static_cast<int>(args.size()), argv.data(), &r.exit_code);
  r.out = testing::internal::GetCapturedStdout();
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

TEST(CommandLineTest, NoArgumentsGiveDefaults) {
  Cli r = RunCli({});
  EXPECT_EQ(r.exit_code, -1) << r.err;
  EXPECT_EQ(r.cfg.port, 6379);
}

TEST(CommandLineTest, FlagsWithoutFile) {
  Cli r = RunCli({"--port", "7000", "--maxmemory", "1mb", "--save", "900 1", "--requirepass", ""});
  ASSERT_EQ(r.exit_code, -1) << r.err;
  EXPECT_EQ(r.cfg.port, 7000);
  EXPECT_EQ(r.cfg.maxmemory_bytes, 1024u * 1024);
  EXPECT_EQ(Get(r.cfg, "save"), "900 1");
  EXPECT_EQ(r.cfg.requirepass, "");
}

TEST(CommandLineTest, FlagsOverrideFileWhateverTheirOrder) {
  const std::string path = WriteTempFile("cli.conf", "port 7000\nhz 20\nloglevel debug\n");
  Cli before = RunCli({path, "--port", "7001"});
  ASSERT_EQ(before.exit_code, -1) << before.err;
  EXPECT_EQ(before.cfg.port, 7001);
  EXPECT_EQ(before.cfg.hz, 20);
  Cli after = RunCli({"--port", "7002", "--loglevel=warning", path});
  ASSERT_EQ(after.exit_code, -1) << after.err;
  EXPECT_EQ(after.cfg.port, 7002);
  EXPECT_EQ(after.cfg.loglevel, "warning");
  EXPECT_EQ(after.cfg.hz, 20);
}

TEST(CommandLineTest, RepeatedFlagTakesTheLastValue) {
  Cli r = RunCli({"--port", "7000", "--port", "7001"});
  ASSERT_EQ(r.exit_code, -1) << r.err;
  EXPECT_EQ(r.cfg.port, 7001);
}

TEST(CommandLineTest, NegativeNumbersAreValuesNotOptions) {
  Cli r = RunCli({"--list-max-listpack-size", "-2", "--slowlog-log-slower-than", "-1"});
  ASSERT_EQ(r.exit_code, -1) << r.err;
  EXPECT_EQ(Get(r.cfg, "slowlog-log-slower-than"), "-1");
}

TEST(CommandLineTest, BadFlagValueFailsNamingTheSetting) {
  Cli r = RunCli({"--port", "http"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--port"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("must be an integer"), std::string::npos) << r.err;
}

TEST(CommandLineTest, UnknownFlagFails) {
  Cli r = RunCli({"--no-such-setting", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no-such-setting"), std::string::npos) << r.err;
}

TEST(CommandLineTest, BadFileFailsNamingLineAndSetting) {
  const std::string path = WriteTempFile("cli_bad.conf", "maxclients 0\n");
  Cli r = RunCli({path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 1: 'maxclients'"), std::string::npos) << r.err;
  Cli missing = RunCli({testing::TempDir() + "shoal_config_test_missing.conf"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("shoal_config_test_missing.conf"), std::string::npos);
}

TEST(CommandLineTest, VersionPrintsAndExitsZero) {
  for (const char* flag : {"--version", "-v"}) {
    Cli r = RunCli({flag});
    EXPECT_EQ(r.exit_code, 0) << flag;
    EXPECT_NE(r.out.find(std::string("shoal-server v") + kVersion), std::string::npos) << r.out;
  }
}

TEST(CommandLineTest, HelpListsSettingsWithDefaultsAndExitsZero) {
  Cli r = RunCli({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Redis-compatible"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--maxmemory-policy"), std::string::npos);
  EXPECT_NE(r.out.find("6379"), std::string::npos);
}

}  // namespace
}  // namespace shoal::config
