// The event loop, the Ready cycle and the phases. Faults and clients are in
// simulator_faults.cc.
#include "tests/raft/sim/simulator.h"

#include <algorithm>
#include <cstdio>

namespace shoal::raft::sim {

namespace {

// Message hops handled within one tick; what is left waits for the next.
constexpr int kMaxRoundsPerTick = 100;

std::string S(uint64_t v) { return std::to_string(v); }

std::vector<NodeId> MakeIds(int n) {
  std::vector<NodeId> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(static_cast<NodeId>(i));
  return ids;
}

}  // namespace

Simulator::Simulator(const SimOptions& options)
    : options_(options),
      plan_(Plan::Draw(options.seed, options.nodes, options.profile)),
      rng_(DeriveSeed(options.seed, 0x72756e)),
      ids_(MakeIds(options.nodes)),
      net_(ids_, &rng_),
      check_(ids_.size()) {
  ConfState cs;
  cs.voters = ids_;
  for (NodeId id : ids_) nodes_.push_back(std::make_unique<SimNode>(id, cs, plan_.power_loss > 0));
  clients_.resize(static_cast<size_t>(plan_.clients));
}

void Simulator::Log(const std::string& line) {
  if (options_.verbose)
    std::printf("%6llu %s\n", static_cast<unsigned long long>(now_), line.c_str());
}

Outcome Simulator::Run() {
  if (options_.verbose) std::printf("plan: %s\n", plan_.Describe().c_str());
  for (auto& n : nodes_) StartNode(*n);
  SafetyPhase();
  if (!failed()) LivenessPhase();
  if (!failed()) StablePhase();
  if (!failed()) {
    for (auto& n : nodes_) check_.CheckFinal(n->id(), n->raft().log(), n->sm());
  }
  out_.ok = !failed();
  out_.failure = check_.failure();
  out_.ticks = now_;
  out_.leaders = check_.leaders_elected();
  out_.acked = check_.acked();
  if (options_.verbose) {
    std::printf(
        "%s at tick %llu: %llu messages, %llu crashes, %llu leaders, %llu writes acked, "
        "%llu reads\n",
        out_.ok ? "passed" : "FAILED", static_cast<unsigned long long>(now_),
        static_cast<unsigned long long>(out_.messages),
        static_cast<unsigned long long>(out_.crashes),
        static_cast<unsigned long long>(out_.leaders), static_cast<unsigned long long>(out_.acked),
        static_cast<unsigned long long>(out_.reads));
  }
  return out_;
}

void Simulator::SafetyPhase() {
  NetFaults f;
  f.drop = plan_.drop;
  f.duplicate = plan_.duplicate;
  f.max_delay_ticks = plan_.max_delay_ticks;
  f.zero_delay = plan_.zero_delay;
  f.reorder = plan_.reorder;
  net_.set_faults(f);
  while (now_ < static_cast<uint64_t>(plan_.safety_ticks) && !failed()) Tick(true);
}

void Simulator::Calm() {
  calm_ = true;
  Log("calm: network healed, every node running, no more faults");
  net_.Heal();
  NetFaults f;
  f.max_delay_ticks = 1;
  f.zero_delay = 0.8;
  f.reorder = plan_.reorder;
  net_.set_faults(f);
  for (auto& n : nodes_) {
    if (!n->up) {
      StartNode(*n);
    } else {
      n->paused = false;
    }
  }
}

template <typename Pred>
bool Simulator::RunUntil(uint64_t limit, Pred done) {
  for (uint64_t i = 0; i < limit; ++i) {
    if (done()) return true;
    Tick(false);
    if (failed()) return false;
  }
  return done();
}

void Simulator::LivenessPhase() {
  Calm();
  // An election takes at most a few timeouts once the network is calm;
  // clients re-send lost writes every 3 timeouts; a node that restarted
  // from an empty disk may need its whole log or a snapshot.
  const uint64_t limit = 60ULL * static_cast<uint64_t>(plan_.election_tick);
  // CheckQuorum and election timers still measure the faulty past for up to
  // two timeouts; only then does "no spurious elections" apply.
  const uint64_t warmup = 2ULL * static_cast<uint64_t>(plan_.election_tick);
  std::string why;
  const uint64_t healed = now_;
  if (!RunUntil(limit, [&] { return Settled(&why) && now_ - healed >= warmup; })) {
    check_.Fail("liveness: not settled " + S(limit) + " ticks after healing: " + why);
  }
  out_.liveness_ticks = now_ - healed;
}

void Simulator::StablePhase() {
  SimNode* leader = Leader();
  const Term term = leader->raft().term();
  const uint64_t ticks = 20ULL * static_cast<uint64_t>(plan_.election_tick);
  Log("stable: leader " + S(leader->id()) + " at term " + S(term));
  for (uint64_t i = 0; i < ticks && !failed(); ++i) {
    if (i % static_cast<uint64_t>(plan_.election_tick) == 0 && clients_[0].outstanding < 0) {
      NewRequest(clients_[0]);
    }
    Tick(false);
    for (auto& n : nodes_) {
      if (n->raft().term() != term) {
        check_.Fail("stable: spurious election: " + S(n->id()) + " moved to term " +
                    S(n->raft().term()) + " under leader " + S(leader->id()) + " at term " +
                    S(term));
        return;
      }
    }
  }
  if (failed()) return;
  // Reads at the leader and at a follower complete, and so do the writes.
  SimNode* follower = nodes_[leader->id() % nodes_.size()].get();
  const std::string a = IssueRead(*leader);
  const std::string b = IssueRead(*follower);
  const uint64_t limit = 10ULL * static_cast<uint64_t>(plan_.election_tick);
  std::string why;
  bool done = RunUntil(limit, [&] {
    if (!Settled(&why)) return false;
    why = "reads not answered";
    return reads_answered_.count(a) && reads_answered_.count(b);
  });
  if (!done && !failed()) check_.Fail("stable: not done " + S(limit) + " ticks on: " + why);
}

bool Simulator::Settled(std::string* why) {
  SimNode* l = Leader();
  if (l == nullptr) {
    *why = "no leader";
    return false;
  }
  const RaftLog& log = l->raft().log();
  if (l->raft().lead_transferee() != kNoNode) {
    *why = "leader " + S(l->id()) + " is handing over to " + S(l->raft().lead_transferee());
    return false;
  }
  for (auto& n : nodes_) {
    if (n->raft().term() != l->raft().term() || n->raft().lead() != l->id()) {
      *why = S(n->id()) + " at term " + S(n->raft().term()) + " follows " + S(n->raft().lead()) +
             "; leader " + S(l->id()) + " at term " + S(l->raft().term());
      return false;
    }
  }
  if (log.TermOf(log.committed()) != l->raft().term() || log.committed() != log.LastIndex()) {
    *why = "leader " + S(l->id()) + " committed " + S(log.committed()) + " of " +
           S(log.LastIndex()) + " (term " + S(log.TermOf(log.committed())) + ")";
    return false;
  }
  if (open_requests_ > 0) {
    *why = S(open_requests_) + " client writes not acknowledged";
    return false;
  }
  for (auto& n : nodes_) {
    if (n->sm().applied < log.committed()) {
      *why = S(n->id()) + " applied " + S(n->sm().applied) + " of " + S(log.committed());
      return false;
    }
  }
  return true;
}

void Simulator::Tick(bool faults) {
  ++now_;
  if (faults) Faults();
  if (failed()) return;
  Clients(!calm_);
  if (!calm_ && rng_.Chance(plan_.read)) {
    if (SimNode* n = RandomRunning()) (void)IssueRead(*n);
  }
  for (auto& n : nodes_) {
    if (!n->up || n->paused) continue;
    n->raw().Tick();
    Observe(*n);
  }
  Drain();
}

void Simulator::Drain() {
  for (int round = 0; round < kMaxRoundsPerTick && !failed(); ++round) {
    bool moved = false;
    for (auto& n : nodes_) {
      if (!n->up || n->paused || !n->raw().HasReady()) continue;
      HandleReady(*n);
      moved = true;
      if (failed()) return;
    }
    for (Envelope& e : net_.TakeDue(now_)) {
      Deliver(std::move(e));
      moved = true;
      if (failed()) return;
    }
    if (!moved) return;
  }
}

void Simulator::HandleReady(SimNode& n) {
  auto rd = std::make_shared<Ready>(n.raw().GetReady());
  const HardState hs = n.raft().hard_state();
  int crash_at =
      rng_.Chance(calm_ ? 0 : plan_.crash_in_ready) ? static_cast<int>(rng_.Below(4)) : -1;
  bool isolate_after = false;
  if (n.churn_countdown > 0 && --n.churn_countdown == 0 && !calm_ &&
      n.raft().role() == Role::kLeader) {
    if (rng_.Chance(0.5)) {
      crash_at = static_cast<int>(rng_.Below(4));
    } else {
      isolate_after = true;
    }
  }

  // 1. Persist, fsync if asked.
  if (crash_at == 0) return Crash(n, "crash before persisting a Ready");
  if (rd->snapshot || !rd->entries.empty() || rd->hard_state) {
    n.Do([rd](MemoryStorage& s, SmState&) {
      if (rd->snapshot) CHECK(s.ApplySnapshot(*rd->snapshot).ok());
      s.Append(rd->entries);
      if (rd->hard_state) s.SetHardState(*rd->hard_state);
    });
  }
  check_.OnPersisted(n.id(), n.storage(), rd->entries);
  if (n.storage().InitialHardState() != hs) {
    check_.Fail("hard state: " + S(n.id()) + " has " + Describe(hs) + " but its Readies carried " +
                Describe(n.storage().InitialHardState()));
  }
  if (rd->must_sync) n.Sync();
  if (crash_at == 1) return Crash(n, "crash after persisting a Ready, before sending");

  // 2. Send. What a message says must already be durable: its term, and
  // for a vote, the vote (Figure 2: persist before responding).
  const HardState durable = n.durable_storage().InitialHardState();
  const Index durable_last = n.durable_storage().LastIndex();
  for (Message& m : rd->messages) {
    // An ack of entries (or a snapshot) up to an index: they are on disk.
    // (Unless the ack is of an older term: it was true when made, and a
    // newer leader may have truncated the log since, like an ack delayed
    // in the network.)
    if (m.type == MessageType::kAppResp && !m.reject && m.term == n.raft().term() &&
        m.index > durable_last) {
      check_.Fail("persistence: " + S(n.id()) + " acknowledges its log up to " + S(m.index) +
                  " while its disk holds up to " + S(durable_last));
    }
    if (m.type == MessageType::kVote || (m.type == MessageType::kVoteResp && !m.reject)) {
      NodeId candidate = m.type == MessageType::kVote ? n.id() : m.to;
      check_.OnVoteSent(n.id(), m.term, candidate);
      n.vote_term = m.term;
      n.vote_for = candidate;
      if (durable.term < m.term || (durable.term == m.term && durable.vote != candidate)) {
        check_.Fail("persistence: " + S(n.id()) + " sends its vote for " + S(candidate) +
                    " at term " + S(m.term) + " while its disk holds " + Describe(durable));
      }
    }
    // A PreVote and its answer carry the term of an election to come.
    if (m.type != MessageType::kPreVote && m.type != MessageType::kPreVoteResp) {
      n.exposed_term = std::max(n.exposed_term, m.term);
      if (durable.term < m.term) {
        check_.Fail("persistence: " + S(n.id()) + " sends " + Describe(m) +
                    " while its disk holds " + Describe(durable));
      }
    }
    ++out_.messages;
    if (options_.trace) Log("send " + Describe(m));
    if (!net_.Send(m, now_, n.incarnation)) Lost(m, n.incarnation, "dropped");
  }
  if (crash_at == 2) return Crash(n, "crash after sending a Ready, before applying");

  // 3. Apply, then serve reads.
  if (rd->snapshot) {
    std::string data = rd->snapshot->data;
    n.Do([data](MemoryStorage&, SmState& sm) { CHECK(sm.Restore(data)); });
    check_.OnSnapshotRestored(n.id(), n.sm());
  }
  for (const Entry& e : rd->committed_entries) {
    check_.OnApplied(n.id(), n.sm(), e);
    n.Do([e](MemoryStorage&, SmState& sm) { sm.Apply(e); });
    OnApplied(e);
  }
  for (const ReadState& rs : rd->read_states) {
    check_.OnReadState(n.id(), rs);
    ++out_.reads;
    reads_answered_.insert(rs.request_ctx);
  }
  if (crash_at == 3) return Crash(n, "crash after applying a Ready, before Advance");

  n.raw().Advance(*rd);
  Observe(n);
  if (isolate_after) {
    heal_at_ = now_ + rng_.Range(static_cast<uint64_t>(plan_.election_tick),
                                 4ULL * static_cast<uint64_t>(plan_.election_tick));
    Log("churn: " + net_.Isolate(n.id()) + " until " + S(heal_at_));
  }
}

void Simulator::Deliver(Envelope e) {
  Message& m = e.msg;
  SimNode& to = node(m.to);
  if (!to.up) return Lost(m, e.sender_incarnation, "receiver down");
  if (to.paused) return net_.Defer(std::move(e), now_ + 1);
  if (!net_.LinkUp(m.from, m.to)) return Lost(m, e.sender_incarnation, "link cut");
  if (options_.trace) Log("deliver " + Describe(m));
  const bool snap = m.type == MessageType::kSnap;
  const NodeId from = m.from;
  (void)to.raw().Step(std::move(m));
  Observe(to);
  if (snap) {
    // The transport tells the leader the snapshot arrived.
    ++out_.snapshots_sent;
    SimNode& sender = node(from);
    if (sender.up && sender.incarnation == e.sender_incarnation) {
      sender.raw().ReportSnapshot(to.id(), true);
      Observe(sender);
    }
  }
}

void Simulator::Lost(const Message& m, uint64_t sender_incarnation, const char* why) {
  if (options_.trace) Log(std::string("lost (") + why + ") " + Describe(m));
  SimNode& sender = node(m.from);
  if (!sender.up || sender.incarnation != sender_incarnation) return;
  if (m.type == MessageType::kSnap) {
    sender.raw().ReportSnapshot(m.to, false);
  } else if (rng_.Chance(plan_.unreachable_report)) {
    sender.raw().ReportUnreachable(m.to);
  } else {
    return;
  }
  Observe(sender);
}

void Simulator::Observe(SimNode& n) {
  if (!n.up) return;
  const Raft& r = n.raft();
  const Index commit = r.log().committed();
  const Index applied = r.log().applied();
  if (r.term() < n.seen_term || commit < n.seen_commit || applied < n.seen_applied) {
    check_.Fail("monotonicity: " + S(n.id()) + " went from term/commit/applied " + S(n.seen_term) +
                "/" + S(n.seen_commit) + "/" + S(n.seen_applied) + " to " + S(r.term()) + "/" +
                S(commit) + "/" + S(applied));
    return;
  }
  n.seen_term = r.term();
  n.seen_commit = commit;
  n.seen_applied = applied;
  if (commit > n.commit_checked) {
    Index from = std::max(n.commit_checked, r.log().FirstIndex() - 1);
    check_.OnCommitted(n.id(), r.term(), r.log(), from, commit);
    n.commit_checked = commit;
  }
  if (r.role() == Role::kLeader && n.leader_term != r.term()) {
    n.leader_term = r.term();
    check_.OnLeader(n.id(), r.term(), r.log());
    if (!calm_ && rng_.Chance(plan_.churn)) {
      n.churn_countdown =
          static_cast<int>(rng_.Range(1, static_cast<uint64_t>(plan_.churn_readies_max)));
    }
  }
}

}  // namespace shoal::raft::sim
