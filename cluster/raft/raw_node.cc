#include "cluster/raft/raw_node.h"

#include <algorithm>

namespace shoal::raft {

RawNode::RawNode(const Config& config) : raft_(config) {
  prev_soft_ = SoftState{raft_.lead(), raft_.role()};
  prev_hard_ = raft_.hard_state();
}

void RawNode::Campaign() {
  Message m;
  m.type = MessageType::kHup;
  (void)raft_.Step(std::move(m));
}

Status RawNode::Propose(std::string data) {
  Message m;
  m.type = MessageType::kProp;
  m.from = raft_.id();
  m.entries.push_back(Entry{0, 0, EntryType::kNormal, std::move(data)});
  return raft_.Step(std::move(m));
}

Status RawNode::ProposeConfChange(const ConfChange& cc) {
  Message m;
  m.type = MessageType::kProp;
  m.from = raft_.id();
  m.entries.push_back(Entry{0, 0, EntryType::kConfChange, cc.Encode()});
  return raft_.Step(std::move(m));
}

Status RawNode::Step(Message m) {
  if (m.IsLocal()) return Status::InvalidArgument("raft: cannot step a local message");
  if (m.IsResponse() && raft_.tracker().Get(m.from) == nullptr && raft_.role() == Role::kLeader) {
    return Status::InvalidArgument("raft: response from an unknown peer");
  }
  return raft_.Step(std::move(m));
}

void RawNode::ReadIndex(std::string ctx) {
  Message m;
  m.type = MessageType::kReadIndex;
  m.context = std::move(ctx);
  (void)raft_.Step(std::move(m));
}

void RawNode::TransferLeader(NodeId transferee) {
  Message m;
  m.type = MessageType::kTransferLeader;
  m.from = transferee;
  (void)raft_.Step(std::move(m));
}

void RawNode::ReportUnreachable(NodeId id) {
  Message m;
  m.type = MessageType::kUnreachable;
  m.from = id;
  (void)raft_.Step(std::move(m));
}

void RawNode::ReportSnapshot(NodeId id, bool ok) {
  Message m;
  m.type = MessageType::kSnapStatus;
  m.from = id;
  m.reject = !ok;
  (void)raft_.Step(std::move(m));
}

void RawNode::SkipAppliedTo(Index index) {
  auto& log = raft_.log();
  // Only while no committed entries are handed out and not yet advanced.
  if (index > log.applied() && log.applying() == log.applied()) {
    log.AppliedTo(std::min(index, log.committed()));
  }
}

bool RawNode::HasReady() const {
  const auto& log = raft_.log();
  if (SoftState{raft_.lead(), raft_.role()} != prev_soft_) return true;
  HardState hs = raft_.hard_state();
  if (!hs.empty() && hs != prev_hard_) return true;
  if (log.unstable_snapshot()) return true;
  if (!raft_.msgs_.empty() || !log.unstable_entries().empty() || !raft_.read_states_.empty()) {
    return true;
  }
  return log.HasNextCommittedEntries();
}

Ready RawNode::GetReady() {
  Ready rd;
  auto& log = raft_.log();
  SoftState soft{raft_.lead(), raft_.role()};
  if (soft != prev_soft_) rd.soft_state = soft;
  HardState hs = raft_.hard_state();
  if (hs != prev_hard_) rd.hard_state = hs;
  rd.entries = log.unstable_entries();
  if (log.unstable_snapshot()) rd.snapshot = *log.unstable_snapshot();
  if (!rd.snapshot) rd.committed_entries = log.NextCommittedEntries();
  rd.messages.swap(raft_.msgs_);
  rd.read_states.swap(raft_.read_states_);
  // A vote or term change, new entries or a snapshot must be on disk before
  // the messages that depend on them leave (a vote persisted before it is
  // sent; a snapshot before the AppResp that tells the leader we hold it).
  rd.must_sync = !rd.entries.empty() || rd.snapshot.has_value() ||
                 (rd.hard_state && (rd.hard_state->term != prev_hard_.term ||
                                    rd.hard_state->vote != prev_hard_.vote));
  if (!rd.committed_entries.empty()) log.ApplyingTo(rd.committed_entries.back().index);
  if (rd.soft_state) prev_soft_ = *rd.soft_state;
  if (rd.hard_state) prev_hard_ = *rd.hard_state;
  return rd;
}

void RawNode::Advance(const Ready& rd) {
  auto& log = raft_.log();
  if (rd.snapshot) {
    log.StableSnapTo(rd.snapshot->meta.index);
    log.AppliedTo(rd.snapshot->meta.index);
  }
  if (!rd.entries.empty()) {
    const Entry& last = rd.entries.back();
    log.StableTo(last.index, last.term);
    raft_.OnPersisted(last.index, last.term);
  }
  if (!rd.committed_entries.empty()) log.AppliedTo(rd.committed_entries.back().index);
}

}  // namespace shoal::raft
