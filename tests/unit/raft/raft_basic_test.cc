// Core Raft behaviour through the in-memory test network. The scripted
// interaction tests (tests/raft/testdata) and the simulator go deeper.
#include <gtest/gtest.h>

#include "tests/raft/network.h"

namespace shoal::raft {
namespace {

using testing::Network;
using testing::NodeOptions;

NodeId ElectLeader(Network& net, NodeId id) {
  net.raw(id).Campaign();
  net.Stabilize();
  return net.Leader();
}

TEST(Raft, SingleNodeElectsItselfAndCommitsAProposal) {
  Network net({1});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  net.Stabilize();
  EXPECT_EQ(net.node(1).sm.applied, std::vector<std::string>{"a"});
}

TEST(Raft, ThreeNodesElectOneLeaderAndReplicateInOrder) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  for (const char* v : {"a", "b", "c"}) ASSERT_TRUE(net.raw(1).Propose(v).ok());
  net.Stabilize();
  for (NodeId id : {1, 2, 3}) {
    EXPECT_EQ(net.node(id).sm.applied, (std::vector<std::string>{"a", "b", "c"})) << id;
    EXPECT_EQ(net.raw(id).raft().term(), 1u);
    EXPECT_EQ(net.raw(id).raft().lead(), 1u);
  }
}

TEST(Raft, FollowerForwardsProposalsToTheLeader) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(3).Propose("via-3").ok());
  net.Stabilize();
  EXPECT_EQ(net.node(1).sm.applied, std::vector<std::string>{"via-3"});
}

TEST(Raft, ElectionByTimeoutAfterLeaderIsolated) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.Isolate(1);
  // Until 2 or 3 leads and 1 has noticed it lost its quorum (CheckQuorum
  // runs every election timeout).
  auto settled = [&] {
    return (net.raw(2).raft().role() == Role::kLeader ||
            net.raw(3).raft().role() == Role::kLeader) &&
           net.raw(1).raft().role() != Role::kLeader;
  };
  for (int i = 0; i < 100 && !settled(); ++i) {
    net.TickAll();
    net.Stabilize();
  }
  NodeId new_leader = net.raw(2).raft().role() == Role::kLeader ? 2 : 3;
  EXPECT_EQ(net.raw(new_leader).raft().role(), Role::kLeader);
  // CheckQuorum: the isolated leader has stepped down by now.
  EXPECT_NE(net.raw(1).raft().role(), Role::kLeader);
  net.Heal();
  ASSERT_TRUE(net.raw(new_leader).Propose("x").ok());
  net.Stabilize();
  // Appends to 1 were lost while it was cut off, so its progress waits for
  // a heartbeat response before probing again.
  net.TickAll();
  net.Stabilize();
  EXPECT_EQ(net.node(1).sm.applied, std::vector<std::string>{"x"});
}

TEST(Raft, PreVoteKeepsAnIsolatedNodeFromBumpingItsTerm) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.Isolate(3);
  for (int i = 0; i < 100; ++i) {
    net.TickAll();
    net.Stabilize();
  }
  EXPECT_EQ(net.raw(3).raft().term(), 1u);
  net.Heal();
  net.TickAll();
  net.Stabilize();
  EXPECT_EQ(net.Leader(), 1u);
  EXPECT_EQ(net.raw(1).raft().term(), 1u);
}

TEST(Raft, ReadIndexAnswersWithTheCommitIndexAfterAHeartbeatRound) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  net.Stabilize();
  net.raw(1).ReadIndex("r1");
  net.Stabilize();
  ASSERT_EQ(net.node(1).reads.size(), 1u);
  EXPECT_EQ(net.node(1).reads[0].request_ctx, "r1");
  EXPECT_EQ(net.node(1).reads[0].index, net.raw(1).raft().log().committed());
  // From a follower, through the leader.
  net.raw(2).ReadIndex("r2");
  net.Stabilize();
  ASSERT_EQ(net.node(2).reads.size(), 1u);
  EXPECT_EQ(net.node(2).reads[0].index, net.raw(1).raft().log().committed());
}

TEST(Raft, LeadershipTransferMovesTheLeader) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.raw(1).TransferLeader(3);
  net.Stabilize();
  EXPECT_EQ(net.Leader(), 3u);
  EXPECT_EQ(net.raw(3).raft().term(), 2u);
}

TEST(Raft, FollowerBehindCompactionCatchesUpBySnapshot) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.Down(3);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(net.raw(1).Propose("v" + std::to_string(i)).ok());
  net.Stabilize();
  net.Compact(1);
  net.Up(3);
  for (int i = 0; i < 5; ++i) {
    net.TickAll();
    net.Stabilize();
  }
  EXPECT_EQ(net.node(3).sm.applied, net.node(1).sm.applied);
  EXPECT_EQ(net.node(3).sm.applied.size(), 10u);
}

TEST(Raft, LearnerReceivesTheLogAndCanBePromoted) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.AddNode(4, ConfState{});
  ASSERT_TRUE(net.raw(1).ProposeConfChange(ConfChange{ConfChangeType::kAddLearner, 4, {}}).ok());
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  net.Stabilize();
  for (int i = 0; i < 3; ++i) {
    net.TickAll();
    net.Stabilize();
  }
  EXPECT_EQ(net.node(4).sm.applied, std::vector<std::string>{"a"});
  EXPECT_TRUE(net.raw(1).raft().tracker().IsLearner(4));
  ASSERT_TRUE(net.raw(1).ProposeConfChange(ConfChange{ConfChangeType::kAddNode, 4, {}}).ok());
  net.Stabilize();
  EXPECT_TRUE(net.raw(1).raft().tracker().IsVoter(4));
  EXPECT_EQ(net.raw(1).raft().tracker().voters().size(), 4u);
}

TEST(Raft, RemovedLeaderStepsDownAndTheOthersElectANewOne) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(1).ProposeConfChange(ConfChange{ConfChangeType::kRemoveNode, 1, {}}).ok());
  net.Stabilize();
  EXPECT_NE(net.raw(1).raft().role(), Role::kLeader);
  net.Down(1);
  for (int i = 0; i < 50 && net.Leader() == kNoNode; ++i) {
    net.TickAll();
    net.Stabilize();
  }
  NodeId leader = net.Leader();
  ASSERT_TRUE(leader == 2 || leader == 3);
  ASSERT_TRUE(net.raw(leader).Propose("after").ok());
  net.Stabilize();
  EXPECT_EQ(net.node(5 - leader).sm.applied, std::vector<std::string>{"after"});
}

TEST(Raft, WithoutCommitBroadcastFollowersLearnTheCommitFromTheNextAppendOrHeartbeat) {
  NodeOptions opts;
  opts.broadcast_commit = false;
  Network net({1, 2, 3}, opts);
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  net.Stabilize();
  // The leader committed and applied "a"; no message told the followers.
  EXPECT_EQ(net.node(1).sm.applied, std::vector<std::string>{"a"});
  for (NodeId id : {2, 3}) EXPECT_TRUE(net.node(id).sm.applied.empty()) << id;
  // The next append carries it...
  ASSERT_TRUE(net.raw(1).Propose("b").ok());
  net.Stabilize();
  for (NodeId id : {2, 3}) EXPECT_EQ(net.node(id).sm.applied, std::vector<std::string>{"a"}) << id;
  // ... and so does the next heartbeat.
  net.TickAll();
  net.Stabilize();
  for (NodeId id : {1, 2, 3}) {
    EXPECT_EQ(net.node(id).sm.applied, (std::vector<std::string>{"a", "b"})) << id;
  }
}

TEST(Raft, EntriesSkippedAsAppliedAreNotHandedOutAgain) {
  Network net({1, 2, 3});
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  ASSERT_TRUE(net.raw(1).Propose("a").ok());
  ASSERT_TRUE(net.ProcessReady(1));  // the leader persists "a" and sends it
  const Index a = net.raw(1).raft().log().LastIndex();
  // Not committed yet: skipping is capped at the commit index.
  net.raw(1).SkipAppliedTo(a);
  EXPECT_LT(net.raw(1).raft().log().applied(), a);
  // The followers append and acknowledge; the leader commits "a".
  for (int i = 0; i < 10 && net.raw(1).raft().log().committed() < a; ++i) {
    std::deque<Message> batch;
    batch.swap(net.in_flight());
    for (auto& m : batch) (void)net.Deliver(m);
    (void)net.ProcessReady(2);
    (void)net.ProcessReady(3);
  }
  ASSERT_EQ(net.raw(1).raft().log().committed(), a);
  net.raw(1).SkipAppliedTo(a);
  EXPECT_EQ(net.raw(1).raft().log().applied(), a);
  bool handed_out = false;
  while (net.ProcessReady(1, [&](const Ready& rd) {
    for (const auto& e : rd.committed_entries) handed_out |= e.index == a;
  })) {
  }
  EXPECT_FALSE(handed_out);
  EXPECT_TRUE(net.node(1).sm.applied.empty());
  // Everything else goes on: the followers apply "a".
  net.TickAll();
  net.Stabilize();
  for (NodeId id : {2, 3}) EXPECT_EQ(net.node(id).sm.applied, std::vector<std::string>{"a"}) << id;
}

TEST(Raft, UncommittedBytesLimitRefusesProposalsUntilTheirEntriesCommit) {
  NodeOptions opts;
  opts.max_uncommitted_entries_size = 10;
  Network net({1, 2, 3}, opts);
  ASSERT_EQ(ElectLeader(net, 1), 1u);
  net.Isolate(1);  // nothing commits
  ASSERT_TRUE(net.raw(1).Propose("12345").ok());
  ASSERT_TRUE(net.raw(1).Propose("67890").ok());
  net.Stabilize();
  EXPECT_FALSE(net.raw(1).Propose("x").ok());  // 11 bytes > 10
  net.Heal();
  for (int i = 0; i < 20 && net.node(1).sm.applied.size() < 2; ++i) {
    net.TickAll();
    net.Stabilize();
  }
  ASSERT_EQ(net.node(1).sm.applied, (std::vector<std::string>{"12345", "67890"}));
  // Their commit freed all 10 bytes, no more.
  EXPECT_TRUE(net.raw(1).Propose("abcdefghij").ok());
  EXPECT_FALSE(net.raw(1).Propose("y").ok());
}

}  // namespace
}  // namespace shoal::raft
