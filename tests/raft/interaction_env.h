// The environment behind the scripted Raft interaction tests
// (tests/raft/testdata/*.txt, run by shoal-raft-scripts): a Network of
// in-memory nodes driven one command at a time, with every Ready, every
// delivered message and (at log-level info) every decision of the core
// printed in a fixed, deterministic format. Commands and their arguments:
//
//   add-nodes N [voters=(1 2 3)] [learners=(4)] [election=10] [heartbeat=1]
//             [prevote=true] [checkquorum=true] [read-only=safe|lease]
//             [inflight=256] [max-msg-size=BYTES] [seed=1]
//       creates the next N node ids. Without voters=/learners= the first
//       call makes the new nodes the voters; later calls give the new nodes
//       an empty configuration (pass the current one, or let them catch up
//       by snapshot). Options apply to nodes created or restarted later.
//   campaign ID | propose ID DATA | propose-conf-change ID add|add-learner|remove NODE
//   read-index ID CTX | transfer-leader FROM TO
//   tick ID [N] | tick-election ID | tick-heartbeat ID
//       tick-election ticks election_tick times (a leader's CheckQuorum
//       period); tick-heartbeat ticks heartbeat_tick times.
//   election-timeout ID
//       ticks a follower or candidate until its randomized election timer
//       fires (at most 2*election ticks), so scripts do not depend on the
//       random draw.
//   process-ready ID... | deliver-msgs [drop=(IDS)] ID... | stabilize [ID...]
//   partition (IDS) (IDS)... | isolate ID | heal | crash ID | restart ID
//   compact ID INDEX | raft-state | raft-log ID... | status ID...
//   state-machine ID...   (the proposals' data each node applied, in order)
//   log-level silent|none|info
//       info shows the core's decisions ("INFO 1 became leader at term 1");
//       none hides them; silent hides all output (for chatty set-ups).
//
// Network model: a message whose link is cut (partition, isolate) or whose
// destination is crashed is dropped when it is sent, and shown so in the
// Ready; messages already queued across a new cut are dropped at once.
// Not thread-safe; one script at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "tests/raft/network.h"

namespace shoal::raft::testing {

class InteractionEnv {
 public:
  InteractionEnv();

  // Runs one command line. Returns its output (lines ending in '\n'; "ok"
  // when it printed nothing) or an error for a malformed command.
  Result<std::string> Run(const std::string& line);

 private:
  struct Args {
    std::string cmd;
    std::vector<std::string> pos;                         // positional
    std::vector<std::pair<std::string, std::string>> kv;  // key=value
  };

  Status Dispatch(const Args& a);
  Status AddNodes(const Args& a);
  Status ProcessReady(const std::vector<NodeId>& ids);
  Status DeliverMsgs(const std::vector<NodeId>& ids, const std::vector<NodeId>& drop);
  Status Stabilize(std::vector<NodeId> ids);
  Status Partition(const std::vector<std::vector<NodeId>>& groups);
  Status Compact(NodeId id, Index index);
  void PrintRaftState();
  void PrintRaftLog(NodeId id);
  void PrintStatus(NodeId id);

  // One Ready (called before the network persists and applies it).
  void PrintReady(NodeId id, const Ready& rd);
  // Delivers every queued message addressed to `id`, printing each.
  bool DeliverTo(NodeId id);
  // Removes queued messages that can no longer be delivered (cut link,
  // crashed destination), printing each as dropped.
  void DropUndeliverable();
  // The node, if it exists and is not crashed.
  Result<RawNode*> Live(NodeId id);

  void Line(const std::string& s);

  std::unique_ptr<Network> net_;
  NodeId next_id_ = 1;
  enum class Level { kSilent, kNone, kInfo };
  Level level_ = Level::kInfo;
  uint64_t log_events_ = 0;  // lines the core logged, shown or not
  std::string out_;
  std::string indent_;
};

}  // namespace shoal::raft::testing
