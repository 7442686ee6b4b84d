// Lease reads and restarts: the directed form of what the simulator found
// (tests/raft/sim, regression seed 6240, profile lease-restart).
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "tests/raft/network.h"

namespace shoal::raft {
namespace {

using testing::Network;
using testing::NodeOptions;

// Processes every Ready and delivers every message, except those to or from
// `held`, until nothing moves (a slow link to `held`, in the same instant).
void StabilizeWithout(Network& net, NodeId held) {
  for (int round = 0; round < 100; ++round) {
    bool moved = false;
    for (auto& [id, n] : net.nodes()) moved |= net.ProcessReady(id);
    std::deque<Message> batch;
    batch.swap(net.in_flight());
    for (const Message& m : batch) {
      if (m.from == held || m.to == held) continue;
      moved = true;
      (void)net.Deliver(m);
    }
    if (!moved) return;
  }
}

TEST(RaftLease, RestartedFollowerDoesNotVoteInsideTheLeadersLease) {
  NodeOptions o;
  o.read_only = ReadOnlyOption::kLeaseBased;
  Network net({1, 2, 3}, o);
  net.raw(1).Campaign();
  net.Stabilize();
  ASSERT_EQ(net.Leader(), 1u);
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  net.Stabilize();
  const Index committed = net.raw(1).raft().log().committed();

  // 3 stops hearing from 1 (2 still hears both) and times out.
  net.Cut(1, 3);
  bool pre_voting = false;
  for (int t = 0; t < 100 && !pre_voting; ++t) {
    net.TickAll();
    for (auto& [id, n] : net.nodes()) net.ProcessReady(id);
    for (const Message& m : net.in_flight()) {
      pre_voting |= m.type == MessageType::kPreVote && m.from == 3;
    }
    if (!pre_voting) net.Stabilize();
  }
  ASSERT_TRUE(pre_voting);

  // 2 acked 1's heartbeats until now; it restarts, and 3's campaign reaches
  // it before anything from 1 does.
  net.Restart(2);
  StabilizeWithout(net, 1);
  if (net.raw(3).raft().role() == Role::kLeader) {
    ASSERT_TRUE(net.raw(3).Propose("b").ok());
    StabilizeWithout(net, 1);
  }
  const Index newest = std::max(committed, net.raw(3).raft().log().committed());

  // 1 still trusts its lease: a read there must not miss what 3 committed.
  net.raw(1).ReadIndex("r");
  net.ProcessReady(1);
  ASSERT_EQ(net.node(1).reads.size(), 1u);
  for (const ReadState& rs : net.node(1).reads) EXPECT_GE(rs.index, newest);
  EXPECT_NE(net.raw(3).raft().role(), Role::kLeader)
      << "2 voted for 3 while 1's lease (which 2 had acknowledged) ran";
}

}  // namespace
}  // namespace shoal::raft
