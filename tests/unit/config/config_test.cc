// Parameters, values, config text and files, and validation.
#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::config {
namespace {

std::string Get(const ServerConfig& cfg, std::string_view name) {
  const Param* p = FindParam(name);
  EXPECT_NE(p, nullptr) << name;
  return p == nullptr ? "" : p->get(cfg);
}

// Writes `text` to a fresh file under the test temp dir; returns its path.
std::string WriteTempFile(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "shoal_config_test_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return path;
}

// --- ParseMemory -----------------------------------------------------------

TEST(ParseMemoryTest, PlainNumbersAreBytes) {
  Result<uint64_t> r = ParseMemory("12345");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 12345u);
  r = ParseMemory("0");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0u);
}

TEST(ParseMemoryTest, UnitsFollowRedisMemtoll) {
  const std::vector<std::pair<std::string, uint64_t>> cases = {
      {"1k", 1000},
      {"1kb", 1024},
      {"2m", 2000000},
      {"2mb", 2 * 1024 * 1024},
      {"3g", 3000000000ULL},
      {"3gb", 3ULL * 1024 * 1024 * 1024},
      {"7b", 7},
  };
  for (const auto& [text, bytes] : cases) {
    Result<uint64_t> r = ParseMemory(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status().ToString();
    EXPECT_EQ(*r, bytes) << text;
  }
}

TEST(ParseMemoryTest, UnitsAreCaseInsensitive) {
  for (const char* text : {"1GB", "1Gb", "1gB", "1gb"}) {
    Result<uint64_t> r = ParseMemory(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(*r, 1024ULL * 1024 * 1024) << text;
  }
}

TEST(ParseMemoryTest, RejectsNegativeEmptyGarbageAndFractions) {
  for (const char* text :
       {"", "-1", "-1mb", "mb", "abc", "10xb", "1.5gb", " 10", "10 ", "+10", "1 mb", "1tb"}) {
    Result<uint64_t> r = ParseMemory(text);
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << "'" << text << "'";
  }
}

TEST(ParseMemoryTest, AcceptsInt64MaxAndRejectsOverflow) {
  Result<uint64_t> r = ParseMemory("9223372036854775807");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 9223372036854775807ULL);
  EXPECT_FALSE(ParseMemory("9223372036854775808").ok());
  EXPECT_FALSE(ParseMemory("99999999999999999999999").ok());
  EXPECT_FALSE(ParseMemory("8589934592gb").ok());  // 2^33 * 2^30 = 2^63
  EXPECT_TRUE(ParseMemory("8589934591gb").ok());
}

// --- the table and getters -----------------------------------------------

TEST(ParamsTest, EveryServerSettingHasARedisStyleName) {
  for (const char* name : {"bind",
                           "port",
                           "threads",
                           "maxclients",
                           "timeout",
                           "tcp-keepalive",
                           "requirepass",
                           "dir",
                           "appendfsync",
                           "maxmemory",
                           "maxmemory-policy",
                           "lfu-log-factor",
                           "lfu-decay-time",
                           "rocksdb-block-cache-size",
                           "rocksdb-write-buffer-size",
                           "hz",
                           "proto-max-bulk-len",
                           "client-query-buffer-limit",
                           "max-multibulk-len",
                           "loglevel",
                           "logfile",
                           "pidfile"}) {
    const Param* p = FindParam(name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_FALSE(p->compat_only) << name;
    EXPECT_FALSE(p->help.empty()) << name;
  }
}

TEST(ParamsTest, NamesAreUniqueAndLowerCase) {
  std::set<std::string> seen;
  for (const Param& p : Params()) {
    EXPECT_TRUE(seen.insert(p.name).second) << "duplicate " << p.name;
    for (char c : p.name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << p.name;
    EXPECT_TRUE(p.get && p.set) << p.name;
  }
}

TEST(ParamsTest, LookupIsCaseInsensitiveAndUnknownIsNull) {
  const Param* p = FindParam("MaxMemory-Policy");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->name, "maxmemory-policy");
  EXPECT_EQ(FindParam("no-such-setting"), nullptr);
  EXPECT_EQ(FindParam(""), nullptr);
}

TEST(ParamsTest, ImmutableSettingsAreMarked) {
  const std::set<std::string> immutable = {"bind",
                                           "port",
                                           "threads",
                                           "dir",
                                           "logfile",
                                           "pidfile",
                                           "rocksdb-block-cache-size",
                                           "rocksdb-write-buffer-size",
                                           "cluster-enabled",
                                           "cluster-node-id",
                                           "cluster-nodes",
                                           "cluster-shards",
                                           "cluster-replicas",
                                           "replication",
                                           "raft-tick-ms",
                                           "raft-election-ticks",
                                           "cluster-read-lease",
                                           "cluster-balance-leaders",
                                           "fault-injection"};
  for (const Param& p : Params()) {
    if (p.compat_only) continue;
    EXPECT_EQ(p.mutable_at_runtime, immutable.count(p.name) == 0) << p.name;
  }
}

TEST(ParamsTest, EveryDefaultIsAcceptedBackByItsSetter) {
  const ServerConfig defaults;
  for (const Param& p : Params()) {
    ServerConfig cfg;
    const std::string value = p.get(defaults);
    Status s = p.set(cfg, value);
    EXPECT_TRUE(s.ok()) << p.name << " '" << value << "': " << s.ToString();
    EXPECT_EQ(p.get(cfg), value) << p.name;
  }
}

TEST(GetterTest, ReportsDefaultsInConfigGetForm) {
  const ServerConfig cfg;
  EXPECT_EQ(Get(cfg, "port"), "6379");
  EXPECT_EQ(Get(cfg, "maxmemory"), "0");
  EXPECT_EQ(Get(cfg, "proto-max-bulk-len"), "536870912");
  EXPECT_EQ(Get(cfg, "client-query-buffer-limit"), "1073741824");
  EXPECT_EQ(Get(cfg, "rocksdb-block-cache-size"), "67108864");
  EXPECT_EQ(Get(cfg, "appendfsync"), "everysec");
  EXPECT_EQ(Get(cfg, "maxmemory-policy"), "noeviction");
  EXPECT_EQ(Get(cfg, "loglevel"), "notice");
  EXPECT_EQ(Get(cfg, "requirepass"), "");
  EXPECT_EQ(Get(cfg, "appendonly"), "yes");
  EXPECT_EQ(Get(cfg, "save"), "");
  EXPECT_EQ(Get(cfg, "databases"), "1");
  EXPECT_EQ(Get(cfg, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
}

TEST(GetterTest, MemoryValuesAreReportedInBytes) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "maxmemory", "1gb").ok());
  EXPECT_EQ(cfg.maxmemory_bytes, 1024ULL * 1024 * 1024);
  EXPECT_EQ(Get(cfg, "maxmemory"), "1073741824");
  ASSERT_TRUE(SetParam(cfg, "proto-max-bulk-len", "2m").ok());
  EXPECT_EQ(Get(cfg, "proto-max-bulk-len"), "2000000");
}

TEST(GetterTest, EnumsAndYesNoAreReportedInLowerCase) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "maxmemory-policy", "ALLKEYS-LRU").ok());
  EXPECT_EQ(cfg.maxmemory_policy, "allkeys-lru");
  EXPECT_EQ(Get(cfg, "maxmemory-policy"), "allkeys-lru");
  ASSERT_TRUE(SetParam(cfg, "appendfsync", "Always").ok());
  EXPECT_EQ(Get(cfg, "appendfsync"), "always");
  ASSERT_TRUE(SetParam(cfg, "activerehashing", "NO").ok());
  EXPECT_EQ(Get(cfg, "activerehashing"), "no");
}

// --- SetParam ----------------------------------------------------------------

TEST(SetParamTest, StoresTypedValues) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "port", "7000").ok());
  ASSERT_TRUE(SetParam(cfg, "TIMEOUT", "30").ok());
  ASSERT_TRUE(SetParam(cfg, "requirepass", "s3cret").ok());
  ASSERT_TRUE(SetParam(cfg, "max-multibulk-len", "1000").ok());
  ASSERT_TRUE(SetParam(cfg, "loglevel", "nothing").ok());
  EXPECT_EQ(cfg.port, 7000);
  EXPECT_EQ(cfg.timeout_s, 30);
  EXPECT_EQ(cfg.requirepass, "s3cret");
  EXPECT_EQ(cfg.max_multibulk_len, 1000);
  EXPECT_EQ(cfg.loglevel, "nothing");
}

TEST(SetParamTest, UnknownNameGivesRedisMessage) {
  ServerConfig cfg;
  Status s = SetParam(cfg, "no-such-thing", "1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "Unknown option or number of arguments for CONFIG SET - 'no-such-thing'");
}

TEST(SetParamTest, BadIntegerNamesValueSettingAndRange) {
  ServerConfig cfg;
  Status s = SetParam(cfg, "port", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "Invalid argument 'x' for CONFIG SET 'port' - must be "
            "an integer in 0..65535");
  s = SetParam(cfg, "port", "65536");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "Invalid argument '65536' for CONFIG SET 'port' - "
            "must be an integer in 0..65535");
  EXPECT_EQ(cfg.port, 6379);
}

TEST(SetParamTest, OutOfRangeValuesAreRejectedAndLeaveConfigUnchanged) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"hz", "0"},          {"hz", "501"},
      {"threads", "257"},   {"threads", "-1"},
      {"maxclients", "0"},  {"max-multibulk-len", "0"},
      {"timeout", "-5"},    {"port", "07000"},
      {"maxmemory", "-1"},  {"maxmemory", "lots"},
      {"dir", ""},          {"bind", ""},
      {"loglevel", "loud"}, {"appendfsync", "sometimes"},
  };
  for (const auto& [name, value] : bad) {
    ServerConfig cfg;
    const std::string before = Get(cfg, name);
    Status s = SetParam(cfg, name, value);
    ASSERT_FALSE(s.ok()) << name << " " << value;
    EXPECT_NE(s.message().find("'" + name + "'"), std::string::npos) << s.message();
    EXPECT_EQ(Get(cfg, name), before) << name;
  }
}

TEST(SetParamTest, ProtocolLimitsRefuseLessThanOneMegabyte) {
  ServerConfig cfg;
  Status s = SetParam(cfg, "proto-max-bulk-len", "1000");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "Invalid argument '1000' for CONFIG SET "
            "'proto-max-bulk-len' - must be at least 1mb "
            "(1048576 bytes)");
  EXPECT_TRUE(SetParam(cfg, "client-query-buffer-limit", "1mb").ok());
  EXPECT_FALSE(SetParam(cfg, "client-query-buffer-limit", "1048575").ok());
}

TEST(SetParamTest, EnumErrorListsTheChoices) {
  ServerConfig cfg;
  Status s = SetParam(cfg, "maxmemory-policy", "lru");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "Invalid argument 'lru' for CONFIG SET "
            "'maxmemory-policy' - must be one of "
            "noeviction, allkeys-lru, allkeys-lfu, "
            "allkeys-random, volatile-lru, volatile-lfu, "
            "volatile-random, volatile-ttl");
}

TEST(SetParamTest, DoesNotCheckMutability) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "port", "7001").ok());
  EXPECT_EQ(cfg.port, 7001);
}

TEST(SetParamAtRuntimeTest, RefusesImmutableSettings) {
  ServerConfig cfg;
  Status s = SetParamAtRuntime(cfg, "port", "7001");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "Invalid argument '7001' for CONFIG SET 'port' - "
            "can't set immutable config");
  EXPECT_EQ(cfg.port, 6379);
  EXPECT_FALSE(SetParamAtRuntime(cfg, "databases", "16").ok());
  EXPECT_FALSE(SetParamAtRuntime(cfg, "Dir", "/tmp").ok());
  EXPECT_EQ(cfg.dir, "./data");
}

TEST(SetParamAtRuntimeTest, AcceptsMutableSettingsAndReportsUnknown) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParamAtRuntime(cfg, "maxmemory", "100mb").ok());
  EXPECT_EQ(cfg.maxmemory_bytes, 100ULL * 1024 * 1024);
  Status s = SetParamAtRuntime(cfg, "maxmemory", "-1");
  EXPECT_FALSE(s.ok());
  s = SetParamAtRuntime(cfg, "nope", "1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "Unknown option or number of arguments for CONFIG SET - 'nope'");
}

// --- compat parameters ----------------------------------------------------

TEST(CompatTest, EveryCompatValueRoundTrips) {
  const ServerConfig defaults;
  int compat = 0;
  for (const Param& p : Params()) {
    if (!p.compat_only) continue;
    ++compat;
    ServerConfig cfg;
    Status s = SetParam(cfg, p.name, p.get(defaults));
    EXPECT_TRUE(s.ok()) << p.name << ": " << s.ToString();
    EXPECT_EQ(p.get(cfg), p.get(defaults)) << p.name;
  }
  EXPECT_GE(compat, 40);
}

TEST(CompatTest, ValuesAreStoredNormalisedAndReported) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "appendonly", "NO").ok());
  ASSERT_TRUE(SetParam(cfg, "slowlog-max-len", "1024").ok());
  ASSERT_TRUE(SetParam(cfg, "repl-backlog-size", "10mb").ok());
  ASSERT_TRUE(SetParam(cfg, "notify-keyspace-events", "Ex").ok());
  ASSERT_TRUE(SetParam(cfg, "supervised", "SYSTEMD").ok());
  EXPECT_EQ(Get(cfg, "appendonly"), "no");
  EXPECT_EQ(Get(cfg, "slowlog-max-len"), "1024");
  EXPECT_EQ(Get(cfg, "repl-backlog-size"), "10485760");
  EXPECT_EQ(Get(cfg, "notify-keyspace-events"), "Ex");
  EXPECT_EQ(Get(cfg, "supervised"), "systemd");
  EXPECT_EQ(cfg.compat.at("repl-backlog-size"), "10485760");
}

TEST(CompatTest, TypesAreValidated) {
  ServerConfig cfg;
  EXPECT_FALSE(SetParam(cfg, "appendonly", "maybe").ok());
  EXPECT_FALSE(SetParam(cfg, "slowlog-max-len", "many").ok());
  EXPECT_FALSE(SetParam(cfg, "maxmemory-samples", "0").ok());
  EXPECT_FALSE(SetParam(cfg, "hll-sparse-max-bytes", "3 kb").ok());
  EXPECT_FALSE(SetParam(cfg, "notify-keyspace-events", "Q").ok());
  EXPECT_FALSE(SetParam(cfg, "save", "900").ok());
  EXPECT_FALSE(SetParam(cfg, "save", "0 1").ok());
  EXPECT_FALSE(SetParam(cfg, "databases", "0").ok());
  EXPECT_FALSE(SetParam(cfg, "dbfilename", "").ok());
  Status s = SetParam(cfg, "daemonize", "sure");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "Invalid argument 'sure' for CONFIG SET 'daemonize' - must be yes or no");
  EXPECT_TRUE(cfg.compat.empty());
}

TEST(CompatTest, AliasesShareOneValue) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "hash-max-ziplist-entries", "256").ok());
  EXPECT_EQ(Get(cfg, "hash-max-listpack-entries"), "256");
  ASSERT_TRUE(SetParam(cfg, "busy-reply-threshold", "100").ok());
  EXPECT_EQ(Get(cfg, "lua-time-limit"), "100");
  ASSERT_TRUE(SetParam(cfg, "list-max-ziplist-size", "-3").ok());
  EXPECT_EQ(Get(cfg, "list-max-listpack-size"), "-3");
}

TEST(CompatTest, SaveIsNormalisedAndCanBeCleared) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "save", "900  1 300 10").ok());
  EXPECT_EQ(Get(cfg, "save"), "900 1 300 10");
  ASSERT_TRUE(SetParam(cfg, "save", "").ok());
  EXPECT_EQ(Get(cfg, "save"), "");
}

TEST(CompatTest, OutputBufferLimitChangesOnlyTheNamedClasses) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "client-output-buffer-limit", "pubsub 64mb 16mb 90").ok());
  EXPECT_EQ(Get(cfg, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 90");
  ASSERT_TRUE(SetParam(cfg, "client-output-buffer-limit", "replica 1mb 1mb 1 normal 1 2 3").ok());
  EXPECT_EQ(Get(cfg, "client-output-buffer-limit"),
            "normal 1 2 3 slave 1048576 1048576 1 pubsub 67108864 16777216 90");
  EXPECT_FALSE(SetParam(cfg, "client-output-buffer-limit", "master 1 1 1").ok());
  EXPECT_FALSE(SetParam(cfg, "client-output-buffer-limit", "normal 1 1").ok());
  EXPECT_FALSE(SetParam(cfg, "client-output-buffer-limit", "normal 1x 1 1").ok());
}

TEST(CompatTest, DatabasesAlwaysReportsOne) {
  ServerConfig cfg;
  ASSERT_TRUE(SetParam(cfg, "databases", "16").ok());
  EXPECT_EQ(Get(cfg, "databases"), "1");
}

// --- config text and files ---------------------------------------------

TEST(ConfigTextTest, SkipsCommentsAndBlankLinesAndHonoursQuotes) {
  ServerConfig cfg;
  Status s = ApplyConfigText(cfg,
                             "# a comment\n"
                             "\n"
                             "   port 7000   \n"
                             "\t# indented comment\n"
                             "requirepass \"pa ss\\\"word\"\n"
                             "logfile ''\n"
                             "dir '/var/lib/shoal data'\n"
                             "MAXMEMORY 2gb\r\n"
                             "bind 127.0.0.1 ::1\n"
                             "save 900 1\n"
                             "client-output-buffer-limit pubsub 32mb 8mb 60");
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(cfg.port, 7000);
  EXPECT_EQ(cfg.requirepass, "pa ss\"word");
  EXPECT_EQ(cfg.logfile, "");
  EXPECT_EQ(cfg.dir, "/var/lib/shoal data");
  EXPECT_EQ(cfg.maxmemory_bytes, 2ULL * 1024 * 1024 * 1024);
  EXPECT_EQ(cfg.bind, "127.0.0.1 ::1");
  EXPECT_EQ(Get(cfg, "save"), "900 1");
}

TEST(ConfigTextTest, SeveralSaveLinesAccumulateAsInRedis7) {
  ServerConfig cfg;
  ASSERT_TRUE(ApplyConfigText(cfg, "save 3600 1\nsave 300 100\nsave 60 10000\n").ok());
  EXPECT_EQ(Get(cfg, "save"), "3600 1 300 100 60 10000");
  ASSERT_TRUE(ApplyConfigText(cfg, "save \"\"\n").ok());
  EXPECT_EQ(Get(cfg, "save"), "");
}

TEST(ConfigTextTest, LaterLinesOverrideEarlierOnes) {
  ServerConfig cfg;
  ASSERT_TRUE(ApplyConfigText(cfg, "port 1\nport 2\n").ok());
  EXPECT_EQ(cfg.port, 2);
}

TEST(ConfigTextTest, BadValueErrorNamesLineAndSetting) {
  ServerConfig cfg;
  Status s = ApplyConfigText(cfg, "# header\nhz 10\nport 99999\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "line 3: 'port': must be an integer in 0..65535");
}

TEST(ConfigTextTest, UnknownSettingErrorNamesLine) {
  ServerConfig cfg;
  Status s = ApplyConfigText(cfg, "port 7000\n\nrename-command FLUSHALL \"\"\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "line 3: unknown setting 'rename-command'");
}

TEST(ConfigTextTest, UnbalancedQuotesAndMissingValuesAreErrors) {
  ServerConfig cfg;
  Status s = ApplyConfigText(cfg, "requirepass \"open\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "line 1: unbalanced quotes");
  s = ApplyConfigText(cfg, "port 1\nmaxmemory\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "line 2: 'maxmemory': missing value");
}

TEST(ConfigTextTest, MultiWordValueForSingleValueSettingIsRejected) {
  ServerConfig cfg;
  Status s = ApplyConfigText(cfg, "port 1 2\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "line 1: 'port': must be an integer in 0..65535");
}

TEST(ConfigFileTest, ReadsFile) {
  const std::string path = WriteTempFile("reads.conf", "port 7100\nmaxmemory-policy allkeys-lfu\n");
  ServerConfig cfg;
  ASSERT_TRUE(ApplyConfigFile(cfg, path).ok());
  EXPECT_EQ(cfg.port, 7100);
  EXPECT_EQ(cfg.maxmemory_policy, "allkeys-lfu");
}

TEST(ConfigFileTest, MissingFileErrorNamesPath) {
  ServerConfig cfg;
  const std::string path = testing::TempDir() + "shoal_config_test_does_not_exist.conf";
  Status s = ApplyConfigFile(cfg, path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
}

TEST(ConfigFileTest, DirectoryIsNotAConfigFile) {
  ServerConfig cfg;
  Status s = ApplyConfigFile(cfg, testing::TempDir());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is a directory"), std::string::npos) << s.message();
}

TEST(ConfigFileTest, ErrorsNamePathAndLine) {
  const std::string path = WriteTempFile("bad.conf", "port 7000\nhz 1000\n");
  ServerConfig cfg;
  Status s = ApplyConfigFile(cfg, path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), path + ": line 2: 'hz': must be an integer in 1..500");
}

TEST(ConfigFileTest, ExampleConfigIsValid) {
  ServerConfig cfg;
  // The source tree's root, found from this file's own path.
  std::string root = __FILE__;
  const std::string_view self = "tests/unit/config/config_test.cc";
  if (!root.ends_with(self)) GTEST_SKIP() << "unexpected __FILE__ " << root;
  root.erase(root.size() - self.size());
  const std::string path = root + "config/shoal.conf.example";
  // A relative __FILE__ only resolves from the source root.
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "cannot locate " << path;
  Status s = ApplyConfigFile(cfg, path);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(Validate(cfg).ok());
}

// --- Validate ---------------------------------------------------------------

TEST(ValidateTest, DefaultsAreValid) { EXPECT_TRUE(Validate(ServerConfig{}).ok()); }

TEST(ValidateTest, FieldsSetInCodeAreCheckedAndNamed) {
  struct Case {
    void (*mutate)(ServerConfig&);
    std::string name;
  };
  const std::vector<Case> cases = {
      {[](ServerConfig& c) { c.port = 70000; }, "port"},
      {[](ServerConfig& c) { c.threads = 300; }, "threads"},
      {[](ServerConfig& c) { c.maxclients = 0; }, "maxclients"},
      {[](ServerConfig& c) { c.dir.clear(); }, "dir"},
      {[](ServerConfig& c) { c.hz = 0; }, "hz"},
      {[](ServerConfig& c) { c.maxmemory_policy = "lru"; }, "maxmemory-policy"},
      {[](ServerConfig& c) { c.proto_max_bulk_len = 10; }, "proto-max-bulk-len"},
  };
  for (const Case& c : cases) {
    ServerConfig cfg;
    c.mutate(cfg);
    Status s = Validate(cfg);
    ASSERT_FALSE(s.ok()) << c.name;
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(s.message().rfind("'" + c.name + "'", 0), 0u) << s.message();
  }
}

}  // namespace
}  // namespace shoal::config
