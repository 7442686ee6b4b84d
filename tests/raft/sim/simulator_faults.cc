// The simulator's faults (partitions, crashes, pauses, compaction,
// leadership transfers) and its clients (writes with retries, reads).
#include <algorithm>
#include <cstdlib>

#include "tests/raft/sim/simulator.h"

namespace shoal::raft::sim {

namespace {

std::string S(uint64_t v) { return std::to_string(v); }

}  // namespace

void Simulator::StartNode(SimNode& n) {
  Config c;
  c.id = n.id();
  c.election_tick = plan_.election_tick;
  c.heartbeat_tick = plan_.heartbeat_tick;
  c.pre_vote = plan_.pre_vote;
  c.check_quorum = plan_.check_quorum;
  c.broadcast_commit = plan_.broadcast_commit;
  c.max_inflight_msgs = plan_.max_inflight_msgs;
  c.max_size_per_msg = plan_.max_size_per_msg;
  if (plan_.lease_reads) c.read_only = ReadOnlyOption::kLeaseBased;
  c.seed = DeriveSeed(options_.seed, n.id(), n.incarnation + 1);
  if (options_.verbose) c.logger = [this](const std::string& line) { Log(line); };
  const HardState disk_hs = n.storage().InitialHardState();
  const Index disk_applied = n.sm().applied;
  n.Start(c);
  const Raft& r = n.raft();
  // Term, commit and applied resume from the disk, never below it.
  if (r.term() < disk_hs.term || r.log().committed() < disk_hs.commit ||
      r.log().applied() < disk_applied || r.log().applied() > r.log().committed()) {
    check_.Fail("restart: " + S(n.id()) + " starts at term/commit/applied " + S(r.term()) + "/" +
                S(r.log().committed()) + "/" + S(r.log().applied()) + " from a disk holding " +
                S(disk_hs.term) + "/" + S(disk_hs.commit) + "/" + S(disk_applied));
  }
  if (n.incarnation > 1) {
    Log("restarted " + S(n.id()) + ": " + Describe(r.hard_state()) + " applied " +
        S(r.log().applied()) + " last " + S(r.log().LastIndex()));
  }
  // What the node said before the crash binds it after (Figure 2: term and
  // vote are persisted before any message that depends on them leaves).
  if (r.term() < n.exposed_term) {
    check_.Fail("persistence: " + S(n.id()) + " restarted at term " + S(r.term()) +
                " after sending messages at term " + S(n.exposed_term));
  } else if (r.term() == n.vote_term && r.vote() != n.vote_for) {
    check_.Fail("persistence: " + S(n.id()) + " restarted at term " + S(r.term()) + " with vote " +
                S(r.vote()) + " after voting for " + S(n.vote_for));
  }
  Observe(n);
}

void Simulator::Crash(SimNode& n, const char* why) {
  const bool lose = rng_.Chance(plan_.power_loss);
  n.Crash(lose);
  n.restart_at = now_ + rng_.Range(1, static_cast<uint64_t>(std::max(1, plan_.down_ticks_max)));
  ++out_.crashes;
  Log(std::string(why) + ": " + S(n.id()) + (lose ? " (power loss)" : "") + ", restarts at " +
      S(n.restart_at));
  // Whatever crashes, an acknowledged write stays on a quorum of disks.
  std::vector<const MemoryStorage*> disks;
  for (auto& other : nodes_) disks.push_back(&other->durable_storage());
  check_.CheckAckedDurable(disks);
}

SimNode* Simulator::Leader() {
  SimNode* best = nullptr;
  for (auto& n : nodes_) {
    if (!n->up || n->raft().role() != Role::kLeader) continue;
    if (best == nullptr || n->raft().term() > best->raft().term()) best = n.get();
  }
  return best;
}

SimNode* Simulator::RandomRunning() {
  std::vector<SimNode*> running;
  for (auto& n : nodes_) {
    if (n->up && !n->paused) running.push_back(n.get());
  }
  return running.empty() ? nullptr : running[rng_.Below(running.size())];
}

void Simulator::Faults() {
  for (auto& n : nodes_) {
    if (!n->up && now_ >= n->restart_at) {
      StartNode(*n);
    } else if (n->up && n->paused && now_ >= n->resume_at) {
      n->paused = false;
      Log("resumed " + S(n->id()));
    }
  }
  if (net_.partitioned() && now_ >= heal_at_) {
    net_.Heal();
    Log("network healed");
  }
  if (!net_.partitioned() && rng_.Chance(plan_.partition)) {
    std::vector<int> kinds;
    if (plan_.symmetric_split) kinds.push_back(0);
    if (plan_.asymmetric) kinds.push_back(1);
    if (plan_.isolate) kinds.push_back(2);
    if (plan_.bridge) kinds.push_back(3);
    std::string what;
    switch (rng_.Pick(kinds)) {
      case 0:
        what = net_.SymmetricSplit();
        break;
      case 1:
        what = net_.Asymmetric();
        break;
      case 2: {
        SimNode* l = Leader();
        NodeId victim = l != nullptr && rng_.Chance(0.5) ? l->id() : rng_.Pick(ids_);
        what = net_.Isolate(victim);
        break;
      }
      default:
        what = net_.Bridge();
        break;
    }
    heal_at_ = now_ + rng_.Range(static_cast<uint64_t>(plan_.election_tick),
                                 static_cast<uint64_t>(plan_.partition_ticks_max));
    Log("partition: " + what + " until " + S(heal_at_));
  }
  for (auto& n : nodes_) {
    if (n->up && rng_.Chance(plan_.crash)) Crash(*n, "crash");
  }
  if (rng_.Chance(plan_.crash_leader)) {
    if (SimNode* l = Leader()) Crash(*l, "leader crash");
  }
  if (rng_.Chance(plan_.pause)) {
    if (SimNode* n = RandomRunning()) {
      n->paused = true;
      n->resume_at = now_ + rng_.Range(1, static_cast<uint64_t>(plan_.pause_ticks_max));
      Log("paused " + S(n->id()) + " until " + S(n->resume_at));
    }
  }
  for (auto& n : nodes_) {
    if (n->up && !n->paused && rng_.Chance(plan_.compact)) Compact(*n);
  }
  if (rng_.Chance(plan_.transfer)) {
    SimNode* l = Leader();
    if (l != nullptr && !l->paused) {
      NodeId target = rng_.Pick(ids_);
      Log("asking " + S(l->id()) + " to transfer leadership to " + S(target));
      l->raw().TransferLeader(target);
      Observe(*l);
    }
  }
}

void Simulator::Compact(SimNode& n) {
  const Index at = n.sm().applied;
  if (at <= n.storage().GetSnapshot().meta.index || at > n.storage().LastIndex()) return;
  // Keep a few entries behind the snapshot sometimes, as a real store does
  // to spare slow followers a snapshot.
  const Index keep = rng_.Below(8);
  const Index to = at > keep ? at - keep : 0;
  ConfState cs;
  cs.voters = ids_;
  std::string data = n.sm().Serialize();
  if (options_.verbose)
    Log("compact " + S(n.id()) + ": snapshot at " + S(at) + ", log from " + S(to + 1));
  n.Do([at, to, cs, data](MemoryStorage& s, SmState&) {
    if (at <= s.GetSnapshot().meta.index) return;
    CHECK(s.CreateSnapshot(at, cs, data).ok());
    if (to + 1 > s.FirstIndex()) CHECK(s.Compact(to).ok());
  });
}

void Simulator::Clients(bool new_requests) {
  const uint64_t retry = RetryTicks();
  for (Client& c : clients_) {
    if (c.outstanding >= 0 && requests_[static_cast<size_t>(c.outstanding)].done) {
      c.outstanding = -1;
    }
    if (c.outstanding < 0) {
      if (new_requests && rng_.Chance(plan_.propose)) NewRequest(c);
      continue;
    }
    Request& r = requests_[static_cast<size_t>(c.outstanding)];
    if (now_ - r.last_attempt >= retry) Propose(r);
  }
}

uint64_t Simulator::RetryTicks() const {
  // Once calm, a lost write is re-sent within three election timeouts.
  const int ticks = calm_ ? 3 * plan_.election_tick : plan_.retry_ticks;
  return static_cast<uint64_t>(ticks);
}

void Simulator::NewRequest(Client& c) {
  Request r;
  r.id = requests_.size();
  requests_.push_back(r);
  c.outstanding = static_cast<int64_t>(r.id);
  ++open_requests_;
  Propose(requests_.back());
}

void Simulator::Propose(Request& r) {
  r.last_attempt = now_;
  ++r.attempts;
  SimNode* n = RandomRunning();
  if (n == nullptr) return;
  // Every attempt is a distinct entry; the request is done when any lands.
  std::string data = "p" + S(r.id) + "." + S(static_cast<uint64_t>(r.attempts));
  Status s = n->raw().Propose(data);
  if (!s.ok()) {
    // Refused at once (no leader known): the client tries again soon.
    const uint64_t soon = static_cast<uint64_t>(plan_.election_tick) / 2 + 1;
    const uint64_t retry = RetryTicks();
    r.last_attempt = now_ + soon > retry ? now_ + soon - retry : 0;
  }
  Observe(*n);
}

void Simulator::OnApplied(const Entry& e) {
  if (e.type != EntryType::kNormal || e.data.empty() || e.data[0] != 'p') return;
  const uint64_t id = std::strtoull(e.data.c_str() + 1, nullptr, 10);
  CHECK(id < requests_.size());
  Request& r = requests_[id];
  if (r.done) return;
  r.done = true;
  --open_requests_;
  check_.OnAcked(e.index, e.term);
  if (options_.verbose)
    Log("client: write " + e.data + " acknowledged at " + S(e.term) + "/" + S(e.index));
}

std::string Simulator::IssueRead(SimNode& n) {
  std::string ctx = "r" + S(next_read_++);
  check_.OnReadIssued(ctx);
  if (options_.verbose)
    Log("client: read " + ctx + " at " + S(n.id()) + " (committed " + S(check_.committed_index()) +
        ")");
  n.raw().ReadIndex(ctx);
  Observe(n);
  return ctx;
}

}  // namespace shoal::raft::sim
