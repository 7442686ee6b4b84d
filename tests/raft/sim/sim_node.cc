#include "tests/raft/sim/sim_node.h"

#include "core/coding.h"

namespace shoal::raft::sim {

uint64_t SmState::Mix(uint64_t hash, const Entry& e) {
  // FNV-1a over (index, term, type, data).
  auto byte = [&hash](uint8_t b) { hash = (hash ^ b) * 0x100000001b3ULL; };
  for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(e.index >> (8 * i)));
  for (int i = 0; i < 8; ++i) byte(static_cast<uint8_t>(e.term >> (8 * i)));
  byte(static_cast<uint8_t>(e.type));
  for (char c : e.data) byte(static_cast<uint8_t>(c));
  return hash;
}

std::string SmState::Serialize() const {
  std::string out;
  PutVarint64(&out, applied);
  PutVarint64(&out, hash);
  return out;
}

bool SmState::Restore(std::string_view data) {
  auto a = GetVarint64(&data);
  auto h = GetVarint64(&data);
  if (!a || !h || !data.empty()) return false;
  applied = *a;
  hash = *h;
  return true;
}

SimNode::SimNode(NodeId id, const ConfState& cs, bool power_loss)
    : id_(id), power_loss_(power_loss) {
  storage_.SetConfState(cs);
  synced_storage_.SetConfState(cs);
}

void SimNode::Do(const Write& w) {
  w(storage_, sm_);
  if (power_loss_) unsynced_.push_back(w);
}

void SimNode::Sync() {
  for (const auto& w : unsynced_) w(synced_storage_, synced_sm_);
  unsynced_.clear();
}

void SimNode::Crash(bool lose_unsynced) {
  raw_.reset();
  up = false;
  paused = false;
  if (!power_loss_) return;
  if (lose_unsynced) {
    storage_ = synced_storage_;
    sm_ = synced_sm_;
    unsynced_.clear();
  } else {
    // The OS had the writes: a process crash does not lose them.
    Sync();
  }
}

void SimNode::Start(Config config) {
  // A snapshot installed on disk but not yet applied when the process died:
  // the state machine starts from it.
  const Snapshot snap = storage_.GetSnapshot();
  if (snap.meta.index > sm_.applied) {
    std::string data = snap.data;
    Do([data](MemoryStorage&, SmState& sm) { CHECK(sm.Restore(data)); });
  }
  config.storage = &storage_;
  config.applied = sm_.applied;
  raw_ = std::make_unique<RawNode>(config);
  up = true;
  paused = false;
  ++incarnation;
  seen_term = raw_->raft().term();
  seen_commit = raw_->raft().log().committed();
  seen_applied = raw_->raft().log().applied();
  commit_checked = raw_->raft().log().FirstIndex() - 1;
  leader_term = 0;
  churn_countdown = 0;
}

}  // namespace shoal::raft::sim
