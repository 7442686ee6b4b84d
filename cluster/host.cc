#include "cluster/host.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <unordered_map>

#include "cluster/log_store.h"
#include "cluster/raft/raw_node.h"
#include "cluster/transport.h"
#include "core/check.h"
#include "core/resp/writer.h"
#include "storage/op.h"

namespace shoal::cluster {
namespace {

// Leader announcements ride the bus as envelopes of this pseudo-group, so
// nodes that hold no replica of a shard still learn its leader (for
// forwarding and CLUSTER SLOTS): msg.index = shard, msg.term = term.
constexpr uint32_t kAnnounceGroup = 0xFFFFFFFF;
// Host::Broadcast payloads ride as envelopes of this pseudo-group:
// msg.context = payload.
constexpr uint32_t kBroadcastGroup = 0xFFFFFFFE;
// Async replication's resync (ADR 009) rides as envelopes of this
// pseudo-group: a request (kHeartbeat, msg.index = shard) from a replica
// whose applied data diverged, answered by the leader with its shard data
// at its commit index (kSnap, msg.index = shard, msg.snapshot).
constexpr uint32_t kResyncGroup = 0xFFFFFFFD;
// A host thread that did not tick for this many tick intervals was stalled
// (SIGSTOP, a long pause): an async leader then takes no write on its own
// for one election timeout, so it hears of a newer leader first.
constexpr int kStallTicks = 3;
// Rounds chained without yielding to the io_context (new Ready work that
// appeared while handling the previous one, e.g. a leader's commit after
// its own append became durable).
constexpr int kMaxReadyPassesPerRound = 4;
// INFO's lag of a follower the leader has not heard from recently.
constexpr int64_t kUnheardLag = -1;
// A leader hands a shard back to its preferred leader after leading it for
// this many election timeouts (so a returning node settles first).
constexpr int kHandBackAfterTicks = 4;

// A host message riding the bus as an envelope of pseudo-group `group`
// (announcements, pub/sub broadcasts, async resyncs), from this node.
Envelope HostEnvelope(uint32_t group, raft::MessageType type, uint64_t from, uint64_t index) {
  Envelope e;
  e.group = group;
  e.msg.type = type;
  e.msg.from = from;
  e.msg.index = index;
  return e;
}

}  // namespace

struct Host::Inbox {
  asio::io_context* io = nullptr;
  std::vector<Proposal> props;
  std::vector<ReadRequest> reads;
};

struct PendingWrite {
  raft::Term term = 0;
  uint8_t resp = 2;
  asio::io_context* io = nullptr;
  Done done;
  int64_t deadline_ms = 0;
};

struct ReplicaWait {
  raft::Index index = 0;
  int64_t want = 0;
  int64_t deadline_ms = 0;  // 0: none
  asio::io_context* io = nullptr;
  Done done;
};

struct PendingRead {
  asio::io_context* io = nullptr;
  Done done;
  int64_t deadline_ms = 0;
};

struct Host::Group {
  uint32_t shard = 0;
  storage::Keyspace::SlotRanges ranges;
  std::unique_ptr<GroupLog> log;
  std::unique_ptr<raft::RawNode> node;
  raft::ConfState conf;
  raft::Index applied = 0;
  raft::Role role = raft::Role::kFollower;
  raft::NodeId lead = raft::kNoNode;
  std::map<raft::Index, PendingWrite> writes;
  std::vector<PendingRead> reads_new;
  std::map<std::string, std::vector<PendingRead>> reads_issued;
  std::deque<std::pair<raft::Index, std::vector<PendingRead>>> reads_ready;
  uint64_t read_seq = 0;
  int ticks_as_leader = 0;
  // Async replication (ADR 009).
  std::map<raft::Index, raft::Term> spec;  // applied ahead of the commit index: index -> term
  bool resync = false;  // applied data diverged from the leader's: waiting for its data
  uint64_t resync_asked_tick = 0;
  std::vector<uint64_t> resync_peers;  // leader: replicas waiting for resync data
  uint64_t snapshot_hold_tick = 0;     // leader: speculation paused for a snapshot since
  bool snapshot_hold = false;
  std::vector<ReplicaWait> replica_waits;  // WAIT
  // Proposals that arrived during a leadership transfer: proposed if it is
  // abandoned, re-routed (kNotLeader) when it completes.
  std::vector<std::pair<asio::io_context*, Proposal>> held;
  // Leadership came here by a planned transfer: no hand-back while leading.
  bool pinned = false;
  bool want_pin = false;  // a transfer to this node was asked for, at:
  uint64_t want_pin_tick = 0;
  std::unordered_map<uint64_t, int64_t> heard_ms;  // leader: last current-term reply per peer
};

Host::Host(HostOptions options, ClusterDefinition def, storage::Keyspace* ks,
           storage::StateMachine* sm, Clock* clock)
    : options_(std::move(options)),
      def_(std::move(def)),
      ks_(ks),
      sm_(sm),
      clock_(clock),
      store_(ks),
      leaders_(new std::atomic<uint64_t>[def_.shards()]),
      announced_terms_(new uint64_t[def_.shards()]),
      announced_tick_(new uint64_t[def_.shards()]) {
  for (uint32_t s = 0; s < def_.shards(); ++s) {
    leaders_[s].store(0);
    announced_terms_[s] = 0;
    announced_tick_[s] = 0;
  }
}

Host::~Host() { Stop(); }

Status Host::Start() {
  auto stored = store_.GetClusterDefinition();
  if (!stored.ok()) return stored.status();
  std::string canonical = def_.Canonical();
  if (!stored->has_value()) {
    auto s = store_.PutClusterDefinition(canonical);
    if (!s.ok()) return s;
  } else if (**stored != canonical) {
    return Status::InvalidArgument("the data in this dir belongs to another cluster definition (" +
                                   **stored + "; now " + canonical +
                                   "); changing shards, replicas or node ids needs a new dir");
  }
  groups_.resize(def_.shards());
  for (uint32_t shard = 0; shard < def_.shards(); ++shard) {
    if (!def_.IsReplica(shard, options_.self)) continue;
    auto g = std::make_unique<Group>();
    g->shard = shard;
    g->ranges = def_.slot_map().Ranges(shard);
    g->log = std::make_unique<GroupLog>(shard, &store_);
    raft::ConfState initial;
    initial.voters = def_.Replicas(shard);
    std::sort(initial.voters.begin(), initial.voters.end());
    auto applied = g->log->Load(initial);
    if (!applied.ok()) return applied.status();
    g->applied = *applied;
    g->conf = g->log->storage().InitialConfState();
    const raft::Index commit = g->log->storage().InitialHardState().commit;
    // An async leader applies ahead of the commit index: remember the terms
    // of what it applied, to notice if another leader's entries replace them.
    for (raft::Index i = commit + 1; i <= g->applied && i <= g->log->storage().LastIndex(); ++i) {
      auto t = g->log->storage().TermAt(i);
      if (t.ok()) g->spec[i] = *t;
    }
    g->resync = g->log->resync_pending_at_load();
    if (g->resync) {
      spdlog::warn("shard {}: a resync from the leader was pending at shutdown; waiting for it",
                   shard);
    }
    raft::Config c;
    c.id = options_.self;
    c.election_tick = options_.election_ticks;
    c.heartbeat_tick = 1;
    c.storage = &g->log->storage();
    c.applied = std::min(g->applied, commit);
    c.max_inflight_msgs = 256;
    c.max_uncommitted_entries_size = 256ULL << 20;
#ifdef SHOAL_BROKEN_LEADER_READS
    // The broken build's leader also keeps leading when cut off from its
    // quorum, so it goes on answering reads from stale state.
    c.check_quorum = false;
#else
    c.check_quorum = true;
#endif
    c.pre_vote = true;
    // Async: no reply waits for a follower's apply (ADR 009).
    c.broadcast_commit = !options_.async_replication;
    c.read_only =
        options_.read_lease ? raft::ReadOnlyOption::kLeaseBased : raft::ReadOnlyOption::kSafe;
    c.seed = options_.self * 1000003 + shard + static_cast<uint64_t>(clock_->MonotonicUs());
    c.logger = [shard](const std::string& line) { spdlog::info("shard {}: {}", shard, line); };
    bool fresh = g->log->storage().InitialHardState().empty() && g->log->storage().LastIndex() == 0;
    g->node = std::make_unique<raft::RawNode>(c);
    spdlog::info("shard {}: replica loaded (applied {}, log {}..{}, term {})", shard, g->applied,
                 g->log->storage().FirstIndex(), g->log->storage().LastIndex(),
                 g->log->storage().InitialHardState().term);
    // A new cluster starts with the preferred leaders campaigning, so the
    // leaders are spread from the start instead of won by whoever times
    // out first.
    if (fresh && def_.PreferredLeader(shard) == options_.self) g->node->Campaign();
    groups_[shard] = std::move(g);
  }

  TransportOptions topts;
  topts.self = options_.self;
  const NodeAddress* me = def_.Node(options_.self);
  CHECK(me != nullptr);
  topts.listen_host = options_.bus_host;
  topts.listen_port = me->port + kBusPortOffset;
  for (const auto& n : def_.nodes()) {
    if (n.id != options_.self) topts.peers[n.id] = {n.host, n.port + kBusPortOffset};
  }
  transport_ = std::make_unique<Transport>(
      io_, topts, [this](std::vector<Envelope>&& envs) { OnMessages(std::move(envs)); },
      [this](uint64_t peer) { OnUnreachable(peer); });
  transport_->SetOnDrained([this](uint64_t peer) { PumpBroadcasts(peer); });
  auto s = transport_->Listen();
  if (!s.ok()) return s;
  tick_timer_ = std::make_unique<asio::steady_timer>(io_);
  UpdateInfo();
  thread_ = std::thread([this] { Loop(); });
  spdlog::info(
      "cluster host: node {} of {}, {} shards x {} replicas, {} local, bus port {}", options_.self,
      def_.nodes().size(), def_.shards(), def_.replicas(),
      std::count_if(groups_.begin(), groups_.end(), [](const auto& g) { return g != nullptr; }),
      topts.listen_port);
  return Status::Ok();
}

void Host::Stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  asio::post(io_, [this] {
    if (tick_timer_) tick_timer_->cancel();
    if (transport_) transport_->Close();
    io_.stop();
  });
  thread_.join();
  // Whatever is still waiting never learns its outcome here.
  for (auto& g : groups_) {
    if (!g) continue;
    for (auto& [index, w] : g->writes) {
      Complete(w.io, std::move(w.done), Outcome::kUnknown, {});
    }
    g->writes.clear();
    FailReads(*g, Outcome::kRetry);
    for (auto& w : g->replica_waits) Complete(w.io, std::move(w.done), Outcome::kRetry, {});
    g->replica_waits.clear();
    for (auto& [io, p] : g->held) Complete(io, std::move(p.done), Outcome::kRetry, {});
    g->held.clear();
  }
  PostCompletions();
}

void Host::Loop() {
  std::function<void()> arm;
  arm = [this, &arm] {
    tick_timer_->expires_after(std::chrono::milliseconds(options_.tick_ms));
    tick_timer_->async_wait([this, &arm](const std::error_code& ec) {
      if (ec || stopping_) return;
      Tick();
      arm();
    });
  };
  arm();
  // The first round sends the bootstrap campaigns.
  ScheduleRound();
  io_.run();
}

uint32_t Host::ShardsWithLeader() const {
  uint32_t n = 0;
  for (uint32_t s = 0; s < def_.shards(); ++s) n += LeaderOf(s) != 0 ? 1 : 0;
  return n;
}

void Host::Submit(asio::io_context* io, std::vector<Proposal> props,
                  std::vector<ReadRequest> reads) {
  {
    std::lock_guard<std::mutex> g(inbox_mu_);
    inbox_.push_back(Inbox{io, std::move(props), std::move(reads)});
  }
  ScheduleRound();
}

void Host::ScheduleRound() {
  if (round_scheduled_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(io_, [this] {
    round_scheduled_.store(false, std::memory_order_release);
    Round();
  });
}

void Host::Complete(asio::io_context* io, Done done, Outcome o, std::string reply) {
  if (!done) return;
  auto fn = [d = std::move(done), o, r = std::move(reply)]() mutable { d(o, std::move(r)); };
  for (auto& [target, list] : completions_) {
    if (target == io) {
      list.emplace_back(std::move(fn));
      return;
    }
  }
  completions_.emplace_back(io, std::vector<std::function<void()>>{});
  completions_.back().second.emplace_back(std::move(fn));
}

void Host::PostCompletions() {
  for (auto& [io, list] : completions_) {
    if (list.empty()) continue;
    asio::post(*io, [fns = std::move(list)]() mutable {
      for (auto& f : fns) f();
    });
  }
  completions_.clear();
}

void Host::TakeInbox() {
  std::vector<Inbox> in;
  {
    std::lock_guard<std::mutex> g(inbox_mu_);
    in.swap(inbox_);
  }
  int64_t now = clock_->NowMs();
  for (auto& box : in) {
    for (auto& p : box.props) {
      Group* g = p.shard < groups_.size() ? groups_[p.shard].get() : nullptr;
      if (g == nullptr) {
        Complete(box.io, std::move(p.done), Outcome::kNotLeader, std::move(p.op));
        continue;
      }
      ProposeOne(*g, box.io, std::move(p), now);
    }
    for (auto& r : box.reads) {
      Group* g = r.shard < groups_.size() ? groups_[r.shard].get() : nullptr;
      if (g == nullptr || g->node->raft().role() != raft::Role::kLeader) {
        Complete(box.io, std::move(r.done), Outcome::kNotLeader, {});
        continue;
      }
      ++live_stats_.reads;
#ifdef SHOAL_BROKEN_LEADER_READS
      // Deliberately broken build (tools/broken-reads.sh): a leader serves
      // reads from its own state without confirming it still leads.
      if (constexpr bool kBroken = true; kBroken) {
#else
      // Async: a leader that heard from a quorum lately serves reads from
      // its own state (eventually consistent, as Redis's master).
      if (options_.async_replication && QuorumHeardRecently(*g, MonotonicMs())) {
#endif
        Complete(box.io, std::move(r.done), Outcome::kOk, {});
        continue;
      }
      g->reads_new.push_back(
          PendingRead{box.io, std::move(r.done), now + options_.read_timeout_ms});
    }
  }
  // One ReadIndex round per group serves every read that arrived since the
  // last one (batched ReadIndex).
  for (auto& g : groups_) {
    if (!g || g->reads_new.empty()) continue;
    std::string ctx(reinterpret_cast<const char*>(&g->read_seq), sizeof(g->read_seq));
    ++g->read_seq;
    g->reads_issued[ctx] = std::move(g->reads_new);
    g->reads_new.clear();
    g->node->ReadIndex(ctx);
  }
}

void Host::ProposeOne(Group& g, asio::io_context* io, Proposal&& p, int64_t now_ms) {
  auto& r = g.node->raft();
  if (r.role() != raft::Role::kLeader) {
    // Never proposed; the op goes back so the worker can hand it on.
    Complete(io, std::move(p.done), Outcome::kNotLeader, std::move(p.op));
    return;
  }
  if (r.lead_transferee() != raft::kNoNode) {
    // A planned transfer takes a round trip or two: wait for its end
    // rather than refuse.
    g.held.emplace_back(io, std::move(p));
    return;
  }
  auto s = g.node->Propose(std::move(p.op));
  if (!s.ok()) {
    Complete(io, std::move(p.done), Outcome::kRetry, {});
    return;
  }
  ++live_stats_.proposals;
  raft::Index index = r.log().LastIndex();
  if (auto old = g.writes.find(index); old != g.writes.end()) {
    // An earlier proposal of ours held this index and lost it: we lead
    // now without it, so it was never committed (leader completeness).
    Complete(old->second.io, std::move(old->second.done), Outcome::kNotApplied, {});
    g.writes.erase(old);
  }
  g.writes[index] =
      PendingWrite{r.term(), p.resp, io, std::move(p.done), now_ms + options_.write_timeout_ms};
}

void Host::ProposeHeld(Group& g) {
  if (g.held.empty()) return;
  auto& r = g.node->raft();
  if (r.role() == raft::Role::kLeader && r.lead_transferee() != raft::kNoNode) return;
  auto held = std::move(g.held);
  g.held.clear();
  const int64_t now = clock_->NowMs();
  for (auto& [io, p] : held) ProposeOne(g, io, std::move(p), now);
}

void Host::Round() {
  if (stopping_) return;
  ++live_stats_.rounds;
  TakeInbox();
  for (int pass = 0; pass < kMaxReadyPassesPerRound; ++pass) {
    if (!ProcessReadies()) break;
  }
  PostCompletions();
}

void Host::FailReads(Group& g, Outcome o) {
  for (auto& r : g.reads_new) Complete(r.io, std::move(r.done), o, {});
  g.reads_new.clear();
  for (auto& [ctx, list] : g.reads_issued) {
    for (auto& r : list) Complete(r.io, std::move(r.done), o, {});
  }
  g.reads_issued.clear();
}

void Host::ApplyCommitted(Group& g, std::vector<raft::Entry>& entries) {
  for (auto& e : entries) {
    // Resyncing: the leader's data replaces ours; entries after its point
    // are applied from the log then (OnResyncData).
    if (g.resync) return;
    if (e.index <= g.applied) {
      // Applied already, ahead of its commit (async leader): it must be the
      // entry we applied.
      auto sp = g.spec.find(e.index);
      if (sp != g.spec.end()) {
        if (sp->second != e.term) {
          StartResync(g, e.index, "the entry committed there is another leader's");
          return;
        }
        g.spec.erase(sp);
      }
      continue;
    }
    ApplyEntry(g, e);
  }
}

void Host::ApplyEntry(Group& g, const raft::Entry& e) {
  auto it = g.writes.find(e.index);
  PendingWrite* w = nullptr;
  if (it != g.writes.end()) {
    w = &it->second;
    if (w->term != e.term) {
      // Another leader's entry took the index ours had: ours is gone.
      Complete(w->io, std::move(w->done), Outcome::kNotApplied, {});
      g.writes.erase(it);
      w = nullptr;
    }
  }
  if (e.type == raft::EntryType::kConfChange) {
    raft::ConfChange cc;
    if (cc.Decode(e.data)) g.conf = g.node->ApplyConfChange(cc);
  } else if (!e.data.empty()) {
    auto op = storage::DecodeOp(e.data);
    if (!op.ok()) {
      // A corrupt entry would make replicas diverge if skipped silently.
      spdlog::critical("shard {}: undecodable entry {}: {}", g.shard, e.index,
                       op.status().ToString());
      CHECK(false);
    }
    if (w != nullptr) {
      std::string reply;
      resp::Writer writer(&reply);
      writer.set_protocol(static_cast<resp::Protocol>(w->resp));
      sm_->Apply(*op, &writer);
      Complete(w->io, std::move(w->done), Outcome::kOk, std::move(reply));
      g.writes.erase(it);
    } else {
      sm_->Apply(*op, nullptr);
    }
  }
  g.applied = e.index;
  // Staged after every entry, not once per batch: an apply that flushes
  // the pending group itself (FLUSHALL's slot import) must carry the
  // applied index of the entries before it, or a crash right after would
  // replay them. Repeated stagings of one key coalesce in the batch.
  store_.StageApplied(g.shard, g.applied);
}

int64_t Host::MonotonicMs() const { return clock_->MonotonicUs() / 1000; }

bool Host::QuorumHeardRecently(Group& g, int64_t now_ms) const {
  if (g.node->raft().role() != raft::Role::kLeader) return false;
  if (now_ms < no_lease_until_ms_) return false;
  const int64_t window = static_cast<int64_t>(options_.tick_ms) * options_.election_ticks;
  size_t heard = 0;
  for (uint64_t v : g.conf.voters) {
    if (v == options_.self) {
      ++heard;
      continue;
    }
    auto it = g.heard_ms.find(v);
    if (it != g.heard_ms.end() && now_ms - it->second <= window) ++heard;
  }
  return heard * 2 > g.conf.voters.size();
}

void Host::ApplySpeculatively(Group& g, int64_t now_ms, const std::vector<raft::Entry>& appended) {
  // Async replication: the leader applies (and answers) what its own log
  // holds, ahead of the commit — while it heard from a quorum within an
  // election timeout (so a leader cut off stops within one), and not while
  // a follower waits for data made at the commit index.
  if (!options_.async_replication || g.resync || !g.resync_peers.empty()) return;
  if (g.snapshot_hold &&
      ticks_ - g.snapshot_hold_tick < 2 * static_cast<uint64_t>(options_.election_ticks)) {
    return;
  }
  g.snapshot_hold = false;
  if (!QuorumHeardRecently(g, now_ms)) return;
  const auto& st = g.log->storage();
  const raft::Index last = st.LastIndex();
  if (g.applied >= last || g.applied + 1 < st.FirstIndex()) return;
  // Usually exactly the entries this round appended: apply those, without
  // reading them back.
  std::vector<raft::Entry> read;
  const std::vector<raft::Entry>* ents = &appended;
  if (appended.empty() || appended.front().index != g.applied + 1 ||
      appended.back().index != last) {
    if (!st.Entries(g.applied + 1, last + 1, UINT64_MAX, &read).ok()) return;
    ents = &read;
  }
  const raft::Index commit = g.node->raft().log().committed();
  for (const auto& e : *ents) {
    // Membership changes take effect at their commit only.
    if (e.index > commit && e.type == raft::EntryType::kConfChange) break;
    if (e.index > commit) g.spec[e.index] = e.term;
    ApplyEntry(g, e);
  }
}

void Host::SkipOwnCommitted(Group& g) {
  // Async leader: what it applied ahead of the commit is its own log, which
  // a leader never rewrites in its term; once committed, Raft need not hand
  // those entries out again only to be checked (ApplyCommitted). Entries of
  // an older term are left to that check.
  if (!options_.async_replication || g.resync) return;
  auto& raft = g.node->raft();
  if (raft.role() != raft::Role::kLeader) return;
  const raft::Index upto = std::min(raft.log().committed(), g.applied);
  if (upto <= raft.log().applied()) return;
  raft::Index limit = upto;
  auto it = g.spec.begin();
  for (; it != g.spec.end() && it->first <= upto; ++it) {
    if (it->second != raft.term()) {
      limit = it->first - 1;
      break;
    }
  }
  if (limit <= raft.log().applied()) return;
  g.spec.erase(g.spec.begin(), g.spec.upper_bound(limit));
  g.node->SkipAppliedTo(limit);
}

void Host::CheckDivergence(Group& g, const std::vector<raft::Entry>& entries) {
  // Entries from a new leader replacing ones applied ahead of their commit.
  if (g.spec.empty() || g.resync) return;
  for (const auto& e : entries) {
    auto it = g.spec.find(e.index);
    if (it != g.spec.end() && it->second != e.term) {
      StartResync(g, e.index, "the leader's log has another entry there");
      return;
    }
  }
}

void Host::StartResync(Group& g, raft::Index at, const char* why) {
  spdlog::warn(
      "shard {}: this replica applied entries up to index {} that the leader's log does not "
      "hold ({} at index {}; async replication): discarding its data and resyncing from the "
      "leader",
      g.shard, g.applied, why, at);
  g.resync = true;
  g.spec.clear();
  g.log->StageResyncPending(true);
  ++live_stats_.resyncs;
  g.resync_asked_tick = 0;
  AskForResync(g);
}

void Host::AskForResync(Group& g) {
  const uint64_t lead = g.node->raft().lead();
  if (lead == raft::kNoNode || lead == options_.self) return;
  g.resync_asked_tick = ticks_ == 0 ? 1 : ticks_;
  transport_->Send(lead, std::vector<Envelope>{HostEnvelope(
                             kResyncGroup, raft::MessageType::kHeartbeat, options_.self, g.shard)});
}

void Host::ServeResyncs(Group& g, std::map<uint64_t, std::vector<Envelope>>& by_peer) {
  if (g.resync_peers.empty()) return;
  if (g.node->raft().role() != raft::Role::kLeader || g.resync) {
    g.resync_peers.clear();
    return;
  }
  // The data must be the state at a committed index: wait until what was
  // applied ahead of the commit is committed (speculation is paused).
  if (g.applied > g.node->raft().log().committed()) return;
  auto data = ks_->ExportSlots(g.ranges);
  if (!data.ok()) {
    spdlog::error("shard {}: cannot export resync data: {}", g.shard, data.status().ToString());
    return;
  }
  auto term = g.log->storage().TermAt(g.applied);
  auto snap = std::make_shared<raft::Snapshot>();
  snap->meta.index = g.applied;
  snap->meta.term = term.ok() ? *term : 0;
  snap->meta.conf = g.conf;
  snap->data = std::move(*data);
  for (uint64_t peer : g.resync_peers) {
    spdlog::info("shard {}: sending resync data at index {} ({} bytes) to node {}", g.shard,
                 g.applied, snap->data.size(), peer);
    Envelope e = HostEnvelope(kResyncGroup, raft::MessageType::kSnap, options_.self, g.shard);
    e.msg.snapshot = snap;
    by_peer[peer].push_back(std::move(e));
    ++live_stats_.resyncs_served;
  }
  g.resync_peers.clear();
}

void Host::OnResyncData(Group& g, const raft::Message& m, int64_t now_ms) {
  if (!g.resync || m.snapshot == nullptr) return;
  const raft::Snapshot& snap = *m.snapshot;
  const auto& st = g.log->storage();
  const raft::Index commit = g.node->raft().log().committed();
  // Entries after the data's index that we committed already are applied
  // from our log: they must still be there.
  if (commit > snap.meta.index && snap.meta.index + 1 < st.FirstIndex()) {
    spdlog::info("shard {}: resync data at {} is older than this replica's log; asking again",
                 g.shard, snap.meta.index);
    g.resync_asked_tick = 0;
    return;
  }
  auto s = ks_->ImportSlots(g.ranges, snap.data, now_ms);
  if (!s.ok()) {
    spdlog::critical("shard {}: installing resync data at {} failed: {}", g.shard, snap.meta.index,
                     s.ToString());
    CHECK(false);
  }
  g.resync = false;
  g.spec.clear();
  g.applied = snap.meta.index;
  store_.StageApplied(g.shard, g.applied);
  g.log->StageResyncPending(false);
  if (commit > g.applied) {
    std::vector<raft::Entry> ents;
    if (st.Entries(g.applied + 1, std::min(commit, st.LastIndex()) + 1, UINT64_MAX, &ents).ok()) {
      for (const auto& e : ents) ApplyEntry(g, e);
    }
  }
  s = store_.Flush();
  if (!s.ok()) {
    spdlog::critical("raft log flush failed, stopping: {}", s.ToString());
    CHECK(false);
  }
  spdlog::warn(
      "shard {}: resynced from node {}: replaced its data with the leader's at index {} "
      "({} bytes), applied now {}",
      g.shard, m.from, snap.meta.index, snap.data.size(), g.applied);
}

bool Host::ProcessReadies() {
  struct Item {
    Group* g;
    raft::Ready rd;
  };
  std::vector<Item> items;
  for (auto& g : groups_) {
    if (g) SkipOwnCommitted(*g);
    if (g && g->node->HasReady()) items.push_back(Item{g.get(), g->node->GetReady()});
  }
  if (items.empty()) return false;
  int64_t now = clock_->NowMs();
  const int64_t mono_now = MonotonicMs();
  bool info_dirty = false;
  for (auto& [g, rd] : items) {
    if (rd.soft_state) {
      bool was_leader = g->role == raft::Role::kLeader;
      g->role = rd.soft_state->role;
      g->lead = rd.soft_state->lead;
      g->ticks_as_leader = 0;
      leaders_[g->shard].store(g->lead, std::memory_order_release);
      info_dirty = true;
      if (was_leader && g->role != raft::Role::kLeader) {
        spdlog::warn("shard {}: lost leadership (leader now {})", g->shard, g->lead);
        // Unconfirmed reads were never executed: the worker re-routes them.
        FailReads(*g, Outcome::kNotLeader);
        g->resync_peers.clear();
      }
      if (g->role == raft::Role::kLeader) {
        g->heard_ms.clear();
        g->pinned = g->want_pin &&
                    ticks_ - g->want_pin_tick <= 2 * static_cast<uint64_t>(options_.election_ticks);
        g->want_pin = false;
        if (g->pinned) spdlog::info("shard {}: leading after a planned transfer", g->shard);
      } else {
        g->pinned = false;
      }
      if (g->resync && g->role != raft::Role::kLeader) g->resync_asked_tick = 0;
    }
    if (rd.snapshot) {
      const auto& snap = *rd.snapshot;
      auto s = ks_->ImportSlots(g->ranges, snap.data, now);
      if (!s.ok()) {
        spdlog::critical("shard {}: installing snapshot at {} failed: {}", g->shard,
                         snap.meta.index, s.ToString());
        CHECK(false);
      }
      s = g->log->ApplySnapshot(snap.meta);
      CHECK(s.ok());
      const raft::Index applied_before = g->applied;
      g->applied = snap.meta.index;
      g->conf = snap.meta.conf;
      if (g->resync) {
        g->log->StageResyncPending(false);
      } else if (!g->spec.empty()) {
        // Async: what this replica applied ahead of its commit is replaced
        // by the leader's state (counted as a resync).
        ++live_stats_.resyncs;
        spdlog::warn(
            "shard {}: state applied up to index {} ahead of its commit is replaced "
            "by the leader's snapshot at {} (async replication)",
            g->shard, applied_before, snap.meta.index);
      }
      g->resync = false;
      g->spec.clear();
      ++live_stats_.snapshots_installed;
      spdlog::info("shard {}: installed a snapshot at index {} ({} bytes)", g->shard,
                   snap.meta.index, snap.data.size());
    }
    if (rd.hard_state) g->log->SetHardState(*rd.hard_state);
    CheckDivergence(*g, rd.entries);
    g->log->Append(rd.entries);
    ApplyCommitted(*g, rd.committed_entries);
    ApplySpeculatively(*g, mono_now, rd.entries);
  }
  // The group commit: entries, hard states, applied data and indexes of
  // every group in one batch, durable before any message or reply leaves.
  auto s = store_.Flush();
  if (!s.ok()) {
    spdlog::critical("raft log flush failed, stopping: {}", s.ToString());
    CHECK(false);
  }
  ++live_stats_.flushes;
  std::map<uint64_t, std::vector<Envelope>> by_peer;
  std::vector<std::pair<Group*, uint64_t>> snapshots_sent, snapshots_failed;
  for (auto& [g, rd] : items) {
    ServeResyncs(*g, by_peer);
    // Where this group's last acknowledgement to each peer sits in its
    // batch (peer, position): a few peers, searched in place.
    std::vector<std::pair<uint64_t, size_t>> last_ack;
    for (auto& m : rd.messages) {
      if (m.type == raft::MessageType::kSnap && g->applied > g->node->raft().log().committed()) {
        // Async: applied ahead of the commit; a snapshot must be a committed
        // state. Pause speculation until the commit catches up; Raft tries
        // the snapshot again.
        g->snapshot_hold = true;
        g->snapshot_hold_tick = ticks_;
        snapshots_failed.emplace_back(g, m.to);
        continue;
      }
      if (m.type == raft::MessageType::kSnap) {
        // Snapshot data is made when needed, from the applied state: the
        // snapshot point moves up to `applied` (a later point of the same
        // log, so the follower continues from there).
        auto data = ks_->ExportSlots(g->ranges);
        if (!data.ok()) {
          spdlog::error("shard {}: cannot export a snapshot: {}", g->shard,
                        data.status().ToString());
          continue;
        }
        auto snap = std::make_shared<raft::Snapshot>();
        snap->meta.index = g->applied;
        auto term = g->log->storage().TermAt(g->applied);
        CHECK(term.ok());
        snap->meta.term = *term;
        snap->meta.conf = g->conf;
        snap->data = std::move(*data);
        spdlog::info("shard {}: sending a snapshot at index {} ({} bytes) to node {}", g->shard,
                     snap->meta.index, snap->data.size(), m.to);
        m.snapshot = std::move(snap);
        snapshots_sent.emplace_back(g, m.to);
        ++live_stats_.snapshots_sent;
      }
      auto& out = by_peer[m.to];
      if (m.type == raft::MessageType::kAppResp && !m.reject) {
        // Appends that arrived together are acknowledged once: the
        // acknowledgement of the last covers the earlier ones.
        auto it = std::find_if(last_ack.begin(), last_ack.end(),
                               [&m](const auto& a) { return a.first == m.to; });
        if (it == last_ack.end()) {
          last_ack.emplace_back(m.to, out.size());
        } else {
          auto& prev = out[it->second].msg;
          if (prev.term == m.term && prev.index <= m.index) {
            prev = std::move(m);
            continue;
          }
          it->second = out.size();
        }
      }
      out.push_back(Envelope{g->shard, std::move(m)});
    }
  }
  for (auto& [peer, envs] : by_peer) transport_->Send(peer, envs);
  for (auto& [g, peer] : snapshots_sent) g->node->ReportSnapshot(peer, true);
  for (auto& [g, peer] : snapshots_failed) g->node->ReportSnapshot(peer, false);
  for (auto& [g, rd] : items) {
    g->node->Advance(rd);
    for (auto& rs : rd.read_states) {
      auto it = g->reads_issued.find(rs.request_ctx);
      if (it == g->reads_issued.end()) continue;
      g->reads_ready.emplace_back(rs.index, std::move(it->second));
      g->reads_issued.erase(it);
    }
    while (!g->reads_ready.empty() && g->reads_ready.front().first <= g->applied) {
      for (auto& r : g->reads_ready.front().second) {
        Complete(r.io, std::move(r.done), Outcome::kOk, {});
      }
      g->reads_ready.pop_front();
    }
    (void)g->log->DropCompacted();
    if (!g->replica_waits.empty()) CheckReplicaWaits(*g, now);
    ProposeHeld(*g);
  }
  // INFO's copy follows leadership changes at once (terms included), and
  // the other nodes hear of a new leader now rather than at the next tick.
  if (info_dirty) {
    UpdateInfo();
    Announce();
  }
  return true;
}

void Host::Broadcast(const std::vector<uint64_t>& nodes, std::string payload) {
  std::lock_guard<std::mutex> g(broadcast_mu_);
  broadcast_out_.emplace_back(nodes, std::move(payload));
  if (broadcast_scheduled_) return;
  broadcast_scheduled_ = true;
  asio::post(io_, [this] { SendBroadcasts(); });
}

void Host::SetBroadcastHandler(BroadcastHandler h) {
  std::lock_guard<std::mutex> g(broadcast_mu_);
  broadcast_handler_ = std::move(h);
}

void Host::SendBroadcasts() {
  std::vector<std::pair<std::vector<uint64_t>, std::string>> out;
  {
    std::lock_guard<std::mutex> g(broadcast_mu_);
    out.swap(broadcast_out_);
    broadcast_scheduled_ = false;
  }
  std::vector<uint64_t> touched;
  for (auto& [nodes, payload] : out) {
    auto shared = std::make_shared<const std::string>(std::move(payload));
    for (uint64_t n : nodes) {
      if (n == options_.self) continue;
      Backlog& b = backlog_[n];
      if (b.bytes + shared->size() > kMaxBroadcastBacklogBytes) {
        ++live_stats_.broadcasts_dropped;
        const int64_t now = clock_->NowMs();
        if (now - b.last_drop_log_ms >= 1000) {
          b.last_drop_log_ms = now;
          spdlog::warn(
              "bus: pub/sub messages to node {} dropped: {} bytes wait for the bus already "
              "(kMaxBroadcastBacklogBytes)",
              n, b.bytes);
        }
        continue;
      }
      if (b.payloads.empty()) touched.push_back(n);
      b.bytes += shared->size();
      b.payloads.push_back(shared);
    }
  }
  for (uint64_t n : touched) PumpBroadcasts(n);
}

void Host::PumpBroadcasts(uint64_t peer) {
  auto it = backlog_.find(peer);
  if (it == backlog_.end()) return;
  Backlog& b = it->second;
  // One frame of up to kBroadcastFrameBytes at a time, while the bus queue
  // to the peer is short: Raft messages never wait behind much of it.
  while (!b.payloads.empty() && transport_->QueuedBytes(peer) < kBroadcastInTransportBytes) {
    std::vector<Envelope> envs;
    size_t bytes = 0;
    while (!b.payloads.empty() && (envs.empty() || bytes < kBroadcastFrameBytes)) {
      const auto& payload = b.payloads.front();
      Envelope e = HostEnvelope(kBroadcastGroup, raft::MessageType::kHeartbeat, options_.self, 0);
      e.msg.context = *payload;
      bytes += payload->size();
      b.bytes -= payload->size();
      envs.push_back(std::move(e));
      b.payloads.pop_front();
    }
    transport_->Send(peer, envs);
  }
}

void Host::OnMessages(std::vector<Envelope>&& envs) {
  BroadcastHandler on_broadcast;  // taken once per frame that carries any
  bool urgent = false;            // a round must follow now
  const int64_t mono_now = MonotonicMs();
  // Replies read right after a stall may be old: they do not extend a lease.
  const bool stalled =
      last_tick_ms_ != 0 && mono_now - last_tick_ms_ > kStallTicks * int64_t{options_.tick_ms};
  for (auto& env : envs) {
    if (env.group == kBroadcastGroup) {
      if (!on_broadcast) {
        std::lock_guard<std::mutex> g(broadcast_mu_);
        on_broadcast = broadcast_handler_;
      }
      if (on_broadcast) on_broadcast(env.msg.from, env.msg.context);
      continue;
    }
    if (env.group == kResyncGroup) {
      urgent = true;
      uint64_t shard = env.msg.index;
      if (shard >= groups_.size() || !groups_[shard]) continue;
      Group& g = *groups_[shard];
      if (env.msg.type == raft::MessageType::kSnap) {
        OnResyncData(g, env.msg, clock_->NowMs());
      } else if (g.node->raft().role() == raft::Role::kLeader &&
                 std::find(g.resync_peers.begin(), g.resync_peers.end(), env.msg.from) ==
                     g.resync_peers.end()) {
        spdlog::info("shard {}: node {} asks for resync data", shard, env.msg.from);
        g.resync_peers.push_back(env.msg.from);
      }
      continue;
    }
    if (env.group == kAnnounceGroup) {
      uint64_t shard = env.msg.index;
      if (shard == kAnnounceGroup) {
        if (draining_peers_.insert_or_assign(env.msg.from, ticks_).second) {
          spdlog::info("cluster host: node {} drains; no leadership goes back to it", env.msg.from);
        }
        continue;
      }
      if (shard >= def_.shards() || groups_[shard]) continue;  // members know from Raft
      if (env.msg.term >= announced_terms_[shard]) {
        announced_terms_[shard] = env.msg.term;
        announced_tick_[shard] = ticks_;
        leaders_[shard].store(env.msg.from, std::memory_order_release);
      }
      continue;
    }
    if (env.group >= groups_.size() || !groups_[env.group]) continue;
    Group& g = *groups_[env.group];
    if (options_.async_replication && g.role == raft::Role::kLeader &&
        (env.msg.type == raft::MessageType::kAppResp ||
         env.msg.type == raft::MessageType::kHeartbeatResp) &&
        env.msg.term == g.node->raft().term() && !stalled) {
      g.heard_ms[env.msg.from] = mono_now;
    }
    // A replica whose data awaits a resync must not lead: it never takes
    // a leadership transfer (and does not campaign, see Tick).
    if (g.resync && env.msg.type == raft::MessageType::kTimeoutNow) continue;
    if (!LeaderAckOnly(g, env.msg)) urgent = true;
    auto s = g.node->Step(std::move(env.msg));
    if (!s.ok()) spdlog::debug("shard {}: step: {}", env.group, s.ToString());
  }
  // Async: acks that only move a leader's commit index need no round of
  // their own (its writes were answered already); the next proposals or
  // tick carry them. Everything else is handled now.
  if (urgent) ScheduleRound();
}

bool Host::LeaderAckOnly(Group& g, const raft::Message& m) const {
  if (!options_.async_replication || g.role != raft::Role::kLeader) return false;
  if (m.type != raft::MessageType::kAppResp || m.reject) return false;
  auto& r = g.node->raft();
  return m.term == r.term() && r.lead_transferee() == raft::kNoNode && g.replica_waits.empty() &&
         g.resync_peers.empty() && g.held.empty() && !g.snapshot_hold;
}

void Host::OnUnreachable(uint64_t peer) {
  for (auto& g : groups_) {
    if (g) g->node->ReportUnreachable(peer);
  }
}

void Host::WaitReplicas(asio::io_context* io, uint32_t shard, int64_t want, int64_t timeout_ms,
                        Done done) {
  asio::post(io_, [this, io, shard, want, timeout_ms, done = std::move(done)]() mutable {
    Group* g = shard < groups_.size() ? groups_[shard].get() : nullptr;
    if (g == nullptr || g->node->raft().role() != raft::Role::kLeader) {
      Complete(io, std::move(done), Outcome::kNotLeader, {});
    } else {
      const int64_t now = clock_->NowMs();
      g->replica_waits.push_back(ReplicaWait{g->node->raft().log().LastIndex(), want,
                                             timeout_ms > 0 ? now + timeout_ms : 0, io,
                                             std::move(done)});
      CheckReplicaWaits(*g, now);
    }
    PostCompletions();
  });
}

void Host::CheckReplicaWaits(Group& g, int64_t now_ms) {
  auto& r = g.node->raft();
  const bool leader = r.role() == raft::Role::kLeader;
  for (auto it = g.replica_waits.begin(); it != g.replica_waits.end();) {
    if (!leader) {
      Complete(it->io, std::move(it->done), Outcome::kNotLeader, {});
      it = g.replica_waits.erase(it);
      continue;
    }
    int64_t holding = 0;
    for (uint64_t v : g.conf.voters) {
      if (v == options_.self) continue;
      const auto* pr = r.tracker().Get(v);
      if (pr != nullptr && pr->match >= it->index) ++holding;
    }
    if (holding >= it->want || (it->deadline_ms != 0 && now_ms >= it->deadline_ms)) {
      Complete(it->io, std::move(it->done), Outcome::kOk, std::to_string(holding));
      it = g.replica_waits.erase(it);
      continue;
    }
    ++it;
  }
}

void Host::CheckTimeouts(int64_t now_ms) {
  for (auto& g : groups_) {
    if (!g) continue;
    if (!g->replica_waits.empty()) CheckReplicaWaits(*g, now_ms);
    for (auto it = g->writes.begin(); it != g->writes.end();) {
      if (it->second.deadline_ms > now_ms) {
        ++it;
        continue;
      }
      Complete(it->second.io, std::move(it->second.done), Outcome::kUnknown, {});
      it = g->writes.erase(it);
    }
    for (auto it = g->reads_issued.begin(); it != g->reads_issued.end();) {
      if (it->second.empty() || it->second.front().deadline_ms > now_ms) {
        ++it;
        continue;
      }
      for (auto& r : it->second) Complete(r.io, std::move(r.done), Outcome::kRetry, {});
      it = g->reads_issued.erase(it);
    }
  }
}

void Host::MaybeCompact(Group& g) {
  const auto& st = g.log->storage();
  if (g.resync) return;
  // Only committed entries are compacted (an async leader applies ahead).
  const raft::Index base = std::min(g.applied, g.node->raft().log().applied());
  if (base < st.FirstIndex()) return;
  auto kept = static_cast<int64_t>(base - st.FirstIndex());
  if (kept <= options_.compact_entries) return;
  // Keep a quarter of the budget so followers slightly behind still catch
  // up from the log.
  raft::Index upto = base - static_cast<raft::Index>(options_.compact_entries / 4);
  auto s = g.log->Compact(upto, g.conf);
  if (!s.ok()) {
    spdlog::warn("shard {}: compaction to {} failed: {}", g.shard, upto, s.ToString());
    return;
  }
  ++live_stats_.compactions;
  spdlog::debug("shard {}: log compacted up to index {}", g.shard, upto);
}

void Host::Announce() {
  std::vector<Envelope> envs;
  if (draining_.load(std::memory_order_relaxed)) {
    // msg.index = kAnnounceGroup (no shard): "this node drains".
    envs.push_back(
        HostEnvelope(kAnnounceGroup, raft::MessageType::kHeartbeat, options_.self, kAnnounceGroup));
  }
  for (auto& g : groups_) {
    if (!g || g->role != raft::Role::kLeader) continue;
    Envelope e =
        HostEnvelope(kAnnounceGroup, raft::MessageType::kHeartbeat, options_.self, g->shard);
    e.msg.term = g->node->raft().term();
    envs.push_back(std::move(e));
  }
  if (envs.empty()) return;
  for (const auto& n : def_.nodes()) {
    if (n.id != options_.self) transport_->Send(n.id, envs);
  }
}

void Host::MaybeHandBack(Group& g) {
  // Leadership goes back to the shard's preferred leader once it is caught
  // up, so leaders stay spread (about S/N per node) after elections moved
  // them: at start-up, and after a node returns.
  auto& r = g.node->raft();
  if (!options_.balance_leaders || r.role() != raft::Role::kLeader) return;
  if (++g.ticks_as_leader < kHandBackAfterTicks * options_.election_ticks) return;
  uint64_t preferred = def_.PreferredLeader(g.shard);
  if (preferred == options_.self || r.lead_transferee() != raft::kNoNode) return;
  // A planned transfer put leadership here on purpose; a draining node
  // gets none back.
  if (g.pinned || draining_.load(std::memory_order_relaxed)) return;
  if (auto it = draining_peers_.find(preferred);
      it != draining_peers_.end() &&
      ticks_ - it->second <= 2 * static_cast<uint64_t>(options_.election_ticks)) {
    return;
  }
  const auto* pr = r.tracker().Get(preferred);
  if (pr == nullptr || !pr->recent_active || pr->match != r.log().LastIndex()) return;
  g.ticks_as_leader = 0;
  spdlog::info("shard {}: handing leadership back to its preferred leader, node {}", g.shard,
               preferred);
  g.node->TransferLeader(preferred);
}

void Host::TransferLeadership(uint32_t shard, uint64_t to) {
  asio::post(io_, [this, shard, to] {
    Group* g = shard < groups_.size() ? groups_[shard].get() : nullptr;
    if (g == nullptr) return;
    if (to == options_.self) {
      g->want_pin = true;
      g->want_pin_tick = ticks_;
    }
    spdlog::info("shard {}: planned leadership transfer to node {} asked", shard, to);
    g->node->TransferLeader(to);
    ScheduleRound();
  });
}

void Host::Drain(bool on) {
  if (draining_.exchange(on) != on) {
    spdlog::warn("cluster host: {}",
                 on ? "draining: handing over every shard this node leads" : "drain ended");
  }
  asio::post(io_, [this] {
    for (auto& g : groups_) {
      if (g) MaybeDrain(*g);
    }
    Announce();
    ScheduleRound();
  });
}

void Host::MaybeDrain(Group& g) {
  auto& r = g.node->raft();
  if (!draining_.load(std::memory_order_relaxed) || r.role() != raft::Role::kLeader ||
      r.lead_transferee() != raft::kNoNode) {
    return;
  }
  // A follower heard from recently takes over: the one leading the fewest
  // shards (transfers under way count), then the most caught up.
  std::unordered_map<uint64_t, int> leads;
  for (uint32_t s = 0; s < def_.shards(); ++s) {
    const Group* o = groups_[s].get();
    uint64_t l = LeaderOf(s);
    if (o != nullptr && l == options_.self && o->node->raft().lead_transferee() != raft::kNoNode) {
      l = o->node->raft().lead_transferee();
    }
    ++leads[l];
  }
  uint64_t best = 0;
  raft::Index best_match = 0;
  for (uint64_t v : g.conf.voters) {
    if (v == options_.self) continue;
    const auto* pr = r.tracker().Get(v);
    if (pr == nullptr || !pr->recent_active) continue;
    if (best == 0 || leads[v] < leads[best] ||
        (leads[v] == leads[best] && pr->match > best_match)) {
      best = v;
      best_match = pr->match;
    }
  }
  if (best == 0) return;
  spdlog::info("shard {}: draining: handing leadership to node {}", g.shard, best);
  g.node->TransferLeader(best);
}

void Host::Tick() {
  const int64_t mono_now = MonotonicMs();
  const int64_t election_ms = static_cast<int64_t>(options_.tick_ms) * options_.election_ticks;
  if (last_tick_ms_ != 0 && mono_now - last_tick_ms_ > kStallTicks * int64_t{options_.tick_ms}) {
    // Stalled (paused): what this node believes about its leadership is
    // old. An async leader takes no write on its own for an election
    // timeout; by then it heard of a newer leader, or from its quorum again.
    if (options_.async_replication) {
      spdlog::warn("cluster host: stalled for {} ms; no async writes for {} ms",
                   mono_now - last_tick_ms_, election_ms);
      no_lease_until_ms_ = mono_now + election_ms;
      for (auto& g : groups_) {
        if (g) g->heard_ms.clear();
      }
    }
  }
  last_tick_ms_ = mono_now;
  for (auto& g : groups_) {
    if (!g) continue;
    // A replica awaiting a resync does not campaign (its data is not the
    // log's); it asks the leader again every election timeout.
    if (!g->resync || g->node->raft().role() == raft::Role::kLeader) g->node->Tick();
    if (g->resync &&
        (g->resync_asked_tick == 0 ||
         ticks_ - g->resync_asked_tick >= static_cast<uint64_t>(options_.election_ticks))) {
      AskForResync(*g);
    }
    MaybeHandBack(*g);
    MaybeDrain(*g);
    ProposeHeld(*g);
  }
  ++ticks_;
  // A leader that stopped announcing itself (dead, cut off) is forgotten
  // after two election timeouts, so CLUSTER SLOTS and forwarding stop
  // pointing at it.
  for (uint32_t shard = 0; shard < def_.shards(); ++shard) {
    if (groups_[shard] || leaders_[shard].load(std::memory_order_relaxed) == 0) continue;
    if (ticks_ - announced_tick_[shard] > 2 * static_cast<uint64_t>(options_.election_ticks)) {
      leaders_[shard].store(0, std::memory_order_release);
    }
  }
  CheckTimeouts(clock_->NowMs());
  for (auto& g : groups_) {
    if (g) MaybeCompact(*g);
  }
  Announce();
  Round();
  UpdateInfo();
}

void Host::UpdateInfo() {
  std::vector<ShardInfo> info;
  info.reserve(def_.shards());
  for (uint32_t shard = 0; shard < def_.shards(); ++shard) {
    ShardInfo si;
    si.shard = shard;
    si.replicas = def_.Replicas(shard);
    si.leader = LeaderOf(shard);
    Group* g = groups_.empty() ? nullptr : groups_[shard].get();
    if (g != nullptr) {
      auto& r = g->node->raft();
      si.local = true;
      si.role = raft::RoleName(r.role());
      si.term = r.term();
      si.commit = r.log().committed();
      si.applied = g->applied;
      si.last_index = r.log().LastIndex();
      si.first_index = g->log->storage().FirstIndex();
      si.resyncing = g->resync;
      if (r.role() == raft::Role::kLeader) {
        for (uint64_t peer : si.replicas) {
          if (peer == options_.self) continue;
          const auto* pr = r.tracker().Get(peer);
          int64_t lag = kUnheardLag;
          // Heard from within two election timeouts (recent_active alone
          // is reset at every CheckQuorum).
          bool heard = pr != nullptr && (pr->recent_active ||
                                         r.ticks() - pr->acked_heartbeat_tick <=
                                             2 * static_cast<uint64_t>(options_.election_ticks));
          if (heard) {
            lag = static_cast<int64_t>(si.last_index) - static_cast<int64_t>(pr->match);
          }
          si.lag.emplace_back(peer, lag);
        }
      }
    }
    info.push_back(std::move(si));
  }
  std::lock_guard<std::mutex> lock(info_mu_);
  info_ = std::move(info);
  stats_ = live_stats_;
}

std::vector<ShardInfo> Host::Shards() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  auto out = info_;
  // Leaders are fresher in the atomics than in the last tick's copy.
  for (auto& si : out) si.leader = LeaderOf(si.shard);
  return out;
}

Host::Stats Host::stats() const {
  std::lock_guard<std::mutex> lock(info_mu_);
  return stats_;
}

void Host::SetPeerBlocked(uint64_t peer, bool blocked) {
  asio::post(io_, [this, peer, blocked] { transport_->SetBlocked(peer, blocked); });
}

}  // namespace shoal::cluster
