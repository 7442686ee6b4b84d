// Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN, CONFIG, INFO
// (info.cc), COMMAND (command_cmd.cc).
#include <spdlog/spdlog.h>

#include <chrono>

#include "config/config.h"
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"

namespace shoal::server {

void InfoCmd(CommandContext& ctx, Args a);     // info.cc
void CommandCmd(CommandContext& ctx, Args a);  // command_cmd.cc

namespace {

void DbSizeCmd(CommandContext& ctx, Args) { ctx.out.Integer(ctx.ks().key_count()); }

// SHOAL.COMPACT: compacts the data column families now, so the members of
// deleted collections are dropped at once (operators, benchmarks).
void CompactCmd(CommandContext& ctx, Args) {
  spdlog::info("SHOAL.COMPACT requested by client {}", ctx.conn->id());
  auto s = ctx.ks().engine()->CompactAll();
  if (!s.ok()) return ctx.Error("ERR compaction failed: " + s.message());
  ctx.out.Ok();
}

void FlushCmd(CommandContext& ctx, Args a) {
  if (a.size() > 2) return SyntaxError(ctx);
  if (a.size() == 2 && !Is(a[1], "ASYNC") && !Is(a[1], "SYNC")) return SyntaxError(ctx);
  storage::Op op;
  op.code = storage::OpCode::kFlushAll;
  spdlog::info("{} requested by client {}", ToUpper(ctx.spec->name), ctx.conn->id());
  if (cluster::Host* host = ctx.server.host()) {
    // As on a Redis Cluster node: the slots this node serves (leads).
    std::vector<std::pair<uint32_t, std::string>> ops;
    op.now_ms = ctx.now_ms;
    for (uint32_t shard = 0; shard < host->def().shards(); ++shard) {
      if (!host->LeadsShard(shard)) continue;
      std::vector<std::string> bounds;
      for (auto [first, last] : host->def().slot_map().Ranges(shard)) {
        bounds.push_back(std::to_string(first));
        bounds.push_back(std::to_string(last));
      }
      op.args.assign(bounds.begin(), bounds.end());
      ops.emplace_back(shard, storage::EncodeOp(op));
    }
    return ctx.conn->ProposeToShards(std::move(ops));
  }
  ctx.Propose(op);
}

void TimeCmd(CommandContext& ctx, Args) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.out.ArrayHeader(2);
  ctx.out.Bulk(std::to_string(us / 1000000));
  ctx.out.Bulk(std::to_string(us % 1000000));
}

void ShutdownCmd(CommandContext& ctx, Args a) {
  bool save = false, nosave = false;
  for (size_t i = 1; i < a.size(); ++i) {
    save |= Is(a[i], "SAVE");
    nosave |= Is(a[i], "NOSAVE");
    if (Is(a[i], "ABORT")) {
      if (a.size() != 2) return SyntaxError(ctx);
      return ctx.Error("ERR No shutdown in progress.");
    }
    if (!Is(a[i], "NOSAVE") && !Is(a[i], "SAVE") && !Is(a[i], "NOW") && !Is(a[i], "FORCE")) {
      return SyntaxError(ctx);
    }
  }
  if (save && nosave) return SyntaxError(ctx);
  spdlog::warn("SHUTDOWN requested by client {}", ctx.conn->id());
  // Every acknowledged write is already in the WAL; Run() syncs it last.
  ctx.server.Shutdown();
  ctx.conn->CloseAfterReply();
}

void ConfigGet(CommandContext& ctx, Args a) {
  auto cfg = ctx.server.config();
  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& p : config::Params()) {
    for (size_t i = 2; i < a.size(); ++i) {
      if (GlobMatch(a[i], p.name, /*nocase=*/true)) {
        found.emplace_back(p.name, p.get(cfg));
        break;
      }
    }
  }
  ctx.out.MapHeader(static_cast<int64_t>(found.size()));
  for (auto& [k, v] : found) {
    ctx.out.Bulk(k);
    ctx.out.Bulk(v);
  }
}

void ConfigSet(CommandContext& ctx, Args a) {
  if (a.size() < 4 || a.size() % 2 != 0) {
    return ctx.Error("ERR wrong number of arguments for 'config|set' command");
  }
  std::vector<std::pair<std::string_view, std::string_view>> changes;
  for (size_t i = 2; i + 1 < a.size(); i += 2) changes.emplace_back(a[i], a[i + 1]);
  auto s = ctx.server.SetConfig(changes);
  if (!s.ok()) return ctx.Error("ERR " + s.message());
  ctx.out.Ok();
}

void ConfigHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value>",
      "    Set the configuration <directive> to <value>.",
      "RESETSTAT",
      "    Reset statistics reported by the INFO command.",
      "REWRITE",
      "    Rewrite the configuration file.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

void ConfigCmd(CommandContext& ctx, Args a) {
  std::string_view sub = a[1];
  if (Is(sub, "GET")) {
    if (a.size() < 3) return ctx.Error("ERR wrong number of arguments for 'config|get' command");
    return ConfigGet(ctx, a);
  }
  if (Is(sub, "SET")) return ConfigSet(ctx, a);
  if (Is(sub, "RESETSTAT") && a.size() == 2) {
    ctx.server.ResetStats();
    return ctx.out.Ok();
  }
  if (Is(sub, "REWRITE") && a.size() == 2) {
    return ctx.Error("ERR CONFIG REWRITE is not supported by shoal; edit the config file instead");
  }
  if (Is(sub, "HELP") && a.size() == 2) return ConfigHelp(ctx);
  ctx.Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try CONFIG HELP.");
}

constexpr uint32_t kAdm = kAdmin | kNoScript | kLoading | kStale;

constexpr CommandSpec kConfigSubs[] = {
    {"config|get", -3, kAdm, 0, 0, 0, ConfigCmd, "server", "2.0.0",
     "Returns the effective values of configuration parameters.", "O(N)"},
    {"config|help", 2, kLoading | kStale, 0, 0, 0, ConfigCmd, "server", "5.0.0",
     "Returns helpful text about the different subcommands."},
    {"config|resetstat", 2, kAdm, 0, 0, 0, ConfigCmd, "server", "2.0.0",
     "Resets the server's statistics."},
    {"config|rewrite", 2, kAdm, 0, 0, 0, ConfigCmd, "server", "2.8.0",
     "Persists the effective configuration to file."},
    {"config|set", -4, kAdm, 0, 0, 0, ConfigCmd, "server", "2.0.0",
     "Sets configuration parameters in-flight.", "O(N)"},
};

constexpr uint32_t kIntro = kLoading | kStale;

constexpr CommandSpec kCommandSubs[] = {
    {"command|count", 2, kIntro, 0, 0, 0, CommandCmd, "server", "2.8.13",
     "Returns a count of commands."},
    {"command|docs", -2, kIntro, 0, 0, 0, CommandCmd, "server", "7.0.0",
     "Returns documentary information about one, multiple or all commands.", "O(N)"},
    {"command|getkeys", -3, kIntro, 0, 0, 0, CommandCmd, "server", "2.8.13",
     "Extracts the key names from an arbitrary command.", "O(N)"},
    {"command|help", 2, kIntro, 0, 0, 0, CommandCmd, "server", "5.0.0",
     "Returns helpful text about the different subcommands."},
    {"command|info", -2, kIntro, 0, 0, 0, CommandCmd, "server", "2.8.13",
     "Returns information about one, multiple or all commands.", "O(N)"},
    {"command|list", -2, kIntro, 0, 0, 0, CommandCmd, "server", "7.0.0",
     "Returns a list of command names.", "O(N)"},
};

constexpr CommandSpec kCommands[] = {
    {"shoal.compact", 1, kAdm, 0, 0, 0, CompactCmd, "shoal", "0.1.0",
     "Compacts the node's storage now, dropping the members of deleted collections.", "O(N)"},
    {"dbsize", 1, kReadOnly | kFast, 0, 0, 0, DbSizeCmd, "server", "1.0.0",
     "Returns the number of keys in the database."},
    {"flushdb", -1, kWrite, 0, 0, 0, FlushCmd, "server", "1.0.0",
     "Remove all keys from the current database.", "O(N)"},
    {"flushall", -1, kWrite, 0, 0, 0, FlushCmd, "server", "1.0.0",
     "Removes all keys from all databases.", "O(N)"},
    {"time", 1, kLoading | kStale | kFast, 0, 0, 0, TimeCmd, "server", "2.6.0",
     "Returns the server time."},
    {"shutdown", -1, kAdm | kAllowBusy, 0, 0, 0, ShutdownCmd, "server", "1.0.0",
     "Synchronously saves the database(s) to disk and shuts down the Redis server.", "O(N)"},
    {"config", -2, 0, 0, 0, 0, ConfigCmd, "server", "2.0.0",
     "A container for server configuration commands.", "Depends on subcommand.", kConfigSubs},
    {"info", -1, kLoading | kStale, 0, 0, 0, InfoCmd, "server", "1.0.0",
     "Returns information and statistics about the server.", "O(1)"},
    {"command", -1, kLoading | kStale, 0, 0, 0, CommandCmd, "server", "2.8.13",
     "Returns detailed information about all commands.", "O(N)", kCommandSubs},
};

}  // namespace

std::span<const CommandSpec> ServerCommands() { return kCommands; }

}  // namespace shoal::server
