// COMMAND and its subcommands, generated from the command table.
#include <algorithm>

#include "core/strutil.h"
#include "server/commands/command_docs.h"
#include "server/commands/util.h"
#include "server/server.h"

namespace shoal::server {
namespace {

struct FlagName {
  CmdFlag flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kWrite, "write"},          {kReadOnly, "readonly"},
    {kDenyOom, "denyoom"},      {kAdmin, "admin"},
    {kPubSub, "pubsub"},        {kNoScript, "noscript"},
    {kBlocking, "blocking"},    {kLoading, "loading"},
    {kStale, "stale"},          {kFast, "fast"},
    {kNoAuth, "no_auth"},       {kMayReplicate, "may_replicate"},
    {kAllowBusy, "allow_busy"},
};

std::vector<std::string> AclCategories(const CommandSpec& c) {
  std::vector<std::string> out;
  if (c.flags & kWrite) out.push_back("@write");
  if (c.flags & kReadOnly) out.push_back("@read");
  if (c.flags & kAdmin) out.push_back("@admin");
  if (c.flags & kFast) out.push_back("@fast");
  if (!(c.flags & kFast)) out.push_back("@slow");
  if (c.group == "string") out.push_back("@string");
  if (c.group == "bitmap") out.push_back("@bitmap");
  if (c.group == "generic") out.push_back("@keyspace");
  if (c.group == "connection") out.push_back("@connection");
  if (c.group == "hash") out.push_back("@hash");
  if (c.group == "list") out.push_back("@list");
  if (c.group == "set") out.push_back("@set");
  if (c.group == "sorted-set" || c.group == "sorted_set") out.push_back("@sortedset");
  if (c.group == "transactions") out.push_back("@transaction");
  if (c.group == "stream") out.push_back("@stream");
  if (c.group == "pubsub") out.push_back("@pubsub");
  if (c.flags & kBlocking) out.push_back("@blocking");
  return out;
}

void WriteInfo(resp::Writer& w, const CommandSpec& c) {
  w.ArrayHeader(10);
  w.Bulk(c.name);
  w.Integer(c.arity);
  int nflags = c.keys != nullptr ? 1 : 0;
  for (auto& f : kFlagNames) nflags += (c.flags & f.flag) ? 1 : 0;
  w.SetHeader(nflags);
  for (auto& f : kFlagNames) {
    if (c.flags & f.flag) w.Simple(f.name);
  }
  // Keys found by a numkeys argument: clients ask COMMAND GETKEYS.
  if (c.keys != nullptr) w.Simple("movablekeys");
  w.Integer(c.first_key);
  w.Integer(c.last_key);
  w.Integer(c.key_step);
  auto cats = AclCategories(c);
  w.SetHeader(static_cast<int64_t>(cats.size()));
  for (auto& s : cats) w.Simple(s);
  w.SetHeader(0);  // tips
  if (c.first_key > 0) {
    // One key specification: keys from first_key to last_key by step.
    w.SetHeader(1);
    w.MapHeader(4);
    w.Bulk("flags");
    w.SetHeader(1);
    w.Simple((c.flags & kWrite) ? "RW" : "RO");
    w.Bulk("begin_search");
    w.MapHeader(2);
    w.Bulk("type");
    w.Bulk("index");
    w.Bulk("spec");
    w.MapHeader(1);
    w.Bulk("index");
    w.Integer(c.first_key);
    w.Bulk("find_keys");
    w.MapHeader(2);
    w.Bulk("type");
    w.Bulk("range");
    w.Bulk("spec");
    w.MapHeader(3);
    w.Bulk("lastkey");
    w.Integer(c.last_key < 0 ? c.last_key : c.last_key - c.first_key);
    w.Bulk("keystep");
    w.Integer(c.key_step);
    w.Bulk("limit");
    w.Integer(0);
    w.Bulk("notes");
    w.Bulk("");
  } else {
    w.SetHeader(0);
  }
  w.ArrayHeader(static_cast<int64_t>(c.subcommands.size()));
  for (const auto& s : c.subcommands) WriteInfo(w, s);
}

void WriteDocs(resp::Writer& w, const CommandSpec& c) {
  std::string_view syntax = CommandSyntax(c.name);
  int fields = 4 + (c.subcommands.empty() ? 0 : 1) + (syntax.empty() ? 0 : 1);
  w.MapHeader(fields);
  w.Bulk("summary");
  w.Bulk(c.summary);
  w.Bulk("since");
  w.Bulk(c.since);
  w.Bulk("group");
  w.Bulk(c.group);
  w.Bulk("complexity");
  w.Bulk(c.complexity);
  if (!syntax.empty()) {
    w.Bulk("arguments");
    WriteArgumentDocs(w, syntax);
  }
  if (!c.subcommands.empty()) {
    w.Bulk("subcommands");
    w.MapHeader(static_cast<int64_t>(c.subcommands.size()));
    for (const auto& s : c.subcommands) {
      w.Bulk(s.name);
      WriteDocs(w, s);
    }
  }
}

void GetKeys(CommandContext& ctx, Args a) {
  Args cmd = a.subspan(2);
  const CommandSpec* spec = CommandTable::Get().Find(cmd[0]);
  if (!spec) return ctx.Error("ERR Invalid command specified");
  if (!spec->subcommands.empty() && cmd.size() >= 2) {
    if (const CommandSpec* sub = CommandTable::FindSub(*spec, cmd[1])) spec = sub;
  }
  if (!ArityOk(*spec, cmd.size())) {
    return ctx.Error("ERR Invalid number of arguments specified for command");
  }
  std::vector<std::string_view> keys;
  for (size_t i : KeyIndexes(*spec, cmd)) keys.push_back(cmd[i]);
  if (keys.empty()) return ctx.Error("ERR The command has no key arguments");
  ctx.out.BulkArray(keys);
}

void Help(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void CommandCmd(CommandContext& ctx, Args a) {
  const auto& table = CommandTable::Get();
  auto& w = ctx.out;
  if (a.size() == 1) {
    w.ArrayHeader(static_cast<int64_t>(table.size()));
    for (const auto* c : table.all()) WriteInfo(w, *c);
    return;
  }
  std::string_view sub = a[1];
  if (Is(sub, "COUNT") && a.size() == 2) return w.Integer(static_cast<int64_t>(table.size()));
  if (Is(sub, "INFO")) {
    if (a.size() == 2) {
      w.ArrayHeader(static_cast<int64_t>(table.size()));
      for (const auto* c : table.all()) WriteInfo(w, *c);
      return;
    }
    w.ArrayHeader(static_cast<int64_t>(a.size() - 2));
    for (size_t i = 2; i < a.size(); ++i) {
      const CommandSpec* c = table.Find(a[i]);
      if (c) {
        WriteInfo(w, *c);
      } else {
        w.Null();
      }
    }
    return;
  }
  if (Is(sub, "DOCS")) {
    std::vector<const CommandSpec*> specs;
    if (a.size() == 2) {
      specs.assign(table.all().begin(), table.all().end());
    } else {
      for (size_t i = 2; i < a.size(); ++i) {
        if (const CommandSpec* c = table.Find(a[i])) specs.push_back(c);
      }
    }
    w.MapHeader(static_cast<int64_t>(specs.size()));
    for (const auto* c : specs) {
      w.Bulk(c->name);
      WriteDocs(w, *c);
    }
    return;
  }
  if (Is(sub, "LIST")) {
    std::optional<std::string_view> pattern, category;
    bool module = false;
    if (a.size() == 5 && Is(a[2], "FILTERBY")) {
      if (Is(a[3], "PATTERN")) {
        pattern = a[4];
      } else if (Is(a[3], "ACLCAT")) {
        category = a[4];
      } else if (Is(a[3], "MODULE")) {
        module = true;  // shoal has no modules: nothing matches
      } else {
        return SyntaxError(ctx);
      }
    } else if (a.size() != 2) {
      return SyntaxError(ctx);
    }
    std::vector<std::string_view> names;
    for (const auto* c : table.with_subcommands()) {
      if (module) break;
      if (pattern && !GlobMatch(*pattern, c->name, true)) continue;
      if (category) {
        auto cats = AclCategories(*c);
        std::string want = "@" + ToLower(*category);
        if (std::find(cats.begin(), cats.end(), want) == cats.end()) continue;
      }
      names.push_back(c->name);
    }
    return w.BulkArray(names);
  }
  if (Is(sub, "GETKEYS")) {
    if (a.size() < 3) {
      return ctx.Error("ERR wrong number of arguments for 'command|getkeys' command");
    }
    return GetKeys(ctx, a);
  }
  if (Is(sub, "HELP") && a.size() == 2) return Help(ctx);
  ctx.Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try COMMAND HELP.");
}

}  // namespace shoal::server
