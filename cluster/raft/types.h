// Vocabulary of the Raft core: ids, terms, indexes, log entries, hard state,
// snapshots, configuration and messages. Plain data: no I/O, no clocks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shoal::raft {

using NodeId = uint64_t;
using Term = uint64_t;
using Index = uint64_t;

inline constexpr NodeId kNoNode = 0;

// Entry kinds. On disk and on the wire: never change the numbers.
enum class EntryType : uint8_t { kNormal = 0, kConfChange = 1 };

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// Bytes an entry counts for in size limits.
inline uint64_t EntrySize(const Entry& e) { return e.data.size() + 24; }

// What must be on stable storage before messages are sent (Figure 2).
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;

  bool operator==(const HardState&) const = default;
  bool empty() const { return term == 0 && vote == kNoNode && commit == 0; }
};

// Group membership: voters decide, learners only receive the log.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;

  bool operator==(const ConfState&) const = default;
};

// A single-step membership change, carried in a kConfChange entry.
// On the wire: never change the numbers.
enum class ConfChangeType : uint8_t { kAddNode = 0, kAddLearner = 1, kRemoveNode = 2 };

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddNode;
  NodeId node = kNoNode;
  std::string context;

  std::string Encode() const;
  // false on malformed data.
  bool Decode(const std::string& data);
};

struct SnapshotMeta {
  Index index = 0;
  Term term = 0;
  ConfState conf;

  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;

  bool empty() const { return meta.index == 0; }
};

// On the wire (transport): never change the numbers.
enum class MessageType : uint8_t {
  kHup = 0,   // local: start an election
  kBeat = 1,  // local: leader sends heartbeats
  kProp = 2,  // local or forwarded proposal
  kApp = 3,   // append entries
  kAppResp = 4,
  kVote = 5,
  kVoteResp = 6,
  kPreVote = 7,
  kPreVoteResp = 8,
  kSnap = 9,  // install snapshot
  kHeartbeat = 10,
  kHeartbeatResp = 11,
  kReadIndex = 12,  // local or forwarded read request
  kReadIndexResp = 13,
  kTransferLeader = 14,  // local or forwarded
  kTimeoutNow = 15,      // leader tells the transferee to campaign now
  kUnreachable = 16,     // local: transport could not reach a peer
  kSnapStatus = 17,      // local: outcome of sending a snapshot
  kCheckQuorum = 18,     // local: leader checks it heard from a quorum
};

const char* MessageTypeName(MessageType t);

struct Message {
  MessageType type = MessageType::kHup;
  NodeId to = kNoNode;
  NodeId from = kNoNode;
  Term term = 0;
  Term log_term = 0;  // term of the entry at `index` (kApp), last log term (votes)
  Index index = 0;
  std::vector<Entry> entries;
  Index commit = 0;
  bool reject = false;
  Index reject_hint = 0;
  Term hint_term = 0;                        // with reject_hint: term of the follower's entry there
  std::string context;                       // ReadIndex request id, campaign kind
  std::shared_ptr<const Snapshot> snapshot;  // kSnap

  bool IsLocal() const;
  bool IsResponse() const;
};

// A read that may be served once the applied index reaches `index`.
struct ReadState {
  Index index = 0;
  std::string request_ctx;

  bool operator==(const ReadState&) const = default;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* RoleName(Role r);

// Human-readable forms used by logs and scripted tests.
std::string Describe(const Entry& e);
std::string Describe(const Message& m);
std::string Describe(const HardState& hs);
std::string Describe(const ConfState& cs);

}  // namespace shoal::raft
