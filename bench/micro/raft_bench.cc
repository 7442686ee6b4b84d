// Proposals per second through a 3-node Raft group held in memory: the
// leader takes a batch of proposals, then the group runs Ready cycles
// (persist to MemoryStorage, deliver every message, apply) until the leader
// has applied the batch. Measures the core's own cost per proposal: no
// disk, no network, no serialization.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cluster/raft/raw_node.h"
#include "cluster/raft/storage.h"

namespace shoal::raft {
namespace {

constexpr size_t kGroupSize = 3;
constexpr size_t kPayloadBytes = 64;
// Compact every so many entries, keeping a tail for slow followers, so a
// long run does not hold its whole log.
constexpr Index kCompactEvery = 50000;
constexpr Index kKeepEntries = 1000;

class Group {
 public:
  Group() {
    ConfState cs;
    for (size_t i = 0; i < kGroupSize; ++i) cs.voters.push_back(i + 1);
    for (size_t i = 0; i < kGroupSize; ++i) {
      Node& n = nodes_[i];
      n.storage.SetConfState(cs);
      Config c;
      c.id = i + 1;
      c.storage = &n.storage;
      c.seed = i + 1;
      n.raw = std::make_unique<RawNode>(c);
    }
    nodes_[0].raw->Campaign();
    while (nodes_[0].raw->raft().role() != Role::kLeader ||
           nodes_[0].applied < nodes_[0].raw->raft().log().committed() ||
           nodes_[0].raw->raft().log().committed() == 0) {
      Cycle();
    }
  }

  RawNode& leader() { return *nodes_[0].raw; }
  Index leader_applied() const { return nodes_[0].applied; }

  // One Ready per node, then every message delivered.
  void Cycle() {
    for (Node& n : nodes_) {
      if (!n.raw->HasReady()) continue;
      Ready rd = n.raw->GetReady();
      n.storage.Append(rd.entries);
      if (rd.hard_state) n.storage.SetHardState(*rd.hard_state);
      for (Message& m : rd.messages) in_flight_.push_back(std::move(m));
      if (!rd.committed_entries.empty()) n.applied = rd.committed_entries.back().index;
      n.raw->Advance(rd);
      MaybeCompact(n);
    }
    std::vector<Message> batch;
    batch.swap(in_flight_);
    for (Message& m : batch) {
      RawNode& to = *nodes_[m.to - 1].raw;
      if (!to.Step(std::move(m)).ok()) std::abort();
    }
  }

 private:
  struct Node {
    MemoryStorage storage;
    std::unique_ptr<RawNode> raw;
    Index applied = 0;
  };

  void MaybeCompact(Node& n) {
    Index first = n.storage.FirstIndex();
    if (n.applied < first + kCompactEvery) return;
    Index to = n.applied - kKeepEntries;
    if (!n.storage.CreateSnapshot(n.applied, n.raw->raft().tracker().conf(), "").ok() ||
        !n.storage.Compact(to).ok()) {
      std::abort();
    }
  }

  std::array<Node, kGroupSize> nodes_;
  std::vector<Message> in_flight_;
};

void BM_RaftProposeBatch(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const std::string payload(kPayloadBytes, 'v');
  Group g;
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) {
      if (!g.leader().Propose(payload).ok()) std::abort();
    }
    const Index target = g.leader().raft().log().LastIndex();
    while (g.leader_applied() < target) g.Cycle();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.counters["proposals/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RaftProposeBatch)->Arg(1)->Arg(16)->Arg(256)->Arg(1024);

// The same batch as one proposal message carrying every entry, as a server
// that groups its clients' writes hands them over: one append per follower
// for the whole batch, where Propose() broadcasts an append per entry while
// the inflight window has room.
void BM_RaftProposeBatchOneMessage(benchmark::State& state) {
  const auto batch = static_cast<size_t>(state.range(0));
  const std::string payload(kPayloadBytes, 'v');
  Group g;
  for (auto _ : state) {
    Message m;
    m.type = MessageType::kProp;
    m.from = 1;
    m.entries.assign(batch, Entry{0, 0, EntryType::kNormal, payload});
    if (!g.leader().Step(std::move(m)).ok()) std::abort();
    const Index target = g.leader().raft().log().LastIndex();
    while (g.leader_applied() < target) g.Cycle();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
  state.counters["proposals/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RaftProposeBatchOneMessage)->Arg(1)->Arg(16)->Arg(256)->Arg(1024);

}  // namespace
}  // namespace shoal::raft
