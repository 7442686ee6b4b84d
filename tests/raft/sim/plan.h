// What one seed exercises: the Raft configuration, the fault rates and the
// workload. Every seed draws its own plan (swarm testing: a fault that is
// switched off in one seed leaves room for rarer interleavings of the
// others), so the seed alone reproduces the run.
#pragma once

#include <cstdint>
#include <string>

namespace shoal::raft::sim {

struct Plan {
  int nodes = 3;

  // Raft configuration.
  int election_tick = 10;
  int heartbeat_tick = 1;
  bool pre_vote = true;
  bool check_quorum = true;
  // Off: a commit reaches followers with the next append or heartbeat only
  // (as in async replication).
  bool broadcast_commit = true;
  // Lease-based reads (they trust the clock: only in plans without pauses).
  bool lease_reads = false;
  size_t max_inflight_msgs = 256;
  uint64_t max_size_per_msg = 1 << 20;

  // Network, per message.
  double drop = 0;       // lost
  double duplicate = 0;  // delivered twice
  int max_delay_ticks = 0;
  double zero_delay = 1;          // chance a message arrives within the tick it was sent
  bool reorder = false;           // messages due in the same tick arrive in random order
  double unreachable_report = 0;  // a dropped message is reported to its sender

  // Topology: chance per tick that a partition starts, and its kinds.
  double partition = 0;
  int partition_ticks_max = 0;
  bool symmetric_split = false, asymmetric = false, isolate = false, bridge = false;

  // Processes.
  double crash = 0;           // per node per tick
  double crash_leader = 0;    // per tick: the current leader crashes
  double crash_in_ready = 0;  // per Ready: crash at one of its steps
  double power_loss = 0;      // a crash also loses what was not fsynced
  int down_ticks_max = 0;
  double quick_restart = 0;  // a crashed node is back within two ticks
  double pause = 0;          // per tick: a node stops (SIGSTOP) for a while
  int pause_ticks_max = 0;
  // Leader churn: a new leader crashes, or is cut off, while handling one
  // of its first Readies (so terms leave divergent, uncommitted suffixes:
  // the ground Figure 8 is played on).
  double churn = 0;  // per election
  int churn_readies_max = 1;

  // Workload and operations.
  int clients = 1;
  double propose = 0;  // per client per tick, when it has nothing outstanding
  int retry_ticks = 30;
  double read = 0;      // per tick
  double compact = 0;   // per node per tick
  double transfer = 0;  // per tick: the leader is asked to hand over

  int safety_ticks = 600;

  // Draws a plan for `seed` with the given group size. A profile narrows
  // the swarm to a region worth searching harder: "" (everything) or
  // "lease-restart" (lease reads, bridge partitions, quick restarts).
  static Plan Draw(uint64_t seed, int nodes, const std::string& profile = "");
  static bool KnownProfile(const std::string& profile);
  std::string Describe() const;
};

}  // namespace shoal::raft::sim
