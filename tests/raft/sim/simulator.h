// The deterministic Raft simulator: one seed drives a group of 3 or 5 real
// RawNodes over a simulated network, clock (ticks), disks and clients.
//
// A run has three phases:
//   safety   the seed's plan of faults (drops, duplicates, delays, reorder,
//            partitions of every shape, crashes with or without power loss,
//            quick restarts, crashes in the middle of handling a Ready, new
//            leaders crashing or cut off within their first Readies, pauses,
//            compaction and snapshots, leadership transfers) while clients
//            write and read (ReadIndex, or leases in plans without pauses);
//   liveness the network heals and every node restarts: within a bounded
//            number of ticks there must be one leader that every node
//            follows, and every client write must be committed and applied
//            everywhere;
//   stable   with no faults the term must not move (no spurious elections),
//            new writes and reads must complete.
// The Checker's invariants are checked after every step of every phase.
//
// Each node handles a Ready as the RawNode header says: persist (fsync if
// must_sync), then send, then apply, then Advance; a message leaving a node
// must not say more than its disk holds (term, vote, acknowledged entries).
// Single-threaded; one Simulator per run.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/raft/sim/checker.h"
#include "tests/raft/sim/plan.h"
#include "tests/raft/sim/rng.h"
#include "tests/raft/sim/sim_network.h"
#include "tests/raft/sim/sim_node.h"

namespace shoal::raft::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 3;
  std::string profile;   // see Plan::Draw
  bool verbose = false;  // events and every Raft decision, to stdout
  bool trace = false;    // and every message delivered or lost
};

struct Outcome {
  bool ok = true;
  std::string failure;
  uint64_t ticks = 0;
  uint64_t messages = 0;
  uint64_t crashes = 0;
  uint64_t leaders = 0;  // terms that had a leader
  uint64_t acked = 0;    // client writes acknowledged
  uint64_t reads = 0;    // read states checked
  uint64_t snapshots_sent = 0;
  uint64_t liveness_ticks = 0;  // from healing to settled
};

class Simulator {
 public:
  explicit Simulator(const SimOptions& options);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  Outcome Run();
  const Plan& plan() const { return plan_; }

 private:
  struct Request {
    uint64_t id = 0;
    int attempts = 0;
    uint64_t last_attempt = 0;
    bool done = false;
  };
  struct Client {
    int64_t outstanding = -1;  // index in requests_
  };

  // Phases.
  void SafetyPhase();
  void LivenessPhase();
  void StablePhase();
  // Heals the network, restarts and resumes every node, stops faults.
  void Calm();
  // Runs ticks until `done` or `limit` ticks; false on timeout.
  template <typename Pred>
  bool RunUntil(uint64_t limit, Pred done);
  // One leader followed by all, its term's entry committed, every request
  // done and applied everywhere. Otherwise false with the reason.
  bool Settled(std::string* why);

  // The clock and the event loop.
  void Tick(bool faults);
  void Drain();
  void HandleReady(SimNode& n);
  void Deliver(Envelope e);
  void Lost(const Message& m, uint64_t sender_incarnation, const char* why);
  void Observe(SimNode& n);

  // Faults.
  void Faults();
  void StartNode(SimNode& n);
  void Crash(SimNode& n, const char* why);
  void Compact(SimNode& n);
  SimNode* Leader();
  SimNode* RandomRunning();

  // Clients.
  void Clients(bool new_requests);
  uint64_t RetryTicks() const;
  void NewRequest(Client& c);
  void Propose(Request& r);
  void OnApplied(const Entry& e);
  std::string IssueRead(SimNode& n);

  void Log(const std::string& line);
  bool failed() const { return check_.failed(); }
  SimNode& node(NodeId id) { return *nodes_[id - 1]; }

  SimOptions options_;
  Plan plan_;
  Rng rng_;
  std::vector<NodeId> ids_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  SimNetwork net_;
  Checker check_;
  Outcome out_;
  uint64_t now_ = 0;
  uint64_t heal_at_ = 0;
  bool calm_ = false;
  std::vector<Request> requests_;
  std::vector<Client> clients_;
  size_t open_requests_ = 0;  // requests not yet acknowledged
  uint64_t next_read_ = 0;
  std::set<std::string> reads_answered_;
};

}  // namespace shoal::raft::sim
