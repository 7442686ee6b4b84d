// The leader's side of Raft: proposals, log replication with flow control,
// commit, heartbeats, ReadIndex and lease reads, leadership transfer.
#include <algorithm>

#include "cluster/raft/raft.h"

namespace shoal::raft {

bool Raft::AppendEntries(std::vector<Entry> entries) {
  uint64_t size = 0;
  for (const auto& e : entries) size += e.data.size();
  // The no-op (empty) is always accepted; other proposals respect the limit.
  if (config_.max_uncommitted_entries_size > 0 && size > 0 &&
      uncommitted_size_ + size > config_.max_uncommitted_entries_size) {
    return false;
  }
  uncommitted_size_ += size;
  Index li = log_.LastIndex();
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].term = term_;
    entries[i].index = li + 1 + i;
  }
  Index last = log_.Append(entries);
  if (size > 0) uncommitted_batches_.emplace_back(last, size);
  return true;
}

bool Raft::CommittedEntryInCurrentTerm() const { return log_.TermOf(log_.committed()) == term_; }

bool Raft::MaybeCommit() {
  if (!log_.MaybeCommit(tracker_.Committed(), term_)) return false;
  // Entries now committed no longer count against the uncommitted limit.
  while (!uncommitted_batches_.empty() && uncommitted_batches_.front().first <= log_.committed()) {
    const uint64_t freed = uncommitted_batches_.front().second;
    uncommitted_size_ = freed > uncommitted_size_ ? 0 : uncommitted_size_ - freed;
    uncommitted_batches_.pop_front();
  }
  ReleasePendingReads();
  return true;
}

bool Raft::MaybeSendAppend(NodeId to, bool send_if_empty) {
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr || pr->IsPaused()) return false;
  Message m;
  m.to = to;
  Index prev = pr->next - 1;
  bool compacted = prev + 1 < log_.FirstIndex();
  std::vector<Entry> entries;
  if (!compacted) {
    auto s = log_.Slice(pr->next, log_.LastIndex() + 1, config_.max_size_per_msg, &entries);
    compacted = !s.ok();
  }
  if (compacted) {
    // The follower needs entries we no longer have: send the snapshot.
    if (!pr->recent_active) return false;
    Snapshot snap = log_.CurrentSnapshot();
    if (snap.empty()) return false;  // not available yet; retried later
    m.type = MessageType::kSnap;
    m.snapshot = std::make_shared<Snapshot>(std::move(snap));
    Log("sent snapshot at " + std::to_string(m.snapshot->meta.index) + " to " + std::to_string(to) +
        " [" + pr->Describe() + "]");
    pr->BecomeSnapshot(m.snapshot->meta.index);
    Send(std::move(m));
    return true;
  }
  if (entries.empty() && !send_if_empty) return false;
  m.type = MessageType::kApp;
  m.index = prev;
  m.log_term = log_.TermOf(prev);
  m.commit = log_.committed();
  uint64_t bytes = 0;
  for (const auto& e : entries) bytes += EntrySize(e);
  Index last = entries.empty() ? prev : entries.back().index;
  m.entries = std::move(entries);
  pr->SentEntries(last, bytes);
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(NodeId to, const std::string& ctx) {
  Progress* pr = tracker_.Get(to);
  if (pr == nullptr) return;
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  // Never more than the follower is known to have: committing past its log
  // would be wrong.
  m.commit = std::min(pr->match, log_.committed());
  m.context = ctx;
  m.index = ticks_;  // echoed back: how fresh the ack is (leases)
  Send(std::move(m));
}

bool Raft::LeaseValid() {
  if (lead_transferee_ != kNoNode) return false;  // the target may win at once
  std::vector<uint64_t> acked;
  for (NodeId v : tracker_.voters()) {
    Progress* pr = tracker_.Get(v);
    acked.push_back(v == id_ ? ticks_ : pr->acked_heartbeat_tick);
  }
  std::sort(acked.begin(), acked.end(), std::greater<>());
  uint64_t quorum_tick = acked[tracker_.quorum() - 1];
  // Followers restart their election timers when a heartbeat arrives, after
  // it was sent: none can campaign before quorum_tick + election_tick.
  return quorum_tick > 0 && quorum_tick + static_cast<uint64_t>(config_.election_tick) > ticks_;
}

void Raft::BcastAppend() {
  for (auto& [pid, pr] : tracker_.progress()) {
    if (pid != id_) SendAppend(pid);
  }
}

void Raft::BcastHeartbeat(const std::string& ctx) {
  for (auto& [pid, pr] : tracker_.progress()) {
    if (pid != id_) SendHeartbeat(pid, ctx);
  }
}

void Raft::SendTimeoutNow(NodeId to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

void Raft::RespondToRead(NodeId from, Index index, const std::string& ctx) {
  if (from == kNoNode || from == id_) {
    read_states_.push_back(ReadState{index, ctx});
    return;
  }
  Message r;
  r.type = MessageType::kReadIndexResp;
  r.to = from;
  r.index = index;
  r.context = ctx;
  Send(std::move(r));
}

void Raft::ReleasePendingReads() {
  if (pending_reads_.empty() || !CommittedEntryInCurrentTerm()) return;
  std::vector<Message> reads;
  reads.swap(pending_reads_);
  for (auto& m : reads) (void)StepLeader(m);
}

Status Raft::StepLeader(Message& m) {
  switch (m.type) {
    case MessageType::kBeat:
      BcastHeartbeat(read_only_.LastContext());
      return Status::Ok();
    case MessageType::kCheckQuorum:
      if (!tracker_.QuorumActive(id_)) {
        Log("stepped down to follower since quorum is not active");
        BecomeFollower(term_, kNoNode);
      }
      for (auto& [pid, pr] : tracker_.progress()) {
        if (pid != id_) pr.recent_active = false;
      }
      return Status::Ok();
    case MessageType::kProp: {
      CHECK(!m.entries.empty());
      if (!tracker_.Contains(id_)) return ProposalDropped("leader was removed");
      if (lead_transferee_ != kNoNode) return ProposalDropped("leadership transfer in progress");
      for (size_t i = 0; i < m.entries.size(); ++i) {
        Entry& e = m.entries[i];
        if (e.type != EntryType::kConfChange) continue;
        ConfChange cc;
        if (!cc.Decode(e.data)) return Status::InvalidArgument("raft: bad conf change");
        if (pending_conf_index_ > log_.applied()) {
          return ProposalDropped("a configuration change is already pending");
        }
        if (cc.type != ConfChangeType::kRemoveNode && removed_.count(cc.node)) {
          return ProposalDropped("node id " + std::to_string(cc.node) + " was removed");
        }
        pending_conf_index_ = log_.LastIndex() + i + 1;
      }
      if (!AppendEntries(std::move(m.entries)))
        return ProposalDropped("too many uncommitted bytes");
      BcastAppend();
      return Status::Ok();
    }
    case MessageType::kReadIndex: {
      if (tracker_.voters().size() == 1) {
        RespondToRead(m.from, log_.committed(), m.context);
        return Status::Ok();
      }
      // Until the no-op of this term commits, the leader does not know the
      // latest commit index: hold the read (§6.4 step 1).
      if (!CommittedEntryInCurrentTerm()) {
        pending_reads_.push_back(m);
        return Status::Ok();
      }
      if (config_.read_only == ReadOnlyOption::kLeaseBased && LeaseValid()) {
        RespondToRead(m.from, log_.committed(), m.context);
      } else {
        // Safe reads, and lease reads without a valid lease, confirm
        // leadership with a heartbeat round.
        read_only_.Add(log_.committed(), m.from, m.context, id_);
        BcastHeartbeat(m.context);
      }
      return Status::Ok();
    }
    case MessageType::kTransferLeader: {
      NodeId target = m.from;
      Progress* tpr = tracker_.Get(target);
      if (tpr == nullptr || tpr->is_learner) {
        Log("ignored transferring leadership to " + std::to_string(target) + ": not a voter");
        return Status::Ok();
      }
      if (target == id_) return Status::Ok();
      if (lead_transferee_ == target) return Status::Ok();
      AbortLeaderTransfer();
      Log("starts to transfer leadership to " + std::to_string(target));
      // The transfer must finish within an election timeout (TickHeartbeat).
      election_elapsed_ = 0;
      lead_transferee_ = target;
      if (tpr->match == log_.LastIndex()) {
        SendTimeoutNow(target);
      } else {
        SendAppend(target);
      }
      return Status::Ok();
    }
    default:
      break;
  }

  Progress* pr = tracker_.Get(m.from);
  if (pr == nullptr) return Status::Ok();
  switch (m.type) {
    case MessageType::kAppResp: {
      pr->recent_active = true;
      if (m.reject) {
        Index next_probe = m.reject_hint;
        if (m.hint_term > 0) {
          // Skip every entry of terms the follower cannot have matched.
          next_probe = log_.FindConflictByTerm(m.reject_hint, m.hint_term);
        }
        if (pr->MaybeDecrTo(m.index, next_probe)) {
          if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
          SendAppend(m.from);
        }
        return Status::Ok();
      }
      bool was_paused = pr->IsPaused();
      if (!pr->MaybeUpdate(m.index)) return Status::Ok();
      switch (pr->state) {
        case ProgressState::kProbe:
          pr->BecomeReplicate();
          break;
        case ProgressState::kSnapshot:
          if (pr->match + 1 >= log_.FirstIndex()) {
            pr->BecomeProbe();
            pr->BecomeReplicate();
          }
          break;
        case ProgressState::kReplicate:
          pr->inflights.FreeLE(m.index);
          break;
      }
      if (MaybeCommit() && config_.broadcast_commit) {
        BcastAppend();
      } else if (was_paused) {
        SendAppend(m.from);
      }
      // Keep the pipeline full.
      while (MaybeSendAppend(m.from, false)) {
      }
      if (m.from == lead_transferee_ && pr->match == log_.LastIndex()) {
        Log("sent TimeoutNow to " + std::to_string(m.from) + " after its log caught up");
        SendTimeoutNow(m.from);
      }
      return Status::Ok();
    }
    case MessageType::kHeartbeatResp: {
      pr->recent_active = true;
      pr->probe_sent = false;
      pr->acked_heartbeat_tick = std::max(pr->acked_heartbeat_tick, m.index);
      // The follower is alive but the pipeline is full: the appends in it
      // may all have been lost, and nothing else would ever resend them.
      // Make room for one; if there is a gap, the follower rejects it and
      // the leader probes back.
      if (pr->state == ProgressState::kReplicate && pr->inflights.Full()) {
        pr->inflights.FreeFirstOne();
      }
      if (pr->match < log_.LastIndex()) SendAppend(m.from);
      if (m.context.empty()) return Status::Ok();
      if (read_only_.Ack(m.from, m.context) < tracker_.quorum()) return Status::Ok();
      for (const auto& req : read_only_.Advance(m.context)) {
        RespondToRead(req.from, req.index, req.ctx);
      }
      return Status::Ok();
    }
    case MessageType::kSnapStatus:
      if (pr->state != ProgressState::kSnapshot) return Status::Ok();
      if (m.reject) pr->pending_snapshot = 0;
      pr->BecomeProbe();
      // Wait for a heartbeat response before probing again.
      pr->probe_sent = true;
      return Status::Ok();
    case MessageType::kUnreachable:
      if (pr->state == ProgressState::kReplicate) pr->BecomeProbe();
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

}  // namespace shoal::raft
