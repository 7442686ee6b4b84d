// compat_only parameters: settings that Redis tools, client libraries and
// existing redis.conf files read or set. shoal accepts them with Redis 7's
// validation and reports them back normalised as Redis would (memory values
// in bytes, yes/no in lower case), so scripts keep working; none of them
// changes shoal's behaviour.
#include <array>
#include <functional>
#include <utility>

#include "config/param_builders.h"
#include "core/strutil.h"

namespace shoal::config::internal {
namespace {

// Turns an accepted value into its reported form; `current` is what the
// parameter reports now (client-output-buffer-limit merges into it).
using Normalizer =
    std::function<Result<std::string>(std::string_view value, const std::string& current)>;

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') ++j;
    if (j > i) words.push_back(s.substr(i, j - i));
    i = j;
  }
  return words;
}

std::string Get(const ServerConfig& c, const std::string& key, const std::string& def) {
  auto it = c.compat.find(key);
  return it == c.compat.end() ? def : it->second;
}

// `key` is the canonical name the value is stored under; it differs from
// `name` for Redis 7's aliases (hash-max-ziplist-entries and the like).
Param Compat(std::string name, const std::string& key, const std::string& def, std::string help,
             Normalizer normalize) {
  Param p;
  p.name = std::move(name);
  p.help = std::move(help) + " (compatibility only, no effect)";
  p.compat_only = true;
  p.get = [key, def](const ServerConfig& c) { return Get(c, key, def); };
  p.set = [key, def, normalize = std::move(normalize)](ServerConfig& c,
                                                       std::string_view v) -> Status {
    Result<std::string> r = normalize(v, Get(c, key, def));
    if (!r.ok()) return r.status();
    c.compat[key] = std::move(r).value();
    return Status::Ok();
  };
  return p;
}

Normalizer YesNo() {
  return [](std::string_view v, const std::string&) -> Result<std::string> {
    Result<bool> r = ParseYesNo(v);
    if (!r.ok()) return r.status();
    return std::string(*r ? "yes" : "no");
  };
}

Normalizer Int(int64_t min, int64_t max) {
  return [min, max](std::string_view v, const std::string&) -> Result<std::string> {
    Result<int64_t> r = ParseIntInRange(v, min, max);
    if (!r.ok()) return r.status();
    return std::to_string(*r);
  };
}

Normalizer Memory() {
  return [](std::string_view v, const std::string&) -> Result<std::string> {
    Result<uint64_t> r = ParseMemoryAtLeast(v, 0);
    if (!r.ok()) return r.status();
    return std::to_string(*r);
  };
}

Normalizer NonEmpty() {
  return [](std::string_view v, const std::string&) -> Result<std::string> {
    if (v.empty()) return Status::InvalidArgument("must not be empty");
    return std::string(v);
  };
}

Normalizer Choice(std::vector<std::string> choices) {
  return [choices = std::move(choices)](std::string_view v,
                                        const std::string&) -> Result<std::string> {
    return ParseChoice(v, choices);
  };
}

// save: "" or pairs of "<seconds> <changes>", reported space-joined.
Result<std::string> NormalizeSave(std::string_view v, const std::string&) {
  const std::vector<std::string_view> words = SplitWords(v);
  const auto bad = [] {
    return Status::InvalidArgument("must be \"\" or pairs of <seconds> <changes>");
  };
  if (words.size() % 2 != 0) return bad();
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    Result<int64_t> n = ParseIntInRange(words[i], i % 2 == 0 ? 1 : 0, kIntMax);
    if (!n.ok()) return bad();
    if (i > 0) out += ' ';
    out += std::to_string(*n);
  }
  return out;
}

// client-output-buffer-limit: groups of "<class> <hard> <soft> <seconds>";
// like Redis, a value changes only the classes it names, and the reported
// form lists all three classes with Redis's "slave" spelling.
Result<std::string> NormalizeOutputBufferLimit(std::string_view v, const std::string& current) {
  constexpr std::array<std::string_view, 3> kClasses = {"normal", "slave", "pubsub"};
  std::array<std::array<std::string, 3>, 3> limits;
  const std::vector<std::string_view> now = SplitWords(current);
  for (size_t i = 0; i + 3 < now.size(); i += 4) {
    for (size_t k = 0; k < kClasses.size(); ++k) {
      if (now[i] == kClasses[k]) {
        limits[k] = {std::string(now[i + 1]), std::string(now[i + 2]), std::string(now[i + 3])};
      }
    }
  }
  const std::vector<std::string_view> words = SplitWords(v);
  if (words.empty() || words.size() % 4 != 0) {
    return Status::InvalidArgument(
        "must be groups of <class> <hard limit> <soft limit> <soft seconds>");
  }
  for (size_t i = 0; i < words.size(); i += 4) {
    size_t k = 0;
    if (EqualsIgnoreCase(words[i], "normal")) {
      k = 0;
    } else if (EqualsIgnoreCase(words[i], "replica") || EqualsIgnoreCase(words[i], "slave")) {
      k = 1;
    } else if (EqualsIgnoreCase(words[i], "pubsub")) {
      k = 2;
    } else {
      return Status::InvalidArgument("invalid client class '" + std::string(words[i]) +
                                     "' (normal, replica or pubsub)");
    }
    Result<uint64_t> hard = ParseMemoryAtLeast(words[i + 1], 0);
    if (!hard.ok()) return Status::InvalidArgument("hard limit " + hard.status().message());
    Result<uint64_t> soft = ParseMemoryAtLeast(words[i + 2], 0);
    if (!soft.ok()) return Status::InvalidArgument("soft limit " + soft.status().message());
    Result<int64_t> secs = ParseIntInRange(words[i + 3], 0, kInt64Max);
    if (!secs.ok()) return Status::InvalidArgument("soft seconds " + secs.status().message());
    limits[k] = {std::to_string(*hard), std::to_string(*soft), std::to_string(*secs)};
  }
  std::string out;
  for (size_t k = 0; k < kClasses.size(); ++k) {
    if (k > 0) out += ' ';
    out += std::string(kClasses[k]) + ' ' + limits[k][0] + ' ' + limits[k][1] + ' ' + limits[k][2];
  }
  return out;
}

Result<std::string> NormalizeKeyspaceEvents(std::string_view v, const std::string&) {
  constexpr std::string_view kFlags = "AgKE$lshzxetmdn";
  for (char c : v) {
    if (kFlags.find(c) == std::string_view::npos) {
      return Status::InvalidArgument("must be a combination of the flags " + std::string(kFlags));
    }
  }
  return std::string(v);
}

struct Spec {
  std::string name;
  std::string def;
  std::string help;
  Normalizer normalize;
  bool immutable;
  std::string alias;  // a second name for the same setting, as in Redis 7
};

Spec S(std::string name, std::string def, std::string help, Normalizer normalize,
       bool immutable = false, std::string alias = "") {
  return {std::move(name),      std::move(def), std::move(help),
          std::move(normalize), immutable,      std::move(alias)};
}

std::vector<Spec> Specs() {
  const std::string kEntries = "max entries of a small encoding";
  const std::string kValue = "max value size of a small encoding";
  const std::string kLazy = "free memory in a background thread";
  const std::string kRdb = "RDB snapshot setting";
  const std::string kAof = "AOF setting";
  return {
      S("save", "", "RDB snapshot points: pairs of <seconds> <changes>", NormalizeSave),
      S("appendonly", "yes", "append-only log (shoal always logs)", YesNo()),
      S("daemonize", "no", "run in the background (use a service manager)", YesNo(),
        /*immutable=*/true),
      S("protected-mode", "yes", "refuse non-local clients without a password", YesNo()),
      S("supervised", "no", "supervision tree: no, upstart, systemd or auto",
        Choice({"no", "upstart", "systemd", "auto"}), /*immutable=*/true),
      S("hash-max-listpack-entries", "128", kEntries, Int(0, kInt64Max), /*immutable=*/false,
        "hash-max-ziplist-entries"),
      S("hash-max-listpack-value", "64", kValue, Memory(), /*immutable=*/false,
        "hash-max-ziplist-value"),
      S("list-max-listpack-size", "-2", "list node size (negative: -1..-5 = 4kb..64kb)",
        Int(-kIntMax - 1, kIntMax), /*immutable=*/false, "list-max-ziplist-size"),
      S("list-compress-depth", "0", "uncompressed list nodes at each end", Int(0, kIntMax)),
      S("set-max-intset-entries", "512", kEntries, Int(0, kInt64Max)),
      S("set-max-listpack-entries", "128", kEntries, Int(0, kInt64Max)),
      S("set-max-listpack-value", "64", kValue, Memory()),
      S("zset-max-listpack-entries", "128", kEntries, Int(0, kInt64Max), /*immutable=*/false,
        "zset-max-ziplist-entries"),
      S("zset-max-listpack-value", "64", kValue, Memory(), /*immutable=*/false,
        "zset-max-ziplist-value"),
      S("hll-sparse-max-bytes", "3000", "max size of a sparse HyperLogLog", Memory()),
      S("stream-node-max-bytes", "4096", "max bytes of a stream node", Memory()),
      S("stream-node-max-entries", "100", "max entries of a stream node", Int(0, kInt64Max)),
      S("activerehashing", "yes", "incremental rehashing of the main dictionary", YesNo()),
      S("lazyfree-lazy-eviction", "no", kLazy, YesNo()),
      S("lazyfree-lazy-expire", "no", kLazy, YesNo()),
      S("lazyfree-lazy-server-del", "no", kLazy, YesNo()),
      S("lazyfree-lazy-user-del", "no", kLazy, YesNo()),
      S("lazyfree-lazy-user-flush", "no", kLazy, YesNo()),
      S("replica-lazy-flush", "no", kLazy, YesNo()),
      S("appendfilename", "appendonly.aof", kAof, NonEmpty(), /*immutable=*/true),
      S("dbfilename", "dump.rdb", kRdb, NonEmpty()),
      S("rdbcompression", "yes", kRdb, YesNo()),
      S("rdbchecksum", "yes", kRdb, YesNo(), /*immutable=*/true),
      S("stop-writes-on-bgsave-error", "yes", kRdb, YesNo()),
      S("slowlog-log-slower-than", "10000", "slow log threshold in microseconds",
        Int(-1, kInt64Max)),
      S("slowlog-max-len", "128", "slow log length", Int(0, kInt64Max)),
      S("latency-tracking", "yes", "per-command latency percentiles", YesNo()),
      S("latency-monitor-threshold", "0", "latency monitor threshold in milliseconds",
        Int(0, kInt64Max)),
      S("notify-keyspace-events", "", "keyspace notification classes", NormalizeKeyspaceEvents),
      S("maxmemory-samples", "5", "keys sampled per eviction", Int(1, 64)),
      S("maxmemory-eviction-tenacity", "10", "eviction effort per command", Int(0, 100)),
      S("active-expire-effort", "1", "active expiry effort", Int(1, 10)),
      S("dynamic-hz", "yes", "scale hz with the number of clients", YesNo()),
      S("aof-use-rdb-preamble", "yes", kAof, YesNo()),
      S("no-appendfsync-on-rewrite", "no", kAof, YesNo()),
      S("auto-aof-rewrite-percentage", "100", kAof, Int(0, kIntMax)),
      S("auto-aof-rewrite-min-size", "67108864", kAof, Memory()),
      S("client-output-buffer-limit",
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        "output buffer limits per client class", NormalizeOutputBufferLimit),
      S("cluster-node-timeout", "15000", "cluster node timeout in milliseconds", Int(0, kInt64Max)),
      S("repl-backlog-size", "1048576", "replication backlog size", Memory()),
      S("min-replicas-to-write", "0", "replicas required to accept writes", Int(0, kIntMax)),
      S("busy-reply-threshold", "5000", "script time before BUSY replies, in milliseconds",
        Int(0, kInt64Max), /*immutable=*/false, "lua-time-limit"),
      S("tracking-table-max-keys", "1000000", "client-side caching table size", Int(0, kInt64Max)),
  };
}

}  // namespace

void AppendCompatParams(std::vector<Param>* params) {
  for (Spec& s : Specs()) {
    Param p = Compat(s.name, s.name, s.def, s.help, s.normalize);
    p.mutable_at_runtime = !s.immutable;
    // Stored with the compat values, but acted on (server/notify.h, the
    // pub/sub output limit).
    if (s.name == "notify-keyspace-events" || s.name == "client-output-buffer-limit") {
      p.compat_only = false;
    }
    params->push_back(std::move(p));
    if (!s.alias.empty()) {
      Param alias = Compat(s.alias, s.name, s.def, s.help, std::move(s.normalize));
      alias.mutable_at_runtime = !s.immutable;
      params->push_back(std::move(alias));
    }
  }

  // shoal has exactly one database; clients read this to learn how many
  // they may SELECT, so it always reports 1 whatever a redis.conf says.
  Param databases;
  databases.name = "databases";
  databases.help = "number of databases; shoal has one and always reports 1";
  databases.mutable_at_runtime = false;
  databases.compat_only = true;
  databases.get = [](const ServerConfig&) { return std::string("1"); };
  databases.set = [](ServerConfig&, std::string_view v) -> Status {
    return ParseIntInRange(v, 1, kIntMax).status();
  };
  params->push_back(std::move(databases));
}

}  // namespace shoal::config::internal
