// Cluster routing of keyed commands (DESIGN.md §5): key -> slot -> shard ->
// leader. On the leader a write is proposed to the shard's Raft group and a
// read waits for its ReadIndex; elsewhere the command is forwarded to the
// leader (plain clients) or answered -MOVED (cluster clients). Replies keep
// request order through the connection's reply slots.
//
// The error contract: -MOVED, -CLUSTERDOWN and -TRYAGAIN mean "not
// executed". A write that was proposed is answered only when its outcome is
// known; when it cannot be known the reply starts with -UNKNOWN.
#include <spdlog/spdlog.h>

#include "client/client.h"
#include "client/cluster_routing.h"
#include "cluster/host.h"
#include "core/keyslot.h"
#include "server/connection.h"
#include "server/notify.h"
#include "server/server.h"
#include "storage/op.h"

namespace shoal::server {
namespace {

// A forwarded command redirected (-MOVED) again is followed this many times
// at most; leadership settling takes one hop.
constexpr int kMaxForwardHops = 3;

std::string NoLeader(uint32_t shard) {
  return "-CLUSTERDOWN The cluster is down: shard " + std::to_string(shard) +
         " has no leader (an election is under way, or a majority of its replicas is "
         "unreachable); the command was not executed\r\n";
}

std::string Moved(uint16_t slot, const cluster::NodeAddress& a) {
  return "-MOVED " + std::to_string(slot) + " " + a.host + ":" + std::to_string(a.port) + "\r\n";
}

std::string Encode(Args args) { return client::Client::Encode(args); }

// Node id of the target of a raw "-MOVED <slot> <host>:<port>\r\n" reply;
// 0 if it is not one or names no node of the cluster.
uint64_t NodeOfMoved(const cluster::ClusterDefinition& def, std::string_view raw) {
  std::string_view text = raw.substr(1, raw.size() >= 3 ? raw.size() - 3 : 0);
  auto r = client::ParseRedirect(text);
  if (!r || r->kind != client::Redirect::Kind::kMoved) return 0;
  for (const auto& n : def.nodes()) {
    if (n.port == r->port && n.host == r->host) return n.id;
  }
  return 0;
}

}  // namespace

bool Connection::AwaitLeader() {
  // No leader known (a planned transfer or an election is under way): the
  // command waits — at most one election timeout, checked every
  // kLeaderPollMs — rather than fail at once; then -CLUSTERDOWN.
  if (inflight_ > 0) return true;  // earlier commands finish first anyway
  if (no_leader_since_ms_ == 0) no_leader_since_ms_ = now_ms_;
  if (now_ms_ - no_leader_since_ms_ >= LeaderWaitMs()) {
    no_leader_since_ms_ = 0;
    return false;
  }
  awaiting_leader_ = true;
  AfterLeaderPoll([this] {
    awaiting_leader_ = false;
    Continue();
  });
  return true;
}

int64_t Connection::LeaderWaitMs() const {
  const auto& cfg = server_.config();
  return int64_t{cfg.raft_tick_ms} * cfg.raft_election_ticks;
}

void Connection::AfterLeaderPoll(std::function<void()> fn) {
  auto t =
      std::make_shared<asio::steady_timer>(worker_.io, std::chrono::milliseconds(kLeaderPollMs));
  t->async_wait([self = shared_from_this(), t, fn = std::move(fn)](const std::error_code& ec) {
    if (!ec && !self->closed_) fn();
  });
}

std::string Connection::ReadNotConfirmed(uint32_t shard) {
  return "-TRYAGAIN the leader of shard " + std::to_string(shard) +
         " could not confirm its leadership for this read; the command was not executed\r\n";
}

uint64_t Connection::LeaderOrReply(uint32_t shard) {
  const uint64_t leader = server_.host()->LeaderOf(shard);
  if (leader == 0) {
    server_.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
    out_ += NoLeader(shard);
  }
  return leader;
}

bool Connection::WantsMoved() const {
  auto mode = server_.cluster_redirect();
  return mode == ClusterRedirect::kMoved || (mode == ClusterRedirect::kAuto && cluster_aware_);
}

bool Connection::DispatchClustered(const CommandSpec* top, const CommandSpec* spec, Args args) {
  cluster::Host& host = *server_.host();
  uint32_t shard = UINT32_MAX;
  uint16_t slot = 0;
  for (size_t i : KeyIndexes(*spec, args)) {
    uint16_t s = KeySlot(args[i]);
    uint32_t sh = host.ShardOf(s);
    if (shard == UINT32_MAX) {
      shard = sh;
      slot = s;
    } else if (sh != shard) {
      server_.stats().error_replies.fetch_add(1, std::memory_order_relaxed);
      writer_.Error("CROSSSLOT Keys in request don't hash to the same slot");
      return true;
    }
  }
  if (shard == UINT32_MAX) {
    if (inflight_ > 0) return false;
    Execute(top, spec, args, writer_);
    return true;
  }
  if (spec->flags & kPubSub) {
    // SSUBSCRIBE / SPUBLISH / SUNSUBSCRIBE: any node holding a replica of
    // the channel's shard serves them (Redis 7 lets replicas do so);
    // elsewhere cluster clients are sent to the leader, and a plain
    // client's SPUBLISH is forwarded there.
    if (inflight_ > 0) return false;
    if (host.HoldsShard(shard)) {
      Execute(top, spec, args, writer_);
      return true;
    }
    const uint64_t leader = LeaderOrReply(shard);
    if (leader == 0) return true;
    if (WantsMoved() || spec->name != "spublish") {
      out_ += Moved(slot, *host.def().Node(leader));
      return true;
    }
    Forward(NewSlot(), leader, Encode(args), false, 0);
    inflight_kind_ = Deferred::kForward;
    inflight_target_ = leader;
    return true;
  }
  const bool write = IsWriteCall(*spec, args);
  const bool blocking = BlocksCall(*spec, args);
  if (follower_reads_ && !write && host.HoldsShard(shard)) {
    // READONLY: this node's replica answers, as of what it has applied.
    if (inflight_ > 0) return false;
    Execute(top, spec, args, writer_);
    return true;
  }
  if (host.LeaderOf(shard) != 0) {
    no_leader_since_ms_ = 0;
  } else if (AwaitLeader()) {
    return false;
  }
  const uint64_t leader = LeaderOrReply(shard);
  if (leader == 0) return true;
  Deferred kind = Deferred::kForward;
  if (leader == host.self()) {
    kind = write ? Deferred::kLocalWrite : Deferred::kLocalRead;
  } else {
    if (WantsMoved()) {
      out_ += Moved(slot, *host.def().Node(leader));
      return true;
    }
  }
  if (inflight_ > 0 && (kind != inflight_kind_ || leader != inflight_target_)) return false;
  if (write) last_write_shard_ = shard;
  last_cmd_.store(spec, std::memory_order_relaxed);
  last_active_ms_.store(now_ms_, std::memory_order_relaxed);
  auto self = shared_from_this();
  switch (kind) {
    case Deferred::kLocalWrite: {
      std::string op;
      capture_ = &op;
      Execute(top, spec, args, writer_);
      capture_ = nullptr;
      if (op.empty()) return true;  // refused before proposing (syntax...)
      ReplySlot* rs = NewSlot();
      cluster::Proposal p;
      p.shard = shard;
      p.op = std::move(op);
      p.resp = static_cast<uint8_t>(writer_.protocol());
      if (blocking) {
        std::vector<std::string> owned(args.begin(), args.end());
        p.done = [self, rs, shard, slot, spec, owned = std::move(owned)](
                     cluster::Outcome o, std::string reply) mutable {
          if (o == cluster::Outcome::kOk && storage::IsWouldBlock(reply)) {
            if (self->closed_) return;
            return self->Block(rs, spec, std::move(owned), reply);
          }
          // Not handed on as a raw op (its reply may be "would block").
          if (o != cluster::Outcome::kOk) reply.clear();
          self->OnWriteDone(rs, shard, slot, o, std::move(reply));
        };
      } else if (server_.notify_flags() != 0) {
        // Keyspace notifications go out where the leader applied it: here.
        std::vector<std::string> owned(args.begin(), args.end());
        notify::BeforeWrite before(server_, *spec, args);
        p.done = [self, rs, shard, slot, spec, before, owned = std::move(owned)](
                     cluster::Outcome o, std::string reply) {
          if (o == cluster::Outcome::kOk) {
            std::vector<std::string_view> views(owned.begin(), owned.end());
            notify::AfterWrite(self->server_, *spec, views, reply, before);
          }
          self->OnWriteDone(rs, shard, slot, o, std::move(reply));
        };
      } else {
        p.done = [self, rs, shard, slot](cluster::Outcome o, std::string reply) {
          self->OnWriteDone(rs, shard, slot, o, std::move(reply));
        };
      }
      worker_.Submit(std::move(p));
      break;
    }
    case Deferred::kLocalRead: {
      ReplySlot* rs = NewSlot();
      std::vector<std::string> owned(args.begin(), args.end());
      cluster::ReadRequest r;
      r.shard = shard;
      r.done = [self, rs, top, spec, shard, owned = std::move(owned)](cluster::Outcome o,
                                                                      const std::string&) {
        self->OnReadDone(rs, top, spec, shard, owned, o);
      };
      worker_.Submit(std::move(r));
      break;
    }
    default:
      if (blocking) {
        // The leader tries once and answers "would block"; this node waits.
        auto block = std::make_shared<BlockTry>(
            BlockTry{spec, std::vector<std::string>(args.begin(), args.end())});
        std::vector<std::string_view> fwd;
        fwd.reserve(args.size() + 1);
        fwd.push_back("SHOAL.TRY");
        fwd.insert(fwd.end(), args.begin(), args.end());
        Forward(NewSlot(), leader, Encode(fwd), write, 0, std::move(block));
        break;
      }
      Forward(NewSlot(), leader, Encode(args), write, 0);
      break;
  }
  inflight_kind_ = kind;
  inflight_target_ = leader;
  return true;
}

void Connection::ProposeToShards(std::vector<std::pair<uint32_t, std::string>>&& ops) {
  if (ops.empty()) return writer_.Ok();
  struct Join {
    size_t left;
    std::string error;
  };
  auto join = std::make_shared<Join>(Join{ops.size(), {}});
  ReplySlot* rs = NewSlot();
  inflight_kind_ = Deferred::kLocalWrite;
  inflight_target_ = server_.host()->self();
  auto self = shared_from_this();
  for (auto& entry : ops) {
    const uint32_t shard = entry.first;
    last_write_shard_ = shard;
    cluster::Proposal p;
    p.shard = shard;
    p.op = std::move(entry.second);
    p.resp = static_cast<uint8_t>(writer_.protocol());
    p.done = [self, rs, join, shard](cluster::Outcome o, const std::string& reply) {
      if (o != cluster::Outcome::kOk && join->error.empty()) {
        join->error = "-TRYAGAIN shard " + std::to_string(shard) +
                      " did not take the flush (leadership changed); retry\r\n";
      } else if (o == cluster::Outcome::kOk && reply.starts_with("-") && join->error.empty()) {
        join->error = reply;
      }
      if (--join->left == 0 && !self->closed_) {
        self->Fill(rs, join->error.empty() ? "+OK\r\n" : join->error);
      }
    };
    worker_.Submit(std::move(p));
  }
}

void Connection::ProposeRaw(uint32_t shard, std::string op) {
  const auto ranges = server_.host()->def().slot_map().Ranges(shard);
  const uint16_t slot = ranges.empty() ? 0 : static_cast<uint16_t>(ranges.front().first);
  std::vector<std::string> forward{"SHOAL.PROPOSE", std::to_string(shard), op};
  SubmitToShard(shard, slot, std::move(op), std::move(forward));
}

void Connection::WaitReplicas(int64_t want, int64_t timeout_ms, uint32_t shard) {
  if (shard == UINT32_MAX) shard = last_write_shard_;
  // No write yet: nothing to wait for (Redis counts every replica then;
  // here no shard is involved).
  if (shard == UINT32_MAX) return writer_.Integer(0);
  cluster::Host& host = *server_.host();
  const uint64_t leader = LeaderOrReply(shard);
  if (leader == 0) return;
  ReplySlot* rs = NewSlot();
  inflight_target_ = leader;
  if (leader != host.self()) {
    const std::string s = std::to_string(shard), n = std::to_string(want),
                      t = std::to_string(timeout_ms);
    const std::string_view args[] = {"SHOAL.WAITSHARD", s, n, t};
    Forward(rs, leader, Encode(args), false, 0);
    inflight_kind_ = Deferred::kForward;
    return;
  }
  inflight_kind_ = Deferred::kLocalRead;
  auto self = shared_from_this();
  host.WaitReplicas(&worker_.io, shard, want, timeout_ms,
                    [self, rs, shard](cluster::Outcome o, const std::string& count) {
                      if (self->closed_) return;
                      if (o == cluster::Outcome::kOk) return self->Fill(rs, ":" + count + "\r\n");
                      self->Fill(rs, "-TRYAGAIN leadership of shard " + std::to_string(shard) +
                                         " moved; WAIT cannot count its replicas\r\n");
                    });
}

void Connection::OnWriteDone(ReplySlot* rs, uint32_t shard, uint16_t slot, cluster::Outcome o,
                             std::string reply) {
  if (closed_) return;
  const std::string s = std::to_string(shard);
  switch (o) {
    case cluster::Outcome::kOk:
      return Fill(rs, std::move(reply));
    case cluster::Outcome::kNotLeader:
      // Leadership moved between routing and proposing (a planned transfer
      // completes so): the never-proposed op (`reply` carries it) goes on.
      return RerouteOp(rs, shard, slot, std::move(reply), 0);
    case cluster::Outcome::kRetry:
      return Fill(rs, "-TRYAGAIN shard " + s +
                          " cannot take writes right now (leadership changing or too many "
                          "pending); the command was not executed\r\n");
    case cluster::Outcome::kNotApplied:
      return Fill(rs, "-TRYAGAIN the write was not applied: leadership of shard " + s +
                          " changed before it committed; retry\r\n");
    case cluster::Outcome::kUnknown:
      break;
  }
  Fill(rs, "-UNKNOWN the write was proposed to shard " + s +
               " but its outcome is unknown (no quorum answered within cluster-write-timeout); "
               "it may or may not have been applied\r\n");
}

void Connection::RerouteOp(ReplySlot* rs, uint32_t shard, uint16_t slot, std::string op,
                           int64_t waited_ms) {
  if (closed_) return;
  cluster::Host& host = *server_.host();
  const uint64_t leader = host.LeaderOf(shard);
  const std::string s = std::to_string(shard);
  if (leader == 0) {
    // Between leaders: wait for the next one (one election timeout at most).
    if (op.empty() || waited_ms >= LeaderWaitMs()) return Fill(rs, NoLeader(shard));
    return AfterLeaderPoll([this, rs, shard, slot, op = std::move(op), waited_ms]() mutable {
      RerouteOp(rs, shard, slot, std::move(op), waited_ms + kLeaderPollMs);
    });
  }
  if (leader != host.self() && WantsMoved()) return Fill(rs, Moved(slot, *host.def().Node(leader)));
  if (op.empty()) {
    return Fill(rs, "-TRYAGAIN leadership of shard " + s +
                        " moved while the command was routed; it was not executed\r\n");
  }
  if (leader != host.self()) {
    const std::string_view args[] = {"SHOAL.PROPOSE", s, op};
    return Forward(rs, leader, Encode(args), true, 1);
  }
  // Leadership came here meanwhile: propose it here.
  cluster::Proposal p;
  p.shard = shard;
  p.op = std::move(op);
  p.resp = static_cast<uint8_t>(writer_.protocol());
  p.done = [self = shared_from_this(), rs, shard, slot](cluster::Outcome o, std::string reply) {
    self->OnWriteDone(rs, shard, slot, o, std::move(reply));
  };
  worker_.Submit(std::move(p));
}

void Connection::OnReadDone(ReplySlot* rs, const CommandSpec* top, const CommandSpec* spec,
                            uint32_t shard, const std::vector<std::string>& owned,
                            cluster::Outcome o) {
  if (closed_) return;
  if (o == cluster::Outcome::kOk) {
    std::vector<std::string_view> views(owned.begin(), owned.end());
    std::string out;
    resp::Writer w(&out);
    w.set_protocol(writer_.protocol());
    Execute(top, spec, views, w);
    return Fill(rs, std::move(out));
  }
  // Never executed: safe to send where the shard is led now (once a
  // leader is known again).
  if (o == cluster::Outcome::kNotLeader) {
    std::vector<std::string_view> views(owned.begin(), owned.end());
    return RerouteRead(rs, shard, Encode(views), 0);
  }
  Fill(rs, ReadNotConfirmed(shard));
}

void Connection::RerouteRead(ReplySlot* rs, uint32_t shard, std::string encoded,
                             int64_t waited_ms) {
  if (closed_) return;
  const uint64_t leader = server_.host()->LeaderOf(shard);
  if (leader == server_.host()->self()) return Fill(rs, ReadNotConfirmed(shard));
  if (leader != 0) return Forward(rs, leader, std::move(encoded), false, 1);
  if (waited_ms >= LeaderWaitMs()) return Fill(rs, NoLeader(shard));
  AfterLeaderPoll([this, rs, shard, encoded = std::move(encoded), waited_ms]() mutable {
    RerouteRead(rs, shard, std::move(encoded), waited_ms + kLeaderPollMs);
  });
}

void Connection::Forward(ReplySlot* rs, uint64_t node, std::string encoded, bool write, int hops,
                         std::shared_ptr<BlockTry> block) {
  client::AsyncConnection* conn =
      worker_.ForwardTo(node, server_.config_requirepass(), writer_.resp3());
  if (conn == nullptr) {
    return Fill(rs, "-CLUSTERDOWN unknown node " + std::to_string(node) + "; not executed\r\n");
  }
  auto self = shared_from_this();
  std::string copy = encoded;
  conn->Send(std::move(encoded), [self, rs, node, write, hops, copy = std::move(copy),
                                  block = std::move(block)](const Status& s,
                                                            std::string_view raw) mutable {
    if (self->closed_) return;
    if (!s.ok()) {
      self->worker_.DropForward(node);
      bool unsent = s.message().ends_with("not sent");
      if (unsent || !write) {
        return self->Fill(rs, "-TRYAGAIN cannot reach node " + std::to_string(node) +
                                  " (the shard's leader): " + s.message() +
                                  "; the command was not executed\r\n");
      }
      return self->Fill(rs, "-UNKNOWN the write was forwarded to node " + std::to_string(node) +
                                " but the connection failed before its reply; it may or may "
                                "not have been applied\r\n");
    }
    if (raw.starts_with("-MOVED ") && hops < kMaxForwardHops) {
      uint64_t next = NodeOfMoved(self->server_.host()->def(), raw);
      // (When leadership moved here, the command comes back to this node
      // as a client's would.)
      if (next != 0) {
        return self->Forward(rs, next, std::move(copy), write, hops + 1, std::move(block));
      }
    }
    if (block && storage::IsWouldBlock(raw)) {
      return self->Block(rs, block->spec, std::move(block->argv), raw);
    }
    self->Fill(rs, std::string(raw));
  });
}

void Connection::SubmitToShard(uint32_t shard, uint16_t slot, std::string op,
                               std::vector<std::string> forward_args) {
  cluster::Host& host = *server_.host();
  const uint64_t leader = LeaderOrReply(shard);
  if (leader == 0) return;
  last_write_shard_ = shard;
  auto self = shared_from_this();
  if (leader == host.self()) {
    ReplySlot* rs = NewSlot();
    cluster::Proposal p;
    p.shard = shard;
    p.op = std::move(op);
    p.resp = static_cast<uint8_t>(writer_.protocol());
    p.done = [self, rs, shard, slot](cluster::Outcome o, std::string reply) {
      self->OnWriteDone(rs, shard, slot, o, std::move(reply));
    };
    worker_.Submit(std::move(p));
    inflight_kind_ = Deferred::kLocalWrite;
  } else {
    std::vector<std::string_view> views(forward_args.begin(), forward_args.end());
    Forward(NewSlot(), leader, Encode(views), true, 0);
    inflight_kind_ = Deferred::kForward;
  }
  inflight_target_ = leader;
}

}  // namespace shoal::server
