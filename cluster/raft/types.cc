#include "cluster/raft/types.h"

#include "core/coding.h"

namespace shoal::raft {

std::string ConfChange::Encode() const {
  std::string out;
  out.push_back(static_cast<char>(type));
  PutVarint64(&out, node);
  PutLengthPrefixed(&out, context);
  return out;
}

bool ConfChange::Decode(const std::string& data) {
  std::string_view in(data);
  if (in.empty()) return false;
  auto t = static_cast<uint8_t>(in[0]);
  if (t > static_cast<uint8_t>(ConfChangeType::kRemoveNode)) return false;
  in.remove_prefix(1);
  auto id = GetVarint64(&in);
  auto ctx = GetLengthPrefixed(&in);
  if (!id || !ctx || !in.empty()) return false;
  type = static_cast<ConfChangeType>(t);
  node = *id;
  context.assign(*ctx);
  return true;
}

const char* MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kHup:
      return "Hup";
    case MessageType::kBeat:
      return "Beat";
    case MessageType::kProp:
      return "Prop";
    case MessageType::kApp:
      return "App";
    case MessageType::kAppResp:
      return "AppResp";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResp:
      return "VoteResp";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResp:
      return "PreVoteResp";
    case MessageType::kSnap:
      return "Snap";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResp:
      return "HeartbeatResp";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResp:
      return "ReadIndexResp";
    case MessageType::kTransferLeader:
      return "TransferLeader";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
    case MessageType::kUnreachable:
      return "Unreachable";
    case MessageType::kSnapStatus:
      return "SnapStatus";
    case MessageType::kCheckQuorum:
      return "CheckQuorum";
  }
  return "?";
}

bool Message::IsLocal() const {
  return type == MessageType::kHup || type == MessageType::kBeat ||
         type == MessageType::kUnreachable || type == MessageType::kSnapStatus ||
         type == MessageType::kCheckQuorum;
}

bool Message::IsResponse() const {
  return type == MessageType::kAppResp || type == MessageType::kVoteResp ||
         type == MessageType::kPreVoteResp || type == MessageType::kHeartbeatResp ||
         type == MessageType::kReadIndexResp || type == MessageType::kUnreachable;
}

const char* RoleName(Role r) {
  switch (r) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

std::string Describe(const Entry& e) {
  std::string out = std::to_string(e.term) + "/" + std::to_string(e.index);
  if (e.type == EntryType::kConfChange) {
    ConfChange cc;
    if (cc.Decode(e.data)) {
      const char* kind = cc.type == ConfChangeType::kAddNode      ? "add"
                         : cc.type == ConfChangeType::kAddLearner ? "add-learner"
                                                                  : "remove";
      return out + " conf:" + kind + "(" + std::to_string(cc.node) + ")";
    }
    return out + " conf:?";
  }
  return out + (e.data.empty() ? "" : " \"" + e.data + "\"");
}

std::string Describe(const Message& m) {
  std::string out = std::to_string(m.from) + "->" + std::to_string(m.to) + " " +
                    MessageTypeName(m.type) + " term=" + std::to_string(m.term);
  switch (m.type) {
    case MessageType::kApp:
    case MessageType::kVote:
    case MessageType::kPreVote:
      out += " log=" + std::to_string(m.log_term) + "/" + std::to_string(m.index);
      break;
    case MessageType::kAppResp:
      out += " index=" + std::to_string(m.index);
      break;
    default:
      break;
  }
  if (m.type == MessageType::kApp || m.type == MessageType::kHeartbeat) {
    out += " commit=" + std::to_string(m.commit);
  }
  if (m.reject) {
    out += " reject hint=" + std::to_string(m.reject_hint) + "/" + std::to_string(m.hint_term);
  }
  if (!m.entries.empty()) {
    out += " entries=[";
    for (size_t i = 0; i < m.entries.size(); ++i) {
      if (i) out += ", ";
      out += Describe(m.entries[i]);
    }
    out += "]";
  }
  if (m.snapshot) {
    out += " snapshot=" + std::to_string(m.snapshot->meta.term) + "/" +
           std::to_string(m.snapshot->meta.index);
  }
  if (!m.context.empty()) out += " ctx=" + m.context;
  return out;
}

std::string Describe(const HardState& hs) {
  return "term=" + std::to_string(hs.term) + " vote=" + std::to_string(hs.vote) +
         " commit=" + std::to_string(hs.commit);
}

std::string Describe(const ConfState& cs) {
  std::string out = "voters=(";
  for (size_t i = 0; i < cs.voters.size(); ++i)
    out += (i ? " " : "") + std::to_string(cs.voters[i]);
  out += ")";
  if (!cs.learners.empty()) {
    out += " learners=(";
    for (size_t i = 0; i < cs.learners.size(); ++i) {
      out += (i ? " " : "") + std::to_string(cs.learners[i]);
    }
    out += ")";
  }
  return out;
}

}  // namespace shoal::raft
