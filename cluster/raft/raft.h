// The Raft consensus core (Ongaro & Ousterhout, and the thesis's PreVote,
// CheckQuorum, ReadIndex, leases, leadership transfer and single-step
// membership changes), as a pure state machine: time enters through Tick(),
// input through Step(), and output accumulates in msgs_ / read_states_ and
// the log's unstable part, collected by RawNode into a Ready. No I/O, no
// threads, no clock: the same code runs in production and in the
// deterministic simulator. Not thread-safe: one owner drives it.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cluster/raft/log.h"
#include "cluster/raft/progress.h"
#include "cluster/raft/read_only.h"
#include "cluster/raft/storage.h"
#include "cluster/raft/types.h"
#include "core/status.h"

namespace shoal::raft {

enum class ReadOnlyOption : uint8_t {
  kSafe,        // ReadIndex confirms leadership with a heartbeat round
  kLeaseBased,  // the leader trusts its lease (needs CheckQuorum)
};

struct Config {
  NodeId id = kNoNode;
  // Ticks without hearing from a leader before campaigning; the actual
  // timeout is randomized in [election_tick, 2 * election_tick).
  int election_tick = 10;
  int heartbeat_tick = 1;
  const LogStorage* storage = nullptr;
  // Last applied index, when restarting.
  Index applied = 0;
  uint64_t max_size_per_msg = 1 << 20;
  uint64_t max_committed_size_per_ready = 64ULL << 20;
  // Bytes of proposed but uncommitted entries a leader accepts (0: no limit).
  uint64_t max_uncommitted_entries_size = 0;
  size_t max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 0;
  bool check_quorum = true;
  bool pre_vote = true;
  // A commit the leader learns is sent to the followers at once (an append,
  // empty if need be). Off: it rides on the next append or heartbeat, which
  // halves the messages of a busy group but lets followers apply up to a
  // heartbeat later (async replication, where nothing waits for them).
  bool broadcast_commit = true;
  ReadOnlyOption read_only = ReadOnlyOption::kSafe;
  // Seeds the election-timeout randomness.
  uint64_t seed = 1;
  // One line per decision ("3 became leader at term 5"); null: silent.
  std::function<void(const std::string&)> logger;

  Status Validate() const;
};

// Errors a proposal can get.
inline Status ProposalDropped(const std::string& why) {
  return Status::Unavailable("raft: proposal dropped: " + why);
}

class Raft {
 public:
  explicit Raft(const Config& config);

  Status Step(Message m);
  void Tick();

  // Applies a committed membership change; returns the new configuration.
  ConfState ApplyConfChange(const ConfChange& cc);
  // The entries up to (index, term) are on stable storage.
  void OnPersisted(Index index, Term term);

  NodeId id() const { return id_; }
  Term term() const { return term_; }
  NodeId vote() const { return vote_; }
  NodeId lead() const { return lead_; }
  Role role() const { return role_; }
  NodeId lead_transferee() const { return lead_transferee_; }
  HardState hard_state() const { return HardState{term_, vote_, log_.committed()}; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  Tracker& tracker() { return tracker_; }
  const Config& config() const { return config_; }
  bool Promotable() const;
  // Ticks since start (heartbeats are stamped with it).
  uint64_t ticks() const { return ticks_; }

  // Outbox, drained by RawNode.
  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;

 private:
  using StepFn = Status (Raft::*)(Message&);

  void BecomeFollower(Term term, NodeId lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Reset(Term term);
  void ResetRandomizedElectionTimeout();
  bool PastElectionTimeout() const { return election_elapsed_ >= randomized_election_timeout_; }

  void Campaign(bool pre_vote, bool transfer);
  void Hup(bool transfer);
  Status StepLeader(Message& m);
  Status StepCandidate(Message& m);
  Status StepFollower(Message& m);

  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  bool Restore(const Snapshot& snap);

  void Send(Message m);
  bool MaybeSendAppend(NodeId to, bool send_if_empty);
  void SendAppend(NodeId to) { (void)MaybeSendAppend(to, true); }
  void SendHeartbeat(NodeId to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat(const std::string& ctx);
  bool MaybeCommit();
  bool AppendEntries(std::vector<Entry> entries);
  bool CommittedEntryInCurrentTerm() const;
  void RespondToRead(NodeId from, Index index, const std::string& ctx);
  void ReleasePendingReads();
  void SendTimeoutNow(NodeId to);
  void AbortLeaderTransfer() { lead_transferee_ = kNoNode; }
  // Lease-based reads: true while a quorum acknowledged a heartbeat sent
  // less than an election timeout ago (thesis §6.4.1), so no other leader
  // can have been elected yet, and no transfer is under way.
  bool LeaseValid();

  void TickElection();
  void TickHeartbeat();
  void Log(const std::string& line) const;

  Config config_;
  NodeId id_;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId lead_ = kNoNode;
  Role role_ = Role::kFollower;
  StepFn step_ = &Raft::StepFollower;
  RaftLog log_;
  Tracker tracker_;
  ReadOnlyQueue read_only_;
  std::vector<Message> pending_reads_;  // ReadIndex before the no-op commits
  NodeId lead_transferee_ = kNoNode;
  Index pending_conf_index_ = 0;
  uint64_t uncommitted_size_ = 0;
  // (last index, data bytes) of each batch this leader appended and has not
  // seen committed: what a commit frees from uncommitted_size_.
  std::deque<std::pair<Index, uint64_t>> uncommitted_batches_;
  std::set<NodeId> removed_;  // ids never to be reused

  // Ticks since start (never reset): heartbeats carry the tick they were
  // sent at, so the leader knows how fresh each follower's ack is.
  uint64_t ticks_ = 1;  // from 1: a heartbeat stamp of 0 means "never acked"
  // Restarted from a hard state with lease reads on: in its first election
  // timeout the node refuses votes as if it followed a leader (Step).
  bool lease_after_restart_ = false;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace shoal::raft
