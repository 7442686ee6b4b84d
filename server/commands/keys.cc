// Generic key commands: syntax here; semantics in storage/apply_keys.cc
// (writes) and storage/reads.cc (reads).
#include <random>

#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"
#include "storage/errors.h"
#include "storage/reads.h"

namespace shoal::server {
namespace {

using storage::Op;
using storage::OpCode;
namespace f = storage::op_flags;
namespace reads = storage::reads;

void DelCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kDel;
  op.args.assign(a.begin() + 1, a.end());
  ctx.Propose(op);
}

void ExistsCmd(CommandContext& ctx, Args a) {
  reads::Exists(ctx.ks(), a.subspan(1), ctx.now_ms, ctx.out);
}
void TouchCmd(CommandContext& ctx, Args a) {
  reads::Touch(ctx.ks(), a.subspan(1), ctx.now_ms, ctx.out);
}
void TypeCmd(CommandContext& ctx, Args a) { reads::Type(ctx.ks(), a[1], ctx.now_ms, ctx.out); }

void ExpireCmd(CommandContext& ctx, Args a) {
  std::string_view name = ctx.spec->name;
  auto unit = (name == "expire" || name == "expireat") ? TimeUnit::kSeconds : TimeUnit::kMillis;
  bool absolute = name == "expireat" || name == "pexpireat";
  uint32_t flags = 0;
  for (size_t i = 3; i < a.size(); ++i) {
    if (Is(a[i], "NX")) {
      flags |= f::kExpNx;
    } else if (Is(a[i], "XX")) {
      flags |= f::kExpXx;
    } else if (Is(a[i], "GT")) {
      flags |= f::kExpGt;
    } else if (Is(a[i], "LT")) {
      flags |= f::kExpLt;
    } else {
      return ctx.Error("ERR Unsupported option " + std::string(a[i]));
    }
  }
  if ((flags & f::kExpNx) && (flags & (f::kExpXx | f::kExpGt | f::kExpLt))) {
    return ctx.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & f::kExpGt) && (flags & f::kExpLt)) {
    return ctx.Error("ERR GT and LT options at the same time are not compatible");
  }
  auto ms = ExpireArg(ctx, a[2], unit, absolute, /*positive_only=*/false);
  if (!ms) return;
  Op op;
  op.code = OpCode::kExpire;
  op.flags = flags;
  op.num = *ms;
  op.args = {a[1]};
  ctx.Propose(op);
}

void TtlCmd(CommandContext& ctx, Args a) {
  std::string_view n = ctx.spec->name;
  auto form = n == "ttl"          ? reads::TtlForm::kRelativeSec
              : n == "pttl"       ? reads::TtlForm::kRelativeMs
              : n == "expiretime" ? reads::TtlForm::kAbsoluteSec
                                  : reads::TtlForm::kAbsoluteMs;
  reads::Ttl(ctx.ks(), a[1], form, ctx.now_ms, ctx.out);
}

void PersistCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kPersist;
  op.args = {a[1]};
  ctx.Propose(op);
}

void RenameCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kRename;
  op.flags = ctx.spec->name == "renamenx" ? f::kRenameNx : 0;
  op.args = {a[1], a[2]};
  ctx.Propose(op);
}

void CopyCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kCopy;
  op.args = {a[1], a[2]};
  for (size_t i = 3; i < a.size(); ++i) {
    if (Is(a[i], "REPLACE")) {
      op.flags |= f::kCopyReplace;
    } else if (Is(a[i], "DB") && i + 1 < a.size()) {
      auto db = IntArg(ctx, a[++i]);
      if (!db) return;
      if (*db != 0)
        return ctx.Error("ERR Copying to another database is not allowed in cluster mode");
    } else {
      return SyntaxError(ctx);
    }
  }
  ctx.Propose(op);
}

void KeysCmd(CommandContext& ctx, Args a) { reads::Keys(ctx.ks(), a[1], ctx.now_ms, ctx.out); }

void ScanCmd(CommandContext& ctx, Args a) {
  reads::ScanArgs sa;
  // Cursors are unsigned 64-bit decimal numbers, as in Redis.
  std::string_view c = a[1];
  if (c.empty() || c.size() > 20 || c.find_first_not_of("0123456789") != std::string_view::npos) {
    return ctx.Error("ERR invalid cursor");
  }
  sa.cursor = std::strtoull(std::string(c).c_str(), nullptr, 10);
  for (size_t i = 2; i < a.size(); i += 2) {
    if (i + 1 >= a.size()) return SyntaxError(ctx);
    if (Is(a[i], "MATCH")) {
      sa.pattern = a[i + 1];
      if (*sa.pattern == "*") sa.pattern.reset();
    } else if (Is(a[i], "COUNT")) {
      auto n = IntArg(ctx, a[i + 1]);
      if (!n) return;
      if (*n < 1) return SyntaxError(ctx);
      sa.count = *n;
    } else if (Is(a[i], "TYPE")) {
      sa.type = a[i + 1];
    } else {
      return SyntaxError(ctx);
    }
  }
  reads::Scan(ctx.ks(), sa, ctx.now_ms, ctx.out);
}

void RandomKeyCmd(CommandContext& ctx, Args) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  reads::RandomKey(ctx.ks(), rng(), ctx.now_ms, ctx.out);
}

void ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

void ObjectCmd(CommandContext& ctx, Args a) {
  std::string_view sub = a[1];
  if (Is(sub, "HELP") && a.size() == 2) return ObjectHelp(ctx);
  reads::ObjectField field;
  if (Is(sub, "ENCODING")) {
    field = reads::ObjectField::kEncoding;
  } else if (Is(sub, "FREQ")) {
    field = reads::ObjectField::kFreq;
  } else if (Is(sub, "IDLETIME")) {
    field = reads::ObjectField::kIdleTime;
  } else if (Is(sub, "REFCOUNT")) {
    field = reads::ObjectField::kRefCount;
  } else {
    return ctx.Error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) +
                     "'. Try OBJECT HELP.");
  }
  if (a.size() != 3) {
    return ctx.Error("ERR wrong number of arguments for 'object|" + ToLower(sub) + "' command");
  }
  reads::Object(ctx.ks(), field, a[2], ctx.now_ms, ctx.out);
}

constexpr uint32_t kWF = kWrite | kFast;
constexpr uint32_t kRF = kReadOnly | kFast;

constexpr CommandSpec kObjectSubs[] = {
    {"object|encoding", 3, kReadOnly, 2, 2, 1, ObjectCmd, "generic", "2.2.3",
     "Returns the internal encoding of a Redis object."},
    {"object|freq", 3, kReadOnly, 2, 2, 1, ObjectCmd, "generic", "4.0.0",
     "Returns the logarithmic access frequency counter of a Redis object."},
    {"object|help", 2, kReadOnly | kLoading | kStale, 0, 0, 0, ObjectCmd, "generic", "6.2.0",
     "Returns helpful text about the different subcommands."},
    {"object|idletime", 3, kReadOnly, 2, 2, 1, ObjectCmd, "generic", "2.2.3",
     "Returns the time since the last access to a Redis object."},
    {"object|refcount", 3, kReadOnly, 2, 2, 1, ObjectCmd, "generic", "2.2.3",
     "Returns the reference count of a value of a key."},
};

constexpr CommandSpec kCommands[] = {
    {"del", -2, kWrite, 1, -1, 1, DelCmd, "generic", "1.0.0", "Deletes one or more keys.", "O(N)"},
    {"unlink", -2, kWF, 1, -1, 1, DelCmd, "generic", "4.0.0",
     "Asynchronously deletes one or more keys.", "O(N)"},
    {"exists", -2, kRF, 1, -1, 1, ExistsCmd, "generic", "1.0.0",
     "Determines whether one or more keys exist.", "O(N)"},
    {"touch", -2, kRF, 1, -1, 1, TouchCmd, "generic", "3.2.1",
     "Returns the number of existing keys out of those specified after updating the time they were "
     "last accessed.",
     "O(N)"},
    {"type", 2, kRF, 1, 1, 1, TypeCmd, "generic", "1.0.0",
     "Determines the type of value stored at a key."},
    {"expire", -3, kWF, 1, 1, 1, ExpireCmd, "generic", "1.0.0",
     "Sets the expiration time of a key in seconds."},
    {"pexpire", -3, kWF, 1, 1, 1, ExpireCmd, "generic", "2.6.0",
     "Sets the expiration time of a key in milliseconds."},
    {"expireat", -3, kWF, 1, 1, 1, ExpireCmd, "generic", "1.2.0",
     "Sets the expiration time of a key to a Unix timestamp."},
    {"pexpireat", -3, kWF, 1, 1, 1, ExpireCmd, "generic", "2.6.0",
     "Sets the expiration time of a key to a Unix milliseconds timestamp."},
    {"ttl", 2, kRF, 1, 1, 1, TtlCmd, "generic", "1.0.0",
     "Returns the expiration time in seconds of a key."},
    {"pttl", 2, kRF, 1, 1, 1, TtlCmd, "generic", "2.6.0",
     "Returns the expiration time in milliseconds of a key."},
    {"expiretime", 2, kRF, 1, 1, 1, TtlCmd, "generic", "7.0.0",
     "Returns the expiration time of a key as a Unix timestamp."},
    {"pexpiretime", 2, kRF, 1, 1, 1, TtlCmd, "generic", "7.0.0",
     "Returns the expiration time of a key as a Unix milliseconds timestamp."},
    {"persist", 2, kWF, 1, 1, 1, PersistCmd, "generic", "2.2.0",
     "Removes the expiration time of a key."},
    {"rename", 3, kWrite, 1, 2, 1, RenameCmd, "generic", "1.0.0",
     "Renames a key and overwrites the destination."},
    {"renamenx", 3, kWF, 1, 2, 1, RenameCmd, "generic", "1.0.0",
     "Renames a key only when the target key name doesn't exist."},
    {"copy", -3, kWrite | kDenyOom, 1, 2, 1, CopyCmd, "generic", "6.2.0",
     "Copies the value of a key to a new key.", "O(N)"},
    {"keys", 2, kReadOnly, 0, 0, 0, KeysCmd, "generic", "1.0.0",
     "Returns all key names that match a pattern.", "O(N)"},
    {"scan", -2, kReadOnly, 0, 0, 0, ScanCmd, "generic", "2.8.0",
     "Iterates over the key names in the database.",
     "O(1) per call. O(N) for a complete iteration."},
    {"randomkey", 1, kReadOnly, 0, 0, 0, RandomKeyCmd, "generic", "1.0.0",
     "Returns a random key name from the database."},
    {"object", -2, 0, 0, 0, 0, ObjectCmd, "generic", "2.2.3",
     "A container for object introspection commands.", "Depends on subcommand.", kObjectSubs},
};

}  // namespace

std::span<const CommandSpec> KeyCommands() { return kCommands; }

}  // namespace shoal::server
