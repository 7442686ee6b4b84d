// Followers and candidates: accepting appends, heartbeats and snapshots,
// counting votes, forwarding requests to the leader.
#include <algorithm>

#include "cluster/raft/raft.h"

namespace shoal::raft {

Status Raft::StepCandidate(Message& m) {
  const MessageType my_resp =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kProp:
      return ProposalDropped("no leader");
    case MessageType::kApp:
      BecomeFollower(m.term, m.from);
      HandleAppend(m);
      return Status::Ok();
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      return Status::Ok();
    case MessageType::kSnap:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      return Status::Ok();
    case MessageType::kVoteResp:
    case MessageType::kPreVoteResp: {
      if (m.type != my_resp) return Status::Ok();  // a response to an older campaign
      tracker_.RecordVote(m.from, !m.reject);
      switch (tracker_.TallyVotes()) {
        case VoteResult::kWon:
          if (role_ == Role::kPreCandidate) {
            Campaign(false, m.context == "transfer");
          } else {
            BecomeLeader();
            BcastAppend();
          }
          break;
        case VoteResult::kLost:
          // m.term is ours or older here: a higher term made us a follower
          // in Step already.
          BecomeFollower(term_, kNoNode);
          break;
        case VoteResult::kPending:
          break;
      }
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status Raft::StepFollower(Message& m) {
  switch (m.type) {
    case MessageType::kProp:
      if (lead_ == kNoNode) return ProposalDropped("no leader");
      m.to = lead_;
      Send(std::move(m));
      return Status::Ok();
    case MessageType::kApp:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppend(m);
      return Status::Ok();
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      return Status::Ok();
    case MessageType::kSnap:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      return Status::Ok();
    case MessageType::kTransferLeader:
      if (lead_ == kNoNode) return ProposalDropped("no leader to transfer from");
      m.to = lead_;
      Send(std::move(m));
      return Status::Ok();
    case MessageType::kTimeoutNow:
      Log("received TimeoutNow from " + std::to_string(m.from) + ", campaigning at once");
      Hup(true);
      return Status::Ok();
    case MessageType::kReadIndex:
      if (lead_ == kNoNode) return ProposalDropped("no leader to read from");
      m.to = lead_;
      Send(std::move(m));
      return Status::Ok();
    case MessageType::kReadIndexResp:
      read_states_.push_back(ReadState{m.index, m.context});
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

void Raft::HandleAppend(const Message& m) {
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  if (m.index < log_.committed()) {
    // Already have (and committed) everything up to our commit index.
    r.index = log_.committed();
    Send(std::move(r));
    return;
  }
  if (auto last_new = log_.MaybeAppend(m.index, m.log_term, m.commit, m.entries)) {
    r.index = *last_new;
    Send(std::move(r));
    return;
  }
  // Mismatch at m.index: suggest where to retry, skipping a whole term of
  // entries at a time (fast back-off, §5.3 end).
  Index hint = std::min(m.index, log_.LastIndex());
  hint = log_.FindConflictByTerm(hint, m.log_term);
  r.index = m.index;
  r.reject = true;
  r.reject_hint = hint;
  r.hint_term = log_.TermOf(hint);
  Log("rejected App log=" + std::to_string(m.log_term) + "/" + std::to_string(m.index) + " from " +
      std::to_string(m.from) + ", hint " + std::to_string(r.hint_term) + "/" +
      std::to_string(hint));
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const Message& m) {
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Message r;
  r.type = MessageType::kHeartbeatResp;
  r.to = m.from;
  r.context = m.context;
  r.index = m.index;  // the leader's tick at sending, for its lease
  Send(std::move(r));
}

void Raft::HandleSnapshot(const Message& m) {
  CHECK(m.snapshot != nullptr);
  Message r;
  r.type = MessageType::kAppResp;
  r.to = m.from;
  if (Restore(*m.snapshot)) {
    Log("restored snapshot at " + std::to_string(m.snapshot->meta.term) + "/" +
        std::to_string(m.snapshot->meta.index));
    r.index = log_.LastIndex();
  } else {
    Log("ignored snapshot at " + std::to_string(m.snapshot->meta.index));
    r.index = log_.committed();
  }
  Send(std::move(r));
}

bool Raft::Restore(const Snapshot& snap) {
  if (snap.meta.index <= log_.committed()) return false;
  if (log_.MatchTerm(snap.meta.index, snap.meta.term)) {
    // We have the snapshot's last entry: just commit up to it.
    log_.CommitTo(snap.meta.index);
    return false;
  }
  log_.Restore(snap);
  tracker_.Reset(snap.meta.conf, log_.LastIndex() + 1);
  return true;
}

}  // namespace shoal::raft
