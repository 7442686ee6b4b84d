// A connection's side of blocking commands (server/blocking.h): waiting,
// retrying when woken, the timeout, and the null reply.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>

#include "client/client.h"
#include "core/keyslot.h"
#include "core/strutil.h"
#include "server/blocking.h"
#include "server/connection.h"
#include "server/server.h"
#include "storage/reads.h"

namespace shoal::server {

namespace {

// About 100 years; larger timeouts wait forever (the timer's nanoseconds
// would overflow).
constexpr int64_t kMaxBlockTimerMs = int64_t{100} * 365 * 24 * 3600 * 1000;

// The timeout in ms (0: forever). BLMPOP/BZMPOP have it first, the other
// list and zset commands last, in seconds; XREAD / XREADGROUP after BLOCK,
// in ms. The command validated it before answering "would block".
int64_t TimeoutMs(const CommandSpec* spec, const std::vector<std::string>& argv) {
  if (IsStreamRead(*spec)) {
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "block")) return std::strtoll(argv[i + 1].c_str(), nullptr, 10);
    }
    return 0;
  }
  const bool first = spec->name == "blmpop" || spec->name == "bzmpop";
  double seconds = std::strtod((first ? argv[1] : argv.back()).c_str(), nullptr);
  return seconds > 0 ? static_cast<int64_t>(std::ceil(seconds * 1000)) : 0;
}

// XREAD with "$": the attempt resolved each stream's ID; the retries must
// wait for entries after those, not after the stream's last ID then.
void UseResolvedIds(const CommandSpec* spec, std::string_view would_block,
                    std::vector<std::string>* argv) {
  std::string_view ids = storage::WouldBlockIds(would_block);
  if (ids.empty() || !IsStreamRead(*spec)) return;
  // The IDs follow the keys (STREAMS k1 .. kn id1 .. idn).
  std::vector<std::string_view> views(argv->begin(), argv->end());
  const auto keys = KeyIndexes(*spec, views);
  size_t at = keys.empty() ? 0 : keys.back() + 1;
  for (size_t pos = 0; pos < ids.size() && at < argv->size() && at > 0; ++at) {
    size_t sp = ids.find(' ', pos);
    if (sp == std::string_view::npos) sp = ids.size();
    (*argv)[at] = std::string(ids.substr(pos, sp - pos));
    pos = sp + 1;
  }
}

std::vector<std::string> WaitKeys(const CommandSpec* spec, const std::vector<std::string>& argv) {
  std::vector<std::string_view> views(argv.begin(), argv.end());
  std::vector<std::string> keys;
  for (size_t i : KeyIndexes(*spec, views)) keys.push_back(argv[i]);
  // BLMOVE / BRPOPLPUSH wait on the source only.
  if ((spec->name == "blmove" || spec->name == "brpoplpush") && keys.size() > 1) keys.resize(1);
  return keys;
}

}  // namespace

Connection::~Connection() = default;

std::string Connection::BlockedNull() const {
  // Redis answers a timed-out blocking command with a null array, whatever
  // the command (BLMOVE included).
  std::string out;
  resp::Writer w(&out, writer_.protocol());
  w.NullArray();
  return out;
}

void Connection::Block(ReplySlot* rs, const CommandSpec* spec, std::vector<std::string> argv,
                       std::string_view would_block) {
  if (closed_) return;
  if (rs == nullptr) rs = NewSlot();
  auto b = std::make_unique<Blocked>();
  b->slot = rs;
  b->spec = spec;
  b->wait = std::make_shared<BlockWait>();
  b->wait->conn = weak_from_this();
  b->wait->worker = &worker_;
  b->wait->keys = WaitKeys(spec, argv);
  b->wait->shared = IsStreamRead(*spec);
  int64_t ms = TimeoutMs(spec, argv);
  // Beyond what a steady_timer can hold: as good as forever.
  if (ms > kMaxBlockTimerMs) ms = 0;
  UseResolvedIds(spec, would_block, &argv);
  b->argv = std::move(argv);
  b->keep = shared_from_this();
  blocked_cmd_ = std::move(b);
  // Later commands wait until it is served, as in Redis.
  inflight_kind_ = Deferred::kBlocked;
  auto& reg = server_.blocking();
  reg.Add(blocked_cmd_->wait);
  if (ms > 0) {
    blocked_cmd_->timer = std::make_unique<asio::steady_timer>(worker_.io);
    blocked_cmd_->timer->expires_after(std::chrono::milliseconds(ms));
    auto self = shared_from_this();
    auto wait = blocked_cmd_->wait;
    blocked_cmd_->timer->async_wait([self, wait](const std::error_code& ec) {
      if (ec || !self->blocked_cmd_ || self->blocked_cmd_->wait != wait) return;
      if (wait->retrying) {
        self->blocked_cmd_->timed_out = true;  // the retry's answer decides
        return;
      }
      self->server_.blocking().Remove(wait);
      self->FinishBlocked(self->BlockedNull());
    });
  }
  // A write may have made a key ready between the attempt and now: if this
  // node holds a key that is ready, look again at once.
  std::vector<std::string> ready;
  const int64_t now = server_.clock().NowMs();
  for (const auto& k : blocked_cmd_->wait->keys) {
    auto type = storage::reads::LiveType(server_.keyspace(), k, now);
    // A stream may have got the entry the attempt waited for: one more look.
    if (type == storage::ValueType::kList || type == storage::ValueType::kZset ||
        type == storage::ValueType::kStream) {
      ready.push_back(k);
    }
  }
  if (!ready.empty()) reg.OnReady(std::move(ready));
}

void Connection::RetryBlocked() {
  if (closed_ || !blocked_cmd_) return;
  auto wait = blocked_cmd_->wait;
  auto self = shared_from_this();
  TryBlockedOnce([self, wait](std::string reply) {
    if (!self->blocked_cmd_ || self->blocked_cmd_->wait != wait) return;
    // A key of another type appeared meanwhile: Redis keeps such a client
    // blocked (only the first attempt reports WRONGTYPE).
    const bool would_block = storage::IsWouldBlock(reply) || reply.starts_with("-WRONGTYPE");
    self->server_.blocking().RetryDone(wait, !would_block);
    if (!would_block) return self->FinishBlocked(std::move(reply));
    if (self->blocked_cmd_->timed_out) {
      self->server_.blocking().Remove(wait);
      self->FinishBlocked(self->BlockedNull());
    }
  });
}

void Connection::FinishBlocked(std::string reply) {
  // Every caller holds a reference of its own, so dropping `keep` here
  // never destroys this connection under our feet.
  auto b = std::move(blocked_cmd_);
  if (!b) return;
  if (b->timer) b->timer->cancel();
  server_.blocking().Remove(b->wait);
  if (!closed_) Fill(b->slot, std::move(reply));
}

void Connection::TryBlockedOnce(const std::function<void(std::string)>& done) {
  const auto& argv = blocked_cmd_->argv;
  std::vector<std::string_view> views(argv.begin(), argv.end());
  storage::Op op;
  op.code = storage::OpCode::kCommand;
  op.flags = storage::op_flags::kMayBlock | storage::op_flags::kRetry;
  op.now_ms = server_.clock().NowMs();
  op.num = static_cast<int64_t>(RandomSeed());
  op.args = views;
  cluster::Host* host = server_.host();
  if (host == nullptr) {
    std::string out;
    resp::Writer w(&out, writer_.protocol());
    server_.replicator().Propose(op, &w);
    auto s = server_.replicator().Sync();
    if (!s.ok()) {
      spdlog::error("WAL sync failed, dropping client {}: {}", id_, s.ToString());
      return Close("sync failed");
    }
    return done(std::move(out));
  }
  const uint16_t slot = KeySlot(blocked_cmd_->wait->keys.front());
  const uint32_t shard = host->ShardOf(slot);
  const uint64_t leader = host->LeaderOf(shard);
  // Not served this time (no leader, leadership moving): the next wake-up
  // or the periodic kick tries again.
  auto not_now = [done] { done(std::string(storage::kWouldBlockReply)); };
  if (leader == 0) return not_now();
  if (leader == host->self()) {
    cluster::Proposal p;
    p.shard = shard;
    p.op = storage::EncodeOp(op);
    p.resp = static_cast<uint8_t>(writer_.protocol());
    p.done = [done, not_now](cluster::Outcome o, std::string reply) {
      if (o == cluster::Outcome::kOk) return done(std::move(reply));
      if (o == cluster::Outcome::kUnknown) {
        return done(
            "-UNKNOWN the pop was proposed but its outcome is unknown (no quorum answered "
            "within cluster-write-timeout); it may or may not have been applied\r\n");
      }
      not_now();
    };
    worker_.Submit(std::move(p));
    return;
  }
  if (WantsMoved()) {
    const auto* node = host->def().Node(leader);
    return done("-MOVED " + std::to_string(slot) + " " + node->host + ":" +
                std::to_string(node->port) + "\r\n");
  }
  client::AsyncConnection* conn =
      worker_.ForwardTo(leader, server_.config_requirepass(), writer_.resp3());
  if (conn == nullptr) return not_now();
  std::vector<std::string_view> fwd;
  fwd.reserve(views.size() + 1);
  fwd.push_back("SHOAL.RETRY");
  fwd.insert(fwd.end(), views.begin(), views.end());
  auto self = shared_from_this();
  conn->Send(client::Client::Encode(std::span<const std::string_view>(fwd)),
             [self, leader, done, not_now](const Status& s, std::string_view raw) {
               if (!s.ok()) {
                 self->worker_.DropForward(leader);
                 if (s.message().ends_with("not sent")) return not_now();
                 return done(
                     "-UNKNOWN the pop was forwarded to the shard's leader but the connection "
                     "failed before its reply; it may or may not have been applied\r\n");
               }
               if (raw.starts_with("-TRYAGAIN") || raw.starts_with("-CLUSTERDOWN") ||
                   raw.starts_with("-MOVED")) {
                 return not_now();
               }
               done(std::string(raw));
             });
}

}  // namespace shoal::server
