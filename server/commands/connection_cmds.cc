// Connection commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, RESET, CLIENT.
#include <algorithm>

#include "config/config.h"
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"

namespace shoal::server {
namespace {

void PingCmd(CommandContext& ctx, Args a) {
  if (a.size() > 2) return ctx.WrongArity();
  // RESP2 subscribed mode answers a "pong" message (Redis).
  if (ctx.conn != nullptr && ctx.conn->subscribed() && !ctx.out.resp3()) {
    ctx.out.ArrayHeader(2);
    ctx.out.Bulk("pong");
    return ctx.out.Bulk(a.size() == 2 ? a[1] : std::string_view());
  }
  if (a.size() == 2) return ctx.out.Bulk(a[1]);
  ctx.out.Simple("PONG");
}

void EchoCmd(CommandContext& ctx, Args a) { ctx.out.Bulk(a[1]); }

void QuitCmd(CommandContext& ctx, Args) {
  ctx.out.Ok();
  ctx.conn->CloseAfterReply();
}

void SelectCmd(CommandContext& ctx, Args a) {
  auto db = IntArg(ctx, a[1]);
  if (!db) return;
  if (*db != 0) return ctx.Error("ERR SELECT is not allowed in cluster mode");
  ctx.out.Ok();
}

// AUTH [username] password. Only the "default" user exists; without
// requirepass it has no password and any password is accepted for it.
bool TryAuth(CommandContext& ctx, std::string_view user, std::string_view pass) {
  bool ok = user == "default" && (!ctx.server.auth_required() || ctx.server.CheckPassword(pass));
  if (!ok) {
    ctx.Error("WRONGPASS invalid username-password pair or user is disabled.");
    return false;
  }
  ctx.conn->SetAuthenticated(true);
  return true;
}

void AuthCmd(CommandContext& ctx, Args a) {
  if (a.size() > 3) return SyntaxError(ctx);
  if (!ctx.server.auth_required() && a.size() == 2) {
    return ctx.Error(
        "ERR AUTH <password> called without any password configured for the default user. Are you "
        "sure your configuration is correct?");
  }
  std::string_view user = a.size() == 3 ? a[1] : std::string_view("default");
  if (TryAuth(ctx, user, a.back())) ctx.out.Ok();
}

void HelloCmd(CommandContext& ctx, Args a) {
  resp::Protocol proto = ctx.out.protocol();
  size_t i = 1;
  if (a.size() >= 2) {
    auto v = ParseInt64(a[1]);
    if (!v) return ctx.Error("ERR Protocol version is not an integer or out of range");
    if (*v != 2 && *v != 3) return ctx.Error("NOPROTO unsupported protocol version");
    proto = static_cast<resp::Protocol>(*v);
    i = 2;
  }
  std::string_view user, pass, name;
  bool auth = false, setname = false;
  for (; i < a.size(); ++i) {
    bool more = a.size() - i - 1;
    if (Is(a[i], "AUTH") && a.size() - i - 1 >= 2) {
      user = a[i + 1];
      pass = a[i + 2];
      auth = true;
      i += 2;
    } else if (Is(a[i], "SETNAME") && more) {
      name = a[++i];
      setname = true;
    } else {
      return ctx.Error("ERR Syntax error in HELLO option '" + std::string(a[i]) + "'");
    }
  }
  if (auth && !TryAuth(ctx, user, pass)) return;
  if (!ctx.conn->authenticated()) {
    return ctx.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
        "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time");
  }
  if (setname) {
    if (name.find_first_of(" \n\r") != std::string_view::npos) {
      return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    ctx.conn->SetName(std::string(name));
  }
  ctx.conn->SetProtocol(proto);
  auto& w = ctx.out;
  w.MapHeader(8);
  w.Bulk("server");
  w.Bulk("redis");
  w.Bulk("version");
  w.Bulk("7.0.0");
  w.Bulk("proto");
  w.Integer(static_cast<int>(proto));
  w.Bulk("id");
  w.Integer(static_cast<int64_t>(ctx.conn->id()));
  w.Bulk("mode");
  w.Bulk("standalone");
  w.Bulk("role");
  w.Bulk("master");
  w.Bulk("modules");
  w.ArrayHeader(0);
  w.Bulk("shoal_version");
  w.Bulk(config::kVersion);
}

void ResetCmd(CommandContext& ctx, Args) {
  ctx.conn->Discard();
  ctx.conn->UnsubscribeAll();
  ctx.conn->SetProtocol(resp::Protocol::kResp2);
  ctx.conn->SetName("");
  ctx.conn->SetAuthenticated(!ctx.server.auth_required());
  ctx.out.Simple("RESET");
}

// --- CLIENT -----------------------------------------------------------------

std::string FormatClient(const ClientInfo& c, int64_t now_ms) {
  auto age = (now_ms - c.created_ms) / 1000;
  auto idle = (now_ms - c.last_active_ms) / 1000;
  return "id=" + std::to_string(c.id) + " addr=" + c.addr + " laddr=" + c.laddr +
         " fd=" + std::to_string(c.fd) + " name=" + c.name + " age=" + std::to_string(age) +
         " idle=" + std::to_string(idle) + " flags=" + (c.sub + c.psub + c.ssub > 0 ? "P" : "N") +
         " db=0 sub=" + std::to_string(c.sub) + " psub=" + std::to_string(c.psub) +
         " ssub=" + std::to_string(c.ssub) +
         " multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=" +
         std::to_string(c.omem) +
         " tot-mem=0 events=r cmd=" + (c.last_cmd.empty() ? "NULL" : c.last_cmd) +
         " user=default redir=-1 resp=" + std::to_string(c.resp) + " lib-name=" + c.lib_name +
         " lib-ver=" + c.lib_ver + "\n";
}

void ClientList(CommandContext& ctx, Args a) {
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < a.size(); ++i) {
    if (Is(a[i], "TYPE") && i + 1 < a.size()) {
      std::string_view t = a[++i];
      if (!Is(t, "normal") && !Is(t, "master") && !Is(t, "replica") && !Is(t, "pubsub")) {
        return ctx.Error("ERR Unknown client type '" + std::string(t) + "'");
      }
      if (!Is(t, "normal")) return ctx.out.Verbatim("txt", "");
    } else if (Is(a[i], "ID") && i + 1 < a.size()) {
      while (++i < a.size()) {
        auto id = ParseInt64(a[i]);
        if (!id || *id <= 0) return ctx.Error("ERR Invalid client ID");
        ids.push_back(static_cast<uint64_t>(*id));
      }
    } else {
      return SyntaxError(ctx);
    }
  }
  std::string text;
  for (auto& c : ctx.server.Clients()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c->id()) == ids.end()) continue;
    text += FormatClient(c->Info(), ctx.now_ms);
  }
  ctx.out.Verbatim("txt", text);
}

void ClientKill(CommandContext& ctx, Args a) {
  // Old form: CLIENT KILL addr:port -> +OK or error.
  if (a.size() == 3) {
    for (auto& c : ctx.server.Clients()) {
      if (c->Info().addr == a[2]) {
        c->Kill();
        return ctx.out.Ok();
      }
    }
    return ctx.Error("ERR No such client");
  }
  if (a.size() % 2 != 0) return SyntaxError(ctx);
  std::optional<uint64_t> id;
  std::optional<std::string_view> addr, laddr, user;
  bool skipme = true;
  for (size_t i = 2; i + 1 < a.size(); i += 2) {
    std::string_view k = a[i], v = a[i + 1];
    if (Is(k, "ID")) {
      auto n = ParseInt64(v);
      if (!n || *n <= 0) return ctx.Error("ERR client-id should be greater than 0");
      id = static_cast<uint64_t>(*n);
    } else if (Is(k, "ADDR")) {
      addr = v;
    } else if (Is(k, "LADDR")) {
      laddr = v;
    } else if (Is(k, "USER")) {
      if (v != "default") return ctx.Error("ERR No such user '" + std::string(v) + "'");
      user = v;
    } else if (Is(k, "SKIPME")) {
      if (Is(v, "yes")) {
        skipme = true;
      } else if (Is(v, "no")) {
        skipme = false;
      } else {
        return SyntaxError(ctx);
      }
    } else if (Is(k, "TYPE")) {
      if (!Is(v, "normal") && !Is(v, "master") && !Is(v, "replica") && !Is(v, "pubsub")) {
        return ctx.Error("ERR Unknown client type '" + std::string(v) + "'");
      }
      if (!Is(v, "normal")) return ctx.out.Integer(0);
    } else {
      return SyntaxError(ctx);
    }
  }
  int64_t killed = 0;
  for (auto& c : ctx.server.Clients()) {
    if (skipme && c->id() == ctx.conn->id()) continue;
    ClientInfo info = c->Info();
    if (id && info.id != *id) continue;
    if (addr && info.addr != *addr) continue;
    if (laddr && info.laddr != *laddr) continue;
    if (user && *user != "default") continue;
    c->Kill();
    ++killed;
  }
  ctx.out.Integer(killed);
}

void ClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>,",
      "    TYPE normal|master|replica|pubsub, USER <username>, SKIPME yes|no.",
      "LIST [options ...]",
      "    Return information about client connections. Options: TYPE <type>, ID <id> [...].",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO <option> <value>",
      "    Set client meta attr. Options are: LIB-NAME <name>, LIB-VER <version>.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

bool ValidName(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

void ClientCmd(CommandContext& ctx, Args a) {
  std::string_view sub = a[1];
  auto wrong = [&] {
    ctx.Error("ERR wrong number of arguments for 'client|" + ToLower(sub) + "' command");
  };
  if (Is(sub, "ID")) {
    if (a.size() != 2) return wrong();
    return ctx.out.Integer(static_cast<int64_t>(ctx.conn->id()));
  }
  if (Is(sub, "GETNAME")) {
    if (a.size() != 2) return wrong();
    auto name = ctx.conn->Info().name;
    if (name.empty()) return ctx.out.Null();
    return ctx.out.Bulk(name);
  }
  if (Is(sub, "SETNAME")) {
    if (a.size() != 3) return wrong();
    if (!ValidName(a[2])) {
      return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
    }
    ctx.conn->SetName(std::string(a[2]));
    return ctx.out.Ok();
  }
  if (Is(sub, "SETINFO")) {
    if (a.size() != 4) return wrong();
    if (!ValidName(a[3])) {
      return ctx.Error("ERR " + ToUpper(a[2]) +
                       " cannot contain spaces, newlines or special characters.");
    }
    if (Is(a[2], "LIB-NAME")) {
      ctx.conn->SetLibInfo(std::string(a[3]), "");
    } else if (Is(a[2], "LIB-VER")) {
      ctx.conn->SetLibInfo("", std::string(a[3]));
    } else {
      return ctx.Error("ERR Unrecognized option '" + std::string(a[2]) + "'");
    }
    return ctx.out.Ok();
  }
  if (Is(sub, "INFO")) {
    if (a.size() != 2) return wrong();
    return ctx.out.Verbatim("txt", FormatClient(ctx.conn->Info(), ctx.now_ms));
  }
  if (Is(sub, "LIST")) return ClientList(ctx, a);
  if (Is(sub, "KILL")) {
    if (a.size() < 3) return wrong();
    return ClientKill(ctx, a);
  }
  if (Is(sub, "NO-EVICT") || Is(sub, "NO-TOUCH")) {
    if (a.size() != 3) return wrong();
    if (!Is(a[2], "on") && !Is(a[2], "off")) return SyntaxError(ctx);
    return ctx.out.Ok();
  }
  if (Is(sub, "HELP") && a.size() == 2) return ClientHelp(ctx);
  ctx.Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try CLIENT HELP.");
}

constexpr uint32_t kConn = kNoScript | kLoading | kStale;

constexpr CommandSpec kClientSubs[] = {
    {"client|getname", 2, kConn, 0, 0, 0, ClientCmd, "connection", "2.6.9",
     "Returns the name of the connection."},
    {"client|help", 2, kConn, 0, 0, 0, ClientCmd, "connection", "5.0.0",
     "Returns helpful text about the different subcommands."},
    {"client|id", 2, kConn, 0, 0, 0, ClientCmd, "connection", "5.0.0",
     "Returns the unique client ID of the connection."},
    {"client|info", 2, kConn, 0, 0, 0, ClientCmd, "connection", "6.2.0",
     "Returns information about the connection."},
    {"client|kill", -3, kAdmin | kConn, 0, 0, 0, ClientCmd, "connection", "2.4.0",
     "Terminates open connections.", "O(N)"},
    {"client|list", -2, kAdmin | kConn, 0, 0, 0, ClientCmd, "connection", "2.4.0",
     "Lists open connections.", "O(N)"},
    {"client|no-evict", 3, kAdmin | kConn, 0, 0, 0, ClientCmd, "connection", "7.0.0",
     "Sets the client eviction mode of the connection."},
    {"client|no-touch", 3, kConn, 0, 0, 0, ClientCmd, "connection", "7.2.0",
     "Controls whether commands sent by the client affect the LRU/LFU of accessed keys."},
    {"client|setinfo", 4, kConn, 0, 0, 0, ClientCmd, "connection", "7.2.0",
     "Sets information specific to the client or connection."},
    {"client|setname", 3, kConn, 0, 0, 0, ClientCmd, "connection", "2.6.9",
     "Sets the connection name."},
};

constexpr CommandSpec kCommands[] = {
    {"ping", -1, kFast, 0, 0, 0, PingCmd, "connection", "1.0.0",
     "Returns the server's liveliness response."},
    {"echo", 2, kFast, 0, 0, 0, EchoCmd, "connection", "1.0.0", "Returns the given string."},
    {"quit", -1, kNoAuth | kConn | kFast | kAllowBusy, 0, 0, 0, QuitCmd, "connection", "1.0.0",
     "Closes the connection."},
    {"select", 2, kConn | kFast, 0, 0, 0, SelectCmd, "connection", "1.0.0",
     "Changes the selected database."},
    {"auth", -2, kNoAuth | kConn | kFast | kAllowBusy, 0, 0, 0, AuthCmd, "connection", "1.0.0",
     "Authenticates the connection."},
    {"hello", -1, kNoAuth | kConn | kFast | kAllowBusy, 0, 0, 0, HelloCmd, "connection", "6.0.0",
     "Handshakes with the Redis server."},
    {"reset", 1, kNoAuth | kConn | kFast | kAllowBusy, 0, 0, 0, ResetCmd, "connection", "6.2.0",
     "Resets the connection."},
    {"client", -2, 0, 0, 0, 0, ClientCmd, "connection", "2.4.0",
     "A container for client connection commands.", "Depends on subcommand.", kClientSubs},
};

}  // namespace

std::span<const CommandSpec> ConnectionCommands() { return kCommands; }

}  // namespace shoal::server
