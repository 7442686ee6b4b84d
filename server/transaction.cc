// MULTI / EXEC / DISCARD / WATCH / UNWATCH, and the internal commands a
// node forwards to a shard's leader (SHOAL.TRY, SHOAL.EXEC).
//
// A transaction is one replicated operation (OpCode::kExec): the queued
// commands travel in it with the digests of the watched keys, and every
// replica runs them, all or none, under the locks of all their keys
// (docs/adr/007-collections-and-transactions.md). WATCH records a digest of
// each key's state (Keyspace::Digest); the EXEC op aborts where it is
// applied if any digest changed, so every replica decides the same.
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "client/client.h"
#include "core/keyslot.h"
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/connection.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/coll.h"
#include "storage/op.h"

namespace shoal::server {
namespace {

// The WATCH digests of `keys`, as space-separated decimals.
std::string Digests(storage::Keyspace& ks, Args keys, int64_t now_ms) {
  std::string out;
  for (auto key : keys) {
    storage::KeyRef ref = storage::Keyspace::Ref(key);
    auto lock = ks.LockKey(ref);
    if (!out.empty()) out.push_back(' ');
    out += std::to_string(ks.Digest(ref, now_ms));
  }
  return out;
}

std::vector<uint64_t> ParseDigests(std::string_view text) {
  std::vector<uint64_t> out;
  while (!text.empty()) {
    size_t sp = text.find(' ');
    std::string part(text.substr(0, sp));
    char* end = nullptr;
    out.push_back(std::strtoull(part.c_str(), &end, 10));
    text = sp == std::string_view::npos ? std::string_view() : text.substr(sp + 1);
  }
  return out;
}

// Keyless commands a transaction may hold (they need no connection and
// change nothing outside the keyspace).
bool KeylessAllowedInMulti(std::string_view name) {
  return name == "ping" || name == "echo" || name == "time" || name == "dbsize" ||
         name == "lastsave";
}

class TxRunner final : public storage::ExecRunner {
 public:
  explicit TxRunner(Server& server) : server_(server) {}

  void RunExec(const storage::Op& op, resp::Writer& reply, bool proposer) override {
    const size_t watched = op.flags;
    if (op.args.size() < 2 * watched) return reply.Error("ERR malformed transaction");
    std::vector<std::vector<std::string_view>> cmds;
    for (size_t i = 2 * watched; i < op.args.size(); ++i) {
      auto argv = storage::DecodeArgv(op.args[i]);
      if (!argv || argv->empty()) return reply.Error("ERR malformed transaction");
      cmds.push_back(std::move(*argv));
    }
    const auto& table = CommandTable::Get();
    std::vector<storage::KeyRef> refs;
    for (size_t i = 0; i < watched; ++i) refs.push_back(storage::Keyspace::Ref(op.args[2 * i]));
    for (const auto& argv : cmds) {
      if (const CommandSpec* spec = table.Find(argv[0])) {
        for (size_t k : KeyIndexes(*spec, argv)) refs.push_back(storage::Keyspace::Ref(argv[k]));
      }
    }
    storage::Keyspace& ks = server_.keyspace();
    // All keys at once: no other command sees the transaction half done.
    auto lock = ks.LockKeys(refs);
    // And no group flush makes half of it durable (single node).
    auto hold = ks.HoldFlush();
    for (size_t i = 0; i < watched; ++i) {
      uint64_t want = storage::coll::BytesU64(op.args[2 * i + 1]);
      if (ks.Digest(refs[i], op.now_ms) != want) return reply.NullArray();
    }
    reply.ArrayHeader(static_cast<int64_t>(cmds.size()));
    for (size_t i = 0; i < cmds.size(); ++i) {
      Args argv(cmds[i]);
      const CommandSpec* top = table.Find(argv[0]);
      const CommandSpec* spec = top;
      if (top != nullptr && !top->subcommands.empty() && argv.size() >= 2) {
        spec = CommandTable::FindSub(*top, argv[1]);
      }
      if (top == nullptr || spec == nullptr || !ArityOk(*spec, argv.size())) {
        reply.Error("ERR command cannot run in a transaction");
        continue;
      }
      CommandContext ctx(server_, nullptr, reply, op.now_ms, spec);
      ctx.SetInExec(static_cast<uint64_t>(op.num) + (static_cast<uint64_t>(i) << 32));
      // Keyspace notifications come from the node whose client waits: the
      // leader that proposed the transaction.
      const bool notify = proposer && server_.notify_flags() != 0 && (spec->flags & kWrite);
      notify::BeforeWrite before;
      if (notify) before = notify::BeforeWrite(server_, *spec, argv);
      const size_t mark = reply.buffer()->size();
      top->handler(ctx, argv);
      if (notify) {
        notify::AfterWrite(server_, *spec, argv, std::string_view(*reply.buffer()).substr(mark),
                           before);
      }
    }
  }

 private:
  Server& server_;
};

void MultiCmd(CommandContext& ctx, Args) {
  if (ctx.conn->in_multi()) return ctx.Error("ERR MULTI calls can not be nested");
  ctx.conn->StartMulti();
  ctx.out.Ok();
}

void ExecCmd(CommandContext& ctx, Args) { ctx.conn->Exec(ctx); }

void DiscardCmd(CommandContext& ctx, Args) {
  if (!ctx.conn->in_multi()) return ctx.Error("ERR DISCARD without MULTI");
  ctx.conn->Discard();
  ctx.out.Ok();
}

void WatchCmd(CommandContext& ctx, Args a) {
  if (ctx.conn->in_multi()) return ctx.Error("ERR WATCH inside MULTI is not allowed");
  ctx.conn->Watch(ctx, a.subspan(1));
}

void UnwatchCmd(CommandContext& ctx, Args) {
  ctx.conn->Unwatch();
  ctx.out.Ok();
}

// SHOAL.TRY <blocking command...>: one attempt of a blocking command for a
// node whose client waits (server/blocking.h); answers "would block"
// instead of blocking.
std::vector<size_t> TryKeys(Args a) {
  std::vector<size_t> out;
  if (a.size() < 2) return out;
  const CommandSpec* spec = CommandTable::Get().Find(a[1]);
  if (spec == nullptr || !(spec->flags & kBlocking)) return out;
  for (size_t i : KeyIndexes(*spec, a.subspan(1))) out.push_back(i + 1);
  return out;
}

void TryCmd(CommandContext& ctx, Args a) {
  const CommandSpec* spec = CommandTable::Get().Find(a[1]);
  const storage::coll::CmdImpl* impl = storage::coll::FindImpl(a[1]);
  if (spec == nullptr || impl == nullptr || !(spec->flags & kBlocking) ||
      !ArityOk(*spec, a.size() - 1)) {
    return ctx.Error("ERR SHOAL.TRY needs a blocking command");
  }
  storage::Op op;
  op.code = storage::OpCode::kCommand;
  op.flags = storage::op_flags::kMayBlock;
  if (EqualsIgnoreCase(a[0], "shoal.retry")) op.flags |= storage::op_flags::kRetry;
  op.num = static_cast<int64_t>(ctx.Seed());
  op.args.assign(a.begin() + 1, a.end());
  ctx.Propose(op);
}

// SHOAL.EXEC <key> <op>: a transaction built by another node, proposed
// here (this node leads the shard of <key>).
void ShoalExecCmd(CommandContext& ctx, Args a) {
  auto op = storage::DecodeOp(a[2]);
  if (!op.ok() || op->code != storage::OpCode::kExec) {
    return ctx.Error("ERR SHOAL.EXEC needs a transaction op");
  }
  ctx.Propose(*op);
}

// SHOAL.DIGEST key [key ...]: the WATCH digests of keys, as space-separated
// decimals, from the shard's leader (after its ReadIndex round).
void DigestCmd(CommandContext& ctx, Args a) {
  ctx.out.Bulk(Digests(ctx.ks(), a.subspan(1), ctx.now_ms));
}

constexpr uint32_t kTx = kNoScript | kLoading | kStale | kFast | kAllowBusy | kTxControl;

constexpr CommandSpec kCommands[] = {
    {"multi", 1, kTx, 0, 0, 0, MultiCmd, "transactions", "1.2.0", "Starts a transaction."},
    {"exec", 1, kNoScript | kLoading | kStale | kTxControl, 0, 0, 0, ExecCmd, "transactions",
     "1.2.0", "Executes all commands in a transaction.", "Depends on commands in the transaction"},
    {"discard", 1, kTx, 0, 0, 0, DiscardCmd, "transactions", "2.0.0", "Discards a transaction.",
     "O(N), when N is the number of queued commands"},
    {"watch", -2, kTx, 1, -1, 1, WatchCmd, "transactions", "2.2.0",
     "Monitors changes to keys to determine the execution of a transaction.",
     "O(1) for every key."},
    {"unwatch", 1, kTx, 0, 0, 0, UnwatchCmd, "transactions", "2.2.0",
     "Forgets about watched keys of a transaction.", "O(1)"},
    {"shoal.try",
     -3,
     kWrite,
     2,
     2,
     1,
     TryCmd,
     "shoal",
     "0.1.0",
     "Internal: one attempt of a blocking command, forwarded by the node its client waits on.",
     "Depends on the command",
     {},
     {},
     TryKeys},
    {"shoal.retry",
     -3,
     kWrite,
     2,
     2,
     1,
     TryCmd,
     "shoal",
     "0.1.0",
     "Internal: a retry of a blocked client's command, forwarded by the node it waits on.",
     "Depends on the command",
     {},
     {},
     TryKeys},
    {"shoal.digest", -2, kReadOnly, 1, -1, 1, DigestCmd, "shoal", "0.1.0",
     "Internal: the state digests of watched keys, asked of their shard's leader.", "O(N)"},
    {"shoal.exec", 3, kWrite, 1, 1, 1, ShoalExecCmd, "shoal", "0.1.0",
     "Internal: a transaction forwarded to the leader of its keys' shard.",
     "Depends on commands in the transaction"},
};

}  // namespace

std::span<const CommandSpec> TransactionCommands() { return kCommands; }

std::unique_ptr<storage::ExecRunner> MakeExecRunner(Server& server) {
  return std::make_unique<TxRunner>(server);
}

void Connection::QueueCommand(const CommandSpec* top, const CommandSpec* spec, Args args) {
  auto refuse = [&](std::string_view msg) {
    server_.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
    writer_.Error(msg);
    multi_failed_ = true;
  };
  const bool keyed = !KeyIndexes(*spec, args).empty();
  if (!keyed && !KeylessAllowedInMulti(top->name)) {
    return refuse("ERR '" + ToUpper(top->name) +
                  "' cannot be queued in a transaction (shoal runs a transaction as one "
                  "replicated operation: keyed commands and PING, ECHO, TIME, DBSIZE only)");
  }
  if (top->name == "shoal.try" || top->name == "shoal.retry" || top->name == "shoal.exec") {
    return refuse("ERR internal commands cannot be queued in a transaction");
  }
  queued_.emplace_back(args.begin(), args.end());
  writer_.Simple("QUEUED");
}

void Connection::Discard() {
  in_multi_ = false;
  multi_failed_ = false;
  queued_.clear();
  watched_.clear();
}

void Connection::Watch(CommandContext& ctx, Args keys) {
  cluster::Host* host = server_.host();
  uint32_t shard = UINT32_MAX;
  if (host != nullptr) {
    for (auto key : keys) {
      uint32_t sh = host->ShardOf(KeySlot(key));
      if (shard != UINT32_MAX && sh != shard) {
        return ctx.Error("CROSSSLOT Keys in request don't hash to the same slot");
      }
      shard = sh;
    }
  }
  const uint64_t leader = host != nullptr ? host->LeaderOf(shard) : 0;
  if (host != nullptr && leader != host->self()) {
    // The digests must include every write acknowledged before this WATCH,
    // which this node's replica may not have applied yet: the leader
    // computes them after a ReadIndex round (SHOAL.DIGEST).
    if (leader == 0) {
      return ctx.Error("CLUSTERDOWN The cluster is down: shard " + std::to_string(shard) +
                       " has no leader; WATCH was not executed");
    }
    client::AsyncConnection* conn =
        worker_.ForwardTo(leader, server_.config_requirepass(), /*resp3=*/false);
    if (conn == nullptr) return ctx.Error("CLUSTERDOWN unknown node; WATCH was not executed");
    std::vector<std::string_view> fwd = {"SHOAL.DIGEST"};
    fwd.insert(fwd.end(), keys.begin(), keys.end());
    std::vector<std::string> owned(keys.begin(), keys.end());
    ReplySlot* rs = NewSlot();
    inflight_kind_ = Deferred::kForward;
    inflight_target_ = leader;
    auto self = shared_from_this();
    conn->Send(client::Client::Encode(std::span<const std::string_view>(fwd)),
               [self, rs, leader, owned = std::move(owned)](const Status& s, std::string_view raw) {
                 if (self->closed_) return;
                 if (!s.ok()) self->worker_.DropForward(leader);
                 // "$<len>\r\n<d1 d2 ...>\r\n"
                 std::vector<uint64_t> digests;
                 if (s.ok() && raw.starts_with("$")) {
                   auto body = raw.substr(raw.find('\n') + 1);
                   digests = ParseDigests(body.substr(0, body.size() >= 2 ? body.size() - 2 : 0));
                 }
                 if (digests.size() != owned.size()) {
                   return self->Fill(rs,
                                     "-TRYAGAIN the shard's leader could not be asked for the "
                                     "watched keys' state; WATCH was not executed\r\n");
                 }
                 for (size_t i = 0; i < owned.size(); ++i) {
                   self->watched_.emplace_back(owned[i], digests[i]);
                 }
                 self->Fill(rs, "+OK\r\n");
               });
    return;
  }
  auto digests = ParseDigests(Digests(server_.keyspace(), keys, now_ms_));
  for (size_t i = 0; i < keys.size() && i < digests.size(); ++i) {
    watched_.emplace_back(std::string(keys[i]), digests[i]);
  }
  ctx.out.Ok();
}

void Connection::Exec(CommandContext& ctx) {
  if (!in_multi_) return ctx.Error("ERR EXEC without MULTI");
  auto queued = std::move(queued_);
  auto watched = std::move(watched_);
  const bool failed = multi_failed_;
  Discard();
  if (failed) return ctx.Error("EXECABORT Transaction discarded because of previous errors.");
  storage::Op op;
  op.code = storage::OpCode::kExec;
  op.flags = static_cast<uint32_t>(watched.size());
  op.num = static_cast<int64_t>(RandomSeed());
  op.now_ms = now_ms_;
  std::vector<std::string> owned;
  owned.reserve(watched.size() + queued.size());
  for (const auto& [key, digest] : watched) owned.push_back(storage::coll::U64Bytes(digest));
  for (const auto& argv : queued) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    owned.push_back(storage::EncodeArgv(views));
  }
  for (size_t i = 0; i < watched.size(); ++i) {
    op.args.push_back(watched[i].first);
    op.args.push_back(owned[i]);
  }
  for (size_t i = watched.size(); i < owned.size(); ++i) op.args.push_back(owned[i]);

  cluster::Host* host = server_.host();
  if (host == nullptr) {
    MarkWrote();
    server_.replicator().Propose(op, &ctx.out);
    return;
  }
  // Cluster mode: every key in one shard, proposed there.
  std::string route_key;
  uint32_t shard = UINT32_MAX;
  uint16_t slot = 0;
  auto add = [&](std::string_view key) {
    uint16_t s = KeySlot(key);
    uint32_t sh = host->ShardOf(s);
    if (shard == UINT32_MAX) {
      shard = sh;
      slot = s;
      route_key = std::string(key);
      return true;
    }
    return sh == shard;
  };
  bool one_shard = true;
  for (const auto& [key, digest] : watched) one_shard = add(key) && one_shard;
  const auto& table = CommandTable::Get();
  for (const auto& argv : queued) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    if (const CommandSpec* spec = table.Find(views[0])) {
      for (size_t k : KeyIndexes(*spec, views)) one_shard = add(views[k]) && one_shard;
    }
  }
  if (!one_shard) {
    return ctx.Error("CROSSSLOT Keys in request don't hash to the same slot");
  }
  if (shard == UINT32_MAX) {
    // Keyless commands only: nothing to replicate.
    return server_.exec_runner().RunExec(op, ctx.out, /*proposer=*/true);
  }
  std::string encoded = storage::EncodeOp(op);
  std::vector<std::string> fwd = {"SHOAL.EXEC", route_key, encoded};
  SubmitToShard(shard, slot, std::move(encoded), std::move(fwd));
}

}  // namespace shoal::server
