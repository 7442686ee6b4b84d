#include "tests/raft/sim/plan.h"

#include <cstdio>

#include "tests/raft/sim/rng.h"

namespace shoal::raft::sim {

namespace {

// Off with probability `off`, else one of `rates`.
double Maybe(Rng& rng, double off, const std::vector<double>& rates) {
  return rng.Chance(off) ? 0 : rng.Pick(rates);
}

}  // namespace

bool Plan::KnownProfile(const std::string& profile) {
  return profile.empty() || profile == "lease-restart";
}

Plan Plan::Draw(uint64_t seed, int nodes, const std::string& profile) {
  // Its own stream: the run's events draw from another one.
  Rng rng(DeriveSeed(seed, 0x706c616e));
  Plan p;
  p.nodes = nodes;

  p.election_tick = static_cast<int>(rng.Pick<uint64_t>({5, 10, 10, 20}));
  p.heartbeat_tick = rng.Chance(0.8) ? 1 : 2;
  p.pre_vote = rng.Chance(0.75);
  p.check_quorum = rng.Chance(0.75);
  p.max_inflight_msgs = rng.Pick<size_t>({1, 2, 8, 256});
  // 1 byte: every append carries one entry, which stretches replication
  // over many messages (and exposes partial replication, Figure 8).
  p.max_size_per_msg = rng.Pick<uint64_t>({1, 64, 1 << 20});

  p.drop = Maybe(rng, 0.3, {0.01, 0.05, 0.1, 0.25});
  p.duplicate = Maybe(rng, 0.5, {0.01, 0.05, 0.1});
  p.max_delay_ticks = static_cast<int>(rng.Pick<uint64_t>({0, 1, 2, 4}));
  p.zero_delay = rng.Pick<double>({0.2, 0.5, 0.9});
  p.reorder = rng.Chance(0.6);
  p.unreachable_report = rng.Pick<double>({0, 0.5, 1});

  p.partition = Maybe(rng, 0.3, {0.005, 0.01, 0.03});
  p.partition_ticks_max = p.election_tick * static_cast<int>(rng.Range(2, 10));
  do {
    p.symmetric_split = rng.Chance(0.5);
    p.asymmetric = rng.Chance(0.5);
    p.isolate = rng.Chance(0.5);
    p.bridge = rng.Chance(0.5);
  } while (!p.symmetric_split && !p.asymmetric && !p.isolate && !p.bridge);

  p.crash = Maybe(rng, 0.4, {0.0005, 0.002, 0.005});
  p.crash_leader = Maybe(rng, 0.5, {0.002, 0.01, 0.03});
  p.crash_in_ready = Maybe(rng, 0.5, {0.002, 0.01, 0.03});
  p.power_loss = rng.Pick<double>({0, 0.5, 1});
  p.down_ticks_max = p.election_tick * static_cast<int>(rng.Range(1, 8));
  p.quick_restart = rng.Pick<double>({0, 0.3, 0.8});
  p.pause = Maybe(rng, 0.6, {0.002, 0.01});
  p.pause_ticks_max = p.election_tick * static_cast<int>(rng.Range(1, 4));
  p.churn = Maybe(rng, 0.4, {0.2, 0.5, 0.9});
  p.churn_readies_max = static_cast<int>(rng.Pick<uint64_t>({2, 4, 8}));

  p.clients = static_cast<int>(rng.Range(1, 6));
  p.propose = rng.Pick<double>({0.05, 0.2, 0.5, 1.0});
  p.retry_ticks = p.election_tick * static_cast<int>(rng.Range(2, 5));
  p.read = Maybe(rng, 0.2, {0.05, 0.2, 0.5});
  p.compact = Maybe(rng, 0.5, {0.002, 0.01, 0.05});
  p.transfer = Maybe(rng, 0.6, {0.002, 0.01});

  p.safety_ticks = static_cast<int>(rng.Range(300, 700));
  // A paused leader's clock stops, and a lease is only as good as the clock.
  p.lease_reads = p.check_quorum && p.pause == 0 && rng.Chance(0.4);
  // Drawn last, so the draws above (and the plans of existing seeds) stay.
  p.broadcast_commit = rng.Chance(0.6);

  if (profile == "lease-restart") {
    // A node that acked the leader's heartbeat restarts at once and votes
    // for a candidate the leader cannot reach, while the leader still
    // serves reads from its lease.
    p.lease_reads = p.check_quorum = true;
    p.pause = 0;
    p.bridge = true;
    p.symmetric_split = p.asymmetric = p.isolate = false;
    p.partition = 0.03;
    p.crash = 0.01;
    p.quick_restart = 0.9;
    p.read = 0.5;
    p.drop = 0;
    p.churn = p.crash_leader = 0;
  }
  return p;
}

std::string Plan::Describe() const {
  char buf[1024];
  std::snprintf(
      buf, sizeof(buf),
      "nodes=%d election_tick=%d heartbeat_tick=%d pre_vote=%d check_quorum=%d lease_reads=%d "
      "broadcast_commit=%d inflight=%zu max_msg=%llu\n  net: drop=%.3f dup=%.3f delay<=%d "
      "zero_delay=%.2f reorder=%d "
      "unreachable=%.1f\n  partitions: rate=%.3f ticks<=%d kinds=%s%s%s%s\n  processes: crash=%.4f "
      "crash_leader=%.3f crash_in_ready=%.3f power_loss=%.1f down<=%d quick_restart=%.1f "
      "pause=%.3f pause<=%d "
      "churn=%.1f churn_readies<=%d\n  "
      "work: clients=%d propose=%.2f retry=%d read=%.2f compact=%.3f transfer=%.3f "
      "safety_ticks=%d",
      nodes, election_tick, heartbeat_tick, pre_vote, check_quorum, lease_reads, broadcast_commit,
      max_inflight_msgs, static_cast<unsigned long long>(max_size_per_msg), drop, duplicate,
      max_delay_ticks, zero_delay, reorder, unreachable_report, partition, partition_ticks_max,
      symmetric_split ? "split " : "", asymmetric ? "asymmetric " : "", isolate ? "isolate " : "",
      bridge ? "bridge" : "", crash, crash_leader, crash_in_ready, power_loss, down_ticks_max,
      quick_restart, pause, pause_ticks_max, churn, churn_readies_max, clients, propose,
      retry_ticks, read, compact, transfer, safety_ticks);
  return buf;
}

}  // namespace shoal::raft::sim
