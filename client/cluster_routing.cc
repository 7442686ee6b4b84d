#include "client/cluster_routing.h"

#include <algorithm>
#include <array>

#include "core/keyslot.h"
#include "core/strutil.h"

namespace shoal::client {
namespace {

using Type = resp::Value::Type;

// Commands that name no key: any node may serve them.
constexpr auto kKeyless = std::to_array<std::string_view>({
    "ACL",         "ASKING",    "AUTH",    "BGREWRITEAOF", "BGSAVE",    "CLIENT",    "CLUSTER",
    "COMMAND",     "CONFIG",    "DBSIZE",  "DEBUG",        "DISCARD",   "ECHO",      "EXEC",
    "FAILOVER",    "FLUSHALL",  "FLUSHDB", "FUNCTION",     "HELLO",     "INFO",      "KEYS",
    "LASTSAVE",    "LATENCY",   "LOLWUT",  "MODULE",       "MONITOR",   "MULTI",     "PING",
    "PSUBSCRIBE",  "PUBLISH",   "PUBSUB",  "PUNSUBSCRIBE", "QUIT",      "RANDOMKEY", "READONLY",
    "READWRITE",   "REPLICAOF", "RESET",   "ROLE",         "SAVE",      "SCAN",      "SCRIPT",
    "SELECT",      "SHUTDOWN",  "SLAVEOF", "SLOWLOG",      "SUBSCRIBE", "SWAPDB",    "TIME",
    "UNSUBSCRIBE", "UNWATCH",   "WAIT",
});

bool OneOf(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The key at `index` if the "numkeys" argument before it is positive.
std::optional<size_t> KeyAfterNumkeys(const std::vector<std::string>& args, size_t numkeys_index) {
  const size_t index = numkeys_index + 1;
  if (index >= args.size()) return std::nullopt;
  auto n = ParseInt64(args[numkeys_index]);
  if (!n || *n <= 0) return std::nullopt;
  return index;
}

std::optional<int64_t> IntegerOf(const resp::Value& v) {
  if (v.type == Type::kInteger) return v.integer;
  if (v.type == Type::kBulk || v.type == Type::kSimple) return ParseInt64(v.str);
  return std::nullopt;
}

// True if `error` starts with the word `code`.
bool HasCode(std::string_view error, std::string_view code) {
  return error.substr(0, code.size()) == code &&
         (error.size() == code.size() || error[code.size()] == ' ');
}

}  // namespace

std::optional<size_t> FirstKeyIndex(const std::vector<std::string>& args) {
  if (args.size() < 2) return std::nullopt;
  const std::string name = ToUpper(args[0]);
  if (std::find(kKeyless.begin(), kKeyless.end(), name) != kKeyless.end()) return std::nullopt;
  if (OneOf(name, {"EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"})) {
    return KeyAfterNumkeys(args, 2);
  }
  if (OneOf(name, {"LMPOP", "ZMPOP", "ZUNION", "ZINTER", "ZDIFF", "SINTERCARD", "ZINTERCARD"})) {
    return KeyAfterNumkeys(args, 1);
  }
  if (OneOf(name, {"BLMPOP", "BZMPOP"})) return KeyAfterNumkeys(args, 2);
  if (OneOf(name, {"XREAD", "XREADGROUP"})) {
    for (size_t i = 1; i + 1 < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "STREAMS")) return i + 1;
    }
    return std::nullopt;
  }
  // The first argument is a subcommand or an operation; the key follows.
  if (OneOf(name, {"BITOP", "OBJECT", "MEMORY", "XINFO", "XGROUP"})) {
    return args.size() > 2 ? std::optional<size_t>(2) : std::nullopt;
  }
  return 1;
}

std::optional<Redirect> ParseRedirect(std::string_view error) {
  Redirect r;
  // Drops "CODE " from the front of `error` if it is there.
  auto strip = [&error](std::string_view code) {
    if (!HasCode(error, code) || error.size() == code.size()) return false;
    error.remove_prefix(code.size() + 1);
    return true;
  };
  if (strip("MOVED")) {
    r.kind = Redirect::Kind::kMoved;
  } else if (strip("ASK")) {
    r.kind = Redirect::Kind::kAsk;
  } else {
    return std::nullopt;
  }
  const size_t space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto slot = ParseInt64(error.substr(0, space));
  if (!slot || *slot < 0 || *slot >= kSlotCount) return std::nullopt;
  const std::string_view addr = error.substr(space + 1);
  const size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto port = ParseInt64(addr.substr(colon + 1));
  if (!port || *port <= 0 || *port > 65535) return std::nullopt;
  r.slot = static_cast<uint16_t>(*slot);
  r.host = std::string(addr.substr(0, colon));
  r.port = static_cast<int>(*port);
  return r;
}

bool IsRetryableClusterError(std::string_view error) {
  return HasCode(error, "TRYAGAIN") || HasCode(error, "CLUSTERDOWN");
}

Result<std::vector<SlotRange>> ParseClusterSlots(const resp::Value& reply,
                                                 std::string_view asked_host) {
  if (reply.type != Type::kArray) return Status::Corruption("CLUSTER SLOTS: not an array");
  std::vector<SlotRange> ranges;
  ranges.reserve(reply.elements.size());
  for (const auto& row : reply.elements) {
    if (row.type != Type::kArray || row.elements.size() < 3) {
      return Status::Corruption("CLUSTER SLOTS: bad row " + row.ToString());
    }
    auto first = IntegerOf(row.elements[0]);
    auto last = IntegerOf(row.elements[1]);
    if (!first || !last || *first < 0 || *first > *last || *last >= kSlotCount) {
      return Status::Corruption("CLUSTER SLOTS: bad slot range " + row.ToString());
    }
    const auto& master = row.elements[2];
    if (master.type != Type::kArray || master.elements.size() < 2) {
      return Status::Corruption("CLUSTER SLOTS: bad node " + row.ToString());
    }
    const auto& host = master.elements[0];
    auto port = IntegerOf(master.elements[1]);
    if ((host.type != Type::kBulk && host.type != Type::kSimple && host.type != Type::kNull) ||
        !port || *port < 0 || *port > 65535) {
      return Status::Corruption("CLUSTER SLOTS: bad node " + row.ToString());
    }
    if (host.str == "?" || *port == 0) continue;  // endpoint unknown to that node
    SlotRange range;
    range.first = static_cast<uint16_t>(*first);
    range.last = static_cast<uint16_t>(*last);
    range.master = {host.str.empty() ? std::string(asked_host) : host.str, static_cast<int>(*port)};
    ranges.push_back(std::move(range));
  }
  return ranges;
}

}  // namespace shoal::client
