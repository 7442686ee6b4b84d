// Raft core: roles, terms, elections, ticks and the entry point Step().
// Replication and the leader's duties are in raft_leader.cc; followers' and
// candidates' handling in raft_follower.cc.
#include "cluster/raft/raft.h"

#include <algorithm>

namespace shoal::raft {

Status Config::Validate() const {
  if (id == kNoNode) return Status::InvalidArgument("raft: id must not be 0");
  if (heartbeat_tick <= 0) return Status::InvalidArgument("raft: heartbeat_tick must be > 0");
  if (election_tick <= heartbeat_tick) {
    return Status::InvalidArgument("raft: election_tick must be > heartbeat_tick");
  }
  if (storage == nullptr) return Status::InvalidArgument("raft: storage is required");
  if (max_inflight_msgs == 0) return Status::InvalidArgument("raft: max_inflight_msgs must be > 0");
  if (read_only == ReadOnlyOption::kLeaseBased && !check_quorum) {
    return Status::InvalidArgument("raft: lease-based reads need check_quorum");
  }
  return Status::Ok();
}

Raft::Raft(const Config& config)
    : config_(config),
      id_(config.id),
      log_(config.storage, config.max_committed_size_per_ready),
      tracker_(config.max_inflight_msgs, config.max_inflight_bytes),
      rng_(config.seed) {
  CHECK(config.Validate().ok());
  HardState hs = config.storage->InitialHardState();
  ConfState cs = config.storage->InitialConfState();
  tracker_.Reset(cs, log_.LastIndex() + 1);
  if (!hs.empty()) {
    CHECK(hs.commit >= log_.committed() && hs.commit <= log_.LastIndex());
    log_.CommitTo(hs.commit);
    term_ = hs.term;
    vote_ = hs.vote;
    lease_after_restart_ = config.read_only == ReadOnlyOption::kLeaseBased;
  }
  if (config.applied > 0) log_.AppliedTo(config.applied);
  BecomeFollower(term_, kNoNode);
  Log("newraft " + Describe(cs) + " term=" + std::to_string(term_) +
      " commit=" + std::to_string(log_.committed()) + " applied=" + std::to_string(log_.applied()) +
      " last=" + std::to_string(log_.LastTerm()) + "/" + std::to_string(log_.LastIndex()));
}

void Raft::Log(const std::string& line) const {
  if (config_.logger) config_.logger(std::to_string(id_) + " " + line);
}

bool Raft::Promotable() const {
  return tracker_.IsVoter(id_) && !log_.unstable_snapshot().has_value();
}

void Raft::ResetRandomizedElectionTimeout() {
  std::uniform_int_distribution<int> d(config_.election_tick, 2 * config_.election_tick - 1);
  randomized_election_timeout_ = d(rng_);
}

void Raft::Reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  lead_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  tracker_.ResetVotes();
  for (auto& [pid, pr] : tracker_.progress()) {
    bool learner = pr.is_learner;
    pr = Progress(log_.LastIndex() + 1, config_.max_inflight_msgs, config_.max_inflight_bytes,
                  learner);
    if (pid == id_) pr.match = log_.LastIndex();
  }
  pending_conf_index_ = 0;
  uncommitted_size_ = 0;
  uncommitted_batches_.clear();
  read_only_.Clear();
  pending_reads_.clear();
}

void Raft::BecomeFollower(Term term, NodeId lead) {
  step_ = &Raft::StepFollower;
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
  Log("became follower at term " + std::to_string(term_));
}

void Raft::BecomePreCandidate() {
  CHECK(role_ != Role::kLeader);
  // PreVote changes neither the term nor the vote (thesis §9.6).
  step_ = &Raft::StepCandidate;
  tracker_.ResetVotes();
  lead_ = kNoNode;
  role_ = Role::kPreCandidate;
  Log("became pre-candidate at term " + std::to_string(term_));
}

void Raft::BecomeCandidate() {
  CHECK(role_ != Role::kLeader);
  step_ = &Raft::StepCandidate;
  Reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
  Log("became candidate at term " + std::to_string(term_));
}

void Raft::BecomeLeader() {
  CHECK(role_ != Role::kFollower);
  step_ = &Raft::StepLeader;
  Reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  if (Progress* self = tracker_.Get(id_)) {
    // The leader's own log is replicated by definition; its match moves as
    // its appends become stable (OnPersisted).
    self->BecomeReplicate();
    self->recent_active = true;
  }
  // Conservative: there may be an uncommitted conf change in the log.
  pending_conf_index_ = log_.LastIndex();
  // The no-op of the new term: once it commits, the leader knows its
  // commit index and may serve reads (§8).
  CHECK(AppendEntries({Entry{}}));
  Log("became leader at term " + std::to_string(term_));
}

void Raft::Hup(bool transfer) {
  if (role_ == Role::kLeader) return;
  if (!Promotable()) {
    Log("is not promotable, ignoring campaign");
    return;
  }
  // A conf change that is committed but not applied could change who votes.
  for (const auto& e : log_.NextCommittedEntries()) {
    if (e.type == EntryType::kConfChange) {
      Log("cannot campaign at term " + std::to_string(term_) +
          ": pending configuration changes to apply");
      return;
    }
  }
  Log("starting a new election at term " + std::to_string(term_));
  // Leadership transfers skip PreVote: the old leader asked for it.
  Campaign(config_.pre_vote && !transfer, transfer);
}

void Raft::Campaign(bool pre_vote, bool transfer) {
  Term term;
  MessageType type;
  if (pre_vote) {
    BecomePreCandidate();
    type = MessageType::kPreVote;
    term = term_ + 1;  // the term it would campaign at
  } else {
    BecomeCandidate();
    type = MessageType::kVote;
    term = term_;
  }
  tracker_.RecordVote(id_, true);
  if (tracker_.TallyVotes() == VoteResult::kWon) {
    // A single voter wins at once.
    if (pre_vote) {
      Campaign(false, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (NodeId v : tracker_.voters()) {
    if (v == id_) continue;
    Message m;
    m.type = type;
    m.to = v;
    m.term = term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    if (transfer) m.context = "transfer";
    Log("sent " + std::string(MessageTypeName(type)) + " to " + std::to_string(v) + " at term " +
        std::to_string(term));
    Send(std::move(m));
  }
}

Status Raft::Step(Message m) {
  if (m.term == 0) {
    // Local message, or a forwarded proposal / read request.
  } else if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == "transfer";
      // After a restart the node does not know whether it acknowledged a
      // leader's heartbeat just before going down, a lease that leader may
      // be serving reads under: it honours one for an election timeout.
      bool lease_unknown =
          lease_after_restart_ && ticks_ <= static_cast<uint64_t>(config_.election_tick);
      bool in_lease = config_.check_quorum && (lead_ != kNoNode || lease_unknown) &&
                      election_elapsed_ < config_.election_tick;
      if (!force && in_lease) {
        // A leader was heard from recently: a partitioned node rejoining
        // must not disrupt it (thesis §4.2.3).
        Log("ignored " + std::string(MessageTypeName(m.type)) + " from " + std::to_string(m.from) +
            " at term " + std::to_string(m.term) + ": lease is not expired");
        return Status::Ok();
      }
    }
    // Never change our term for a PreVote. And the term in a granted PreVote
    // response is the one we will campaign at, not a sign of a newer leader.
    const bool keep_term =
        m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResp && !m.reject);
    if (!keep_term) {
      Log("received " + std::string(MessageTypeName(m.type)) + " from " + std::to_string(m.from) +
          " at higher term " + std::to_string(m.term));
      if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
          m.type == MessageType::kSnap) {
        BecomeFollower(m.term, m.from);
      } else {
        BecomeFollower(m.term, kNoNode);
      }
    }
  } else if (m.term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kApp)) {
      // A stale leader: tell it our term so it steps down. Without this, a
      // node whose term rose alone (no PreVote) could never rejoin.
      Message r;
      r.type = MessageType::kAppResp;
      r.to = m.from;
      Send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResp;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      Send(std::move(r));
    }
    return Status::Ok();
  }

  switch (m.type) {
    case MessageType::kHup:
      Hup(false);
      return Status::Ok();
    case MessageType::kVote:
    case MessageType::kPreVote: {
      bool can_vote = vote_ == m.from || (vote_ == kNoNode && lead_ == kNoNode) ||
                      (m.type == MessageType::kPreVote && m.term > term_);
      bool grant = can_vote && log_.IsUpToDate(m.index, m.log_term);
      Message r;
      r.type = m.type == MessageType::kVote ? MessageType::kVoteResp : MessageType::kPreVoteResp;
      r.to = m.from;
      // A granted PreVote answers with the term it was asked for.
      r.term = grant ? m.term : term_;
      r.reject = !grant;
      Log(std::string(grant ? "cast " : "rejected ") + MessageTypeName(m.type) + " for " +
          std::to_string(m.from) + " at term " + std::to_string(m.term));
      if (grant && m.type == MessageType::kVote) {
        election_elapsed_ = 0;
        vote_ = m.from;
      }
      Send(std::move(r));
      return Status::Ok();
    }
    default:
      return (this->*step_)(m);
  }
}

void Raft::Tick() {
  ++ticks_;
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (Promotable() && PastElectionTimeout()) {
    election_elapsed_ = 0;
    Message m;
    m.type = MessageType::kHup;
    m.from = id_;
    (void)Step(std::move(m));
  }
}

void Raft::TickHeartbeat() {
  ++heartbeat_elapsed_;
  ++election_elapsed_;
  if (election_elapsed_ >= config_.election_tick) {
    election_elapsed_ = 0;
    if (config_.check_quorum) {
      Message m;
      m.type = MessageType::kCheckQuorum;
      m.from = id_;
      (void)Step(std::move(m));
    }
    // A transfer that did not finish within an election timeout is aborted.
    if (role_ == Role::kLeader && lead_transferee_ != kNoNode) {
      Log("aborted leadership transfer to " + std::to_string(lead_transferee_));
      AbortLeaderTransfer();
    }
  }
  if (role_ != Role::kLeader) return;
  if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    Message m;
    m.type = MessageType::kBeat;
    m.from = id_;
    (void)Step(std::move(m));
  }
}

void Raft::Send(Message m) {
  // A forwarded TransferLeader names the transferee in `from`: keep it.
  if (m.type != MessageType::kTransferLeader || m.from == kNoNode) m.from = id_;
  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kVoteResp:
    case MessageType::kPreVote:
    case MessageType::kPreVoteResp:
      CHECK(m.term != 0);  // set by the caller: it is not always term_
      break;
    case MessageType::kProp:
    case MessageType::kReadIndex:
    case MessageType::kTransferLeader:
      // Forwarded requests travel as local messages of the leader.
      m.term = 0;
      break;
    default:
      m.term = term_;
  }
  msgs_.push_back(std::move(m));
}

ConfState Raft::ApplyConfChange(const ConfChange& cc) {
  Index next = log_.LastIndex() + 1;
  switch (cc.type) {
    case ConfChangeType::kAddNode:
      if (removed_.count(cc.node)) {
        Log("ignored adding removed node " + std::to_string(cc.node));
        break;
      }
      tracker_.AddVoter(cc.node, next);
      break;
    case ConfChangeType::kAddLearner:
      if (removed_.count(cc.node)) {
        Log("ignored adding removed node " + std::to_string(cc.node));
        break;
      }
      tracker_.AddLearner(cc.node, next);
      break;
    case ConfChangeType::kRemoveNode:
      tracker_.Remove(cc.node);
      removed_.insert(cc.node);
      if (cc.node == lead_transferee_) AbortLeaderTransfer();
      break;
  }
  Log("switched to configuration " + Describe(tracker_.conf()));
  if (role_ == Role::kLeader) {
    if (!tracker_.IsVoter(id_)) {
      // A removed leader steps down; the others elect a new one.
      BecomeFollower(term_, kNoNode);
    } else if (MaybeCommit()) {
      // The quorum changed: something may commit now.
      BcastAppend();
    } else {
      // Start replicating to a new member at once.
      for (auto& [pid, pr] : tracker_.progress()) {
        if (pid != id_ && pr.match == 0 && !pr.probe_sent) SendAppend(pid);
      }
    }
  }
  return tracker_.conf();
}

void Raft::OnPersisted(Index index, Term term) {
  if (role_ != Role::kLeader || !log_.MatchTerm(index, term)) return;
  Progress* self = tracker_.Get(id_);
  if (self && self->MaybeUpdate(index) && MaybeCommit()) BcastAppend();
}

}  // namespace shoal::raft
