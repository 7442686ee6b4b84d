#include "server/commands/util.h"

#include "core/strutil.h"
#include "storage/coll.h"
#include "storage/errors.h"
#include "storage/op.h"

namespace shoal::server {

std::optional<int64_t> IntArg(CommandContext& ctx, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v) ctx.Error(errors::kNotInteger);
  return v;
}

std::optional<int64_t> ParseExpire(std::string_view s, TimeUnit unit, bool absolute,
                                   bool positive_only, int64_t now_ms, std::string_view cmd,
                                   std::string* error) {
  auto v = ParseInt64(s);
  if (!v) {
    *error = errors::kNotInteger;
    return std::nullopt;
  }
  auto invalid = [&]() -> std::optional<int64_t> {
    *error = "ERR invalid expire time in '" + std::string(cmd) + "' command";
    return std::nullopt;
  };
  if (positive_only && *v <= 0) return invalid();
  int64_t ms = *v;
  if (unit == TimeUnit::kSeconds && __builtin_mul_overflow(*v, int64_t{1000}, &ms))
    return invalid();
  if (!absolute && __builtin_add_overflow(ms, now_ms, &ms)) return invalid();
  // A time at or before 0 would read as "no expiry" in the record.
  if (ms <= 0) ms = 1;
  return ms;
}

std::optional<int64_t> ExpireArg(CommandContext& ctx, std::string_view s, TimeUnit unit,
                                 bool absolute, bool positive_only) {
  std::string error;
  auto ms = ParseExpire(s, unit, absolute, positive_only, ctx.now_ms, ctx.spec->name, &error);
  if (!ms) ctx.Error(error);
  return ms;
}

void SyntaxError(CommandContext& ctx) { ctx.Error(errors::kSyntax); }

bool Is(std::string_view arg, std::string_view word) { return EqualsIgnoreCase(arg, word); }

void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines) {
  ctx.out.ArrayHeader(static_cast<int64_t>(lines.size()));
  for (auto l : lines) ctx.out.Simple(l);
}

}  // namespace shoal::server

namespace shoal::server {

void StorageCmd(CommandContext& ctx, Args a) {
  // By the name as sent: XGROUP / XINFO dispatch their subcommands
  // themselves, when applied as when served.
  const storage::coll::CmdImpl* impl = storage::coll::FindImpl(a[0]);
  if (impl == nullptr) return ctx.Error("ERR command not implemented");
  if (!IsWriteCall(*ctx.spec, a)) {
    storage::coll::Env env{ctx.ks(), ctx.now_ms, ctx.Seed(), ctx.out, /*write=*/false};
    return impl->fn(env, a);
  }
  storage::Op op;
  op.code = storage::OpCode::kCommand;
  op.num = static_cast<int64_t>(ctx.Seed());
  op.args.assign(a.begin(), a.end());
  // Inside a transaction a blocking command does not block (Redis).
  const bool may_block = BlocksCall(*ctx.spec, a) && !ctx.in_exec();
  if (may_block) op.flags = storage::op_flags::kMayBlock;
  std::string* buf = ctx.out.buffer();
  const size_t mark = buf->size();
  ctx.Propose(op);
  // Single node: the op was applied just now. (In cluster mode the reply
  // comes with the proposal's outcome: cluster_dispatch.cc.)
  if (may_block && ctx.conn != nullptr && ctx.conn->capture() == nullptr &&
      storage::IsWouldBlock(std::string_view(*buf).substr(mark))) {
    std::string reply = buf->substr(mark);
    buf->resize(mark);
    ctx.conn->Block(nullptr, ctx.spec, std::vector<std::string>(a.begin(), a.end()), reply);
  }
}

}  // namespace shoal::server
