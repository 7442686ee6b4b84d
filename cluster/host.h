// The multi-raft host of a node (DESIGN.md §4): every shard replica placed
// on this node is a Raft group driven here, with the node-to-node bus, the
// shared durable log and the state machine. One thread owns all groups
// (docs/adr/006-one-raft-thread.md); workers reach them only through
// Submit(), and get their outcomes posted back to their io_context.
//
// A round (after inputs arrive, or a tick) does, for every group with work:
// proposals and read requests in; Ready out; snapshot installed, entries
// and hard state staged, committed entries applied (with "applied = i")
// — then ONE flush of the node's RocksDB batch (the group commit across
// groups), then the messages go out (one frame per peer), then outcomes are
// posted. Nothing is acknowledged before the flush that makes it durable.
//
// Thread-safety: Start/Stop from the owner; Submit, LeaderOf, Info* and
// the routing facts are thread-safe; everything else runs on the host
// thread.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cluster/definition.h"
#include "cluster/wire.h"
#include "core/clock.h"
#include "core/status.h"
#include "storage/keyspace.h"
#include "storage/raft_store.h"
#include "storage/state_machine.h"

namespace shoal::cluster {

class Transport;

// Pacing of Host::Broadcast (pub/sub) on the bus.
inline constexpr size_t kBroadcastFrameBytes = 256 * 1024;        // payload bytes per frame
inline constexpr size_t kBroadcastInTransportBytes = 1 << 20;     // queued in the bus per peer
inline constexpr size_t kMaxBroadcastBacklogBytes = 64ull << 20;  // waiting here per peer

struct HostOptions {
  uint64_t self = 0;
  std::string bus_host = "127.0.0.1";
  int tick_ms = 50;
  int election_ticks = 10;
  bool read_lease = false;
  // Move leadership back to each shard's preferred leader when it is caught
  // up (keeps leaders spread).
  bool balance_leaders = true;
  // Applied entries kept in the log before it is compacted to a snapshot
  // point (followers further behind get a shard snapshot).
  int64_t compact_entries = 20000;
  // A proposed write not applied within this is answered "outcome unknown".
  int64_t write_timeout_ms = 5000;
  // A read whose ReadIndex round is not confirmed within this is refused
  // (never executed, so safe to retry).
  int64_t read_timeout_ms = 2000;
  // Async replication (DESIGN.md §4, ADR 009): a leader applies and answers
  // a write once its own log holds it, and serves reads without ReadIndex,
  // while it has heard from a quorum within an election timeout.
  bool async_replication = false;
};

// How a submitted command ended. Only kOk executed it.
enum class Outcome : uint8_t {
  kOk,          // applied (writes: `reply` holds the reply) / read may run now
  kNotLeader,   // never proposed: this node does not lead the shard; re-route
  kRetry,       // never proposed: no leader, proposal dropped, read unconfirmed
  kNotApplied,  // proposed, and certainly not applied (another entry won)
  kUnknown,     // proposed; not known whether it was applied
};

using Done = std::function<void(Outcome, std::string reply)>;

struct Proposal {
  uint32_t shard = 0;
  std::string op;  // storage::EncodeOp
  uint8_t resp = 2;
  Done done;
};

struct ReadRequest {
  uint32_t shard = 0;
  Done done;
};

// A shard as this node sees it (INFO raft, CLUSTER SHARDS, shoal-cluster).
struct ShardInfo {
  uint32_t shard = 0;
  bool local = false;  // this node holds a replica
  std::string role;    // raft::RoleName, "" when not local
  uint64_t term = 0, leader = 0, commit = 0, applied = 0, last_index = 0, first_index = 0;
  bool resyncing = false;  // async: applied data discarded, waiting for the leader's
  std::vector<uint64_t> replicas;
  // Leader only: per follower, entries behind (or -1: not heard recently).
  std::vector<std::pair<uint64_t, int64_t>> lag;
};

class Host {
 public:
  Host(HostOptions options, ClusterDefinition def, storage::Keyspace* ks, storage::StateMachine* sm,
       Clock* clock);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Loads every local group, binds the bus port, starts the host thread.
  Status Start();
  void Stop();

  const ClusterDefinition& def() const { return def_; }
  uint64_t self() const { return options_.self; }
  uint32_t ShardOf(uint16_t slot) const { return def_.slot_map().ShardOf(slot); }
  // The shard's leader as last known here; 0 when none is known.
  uint64_t LeaderOf(uint32_t shard) const {
    return leaders_[shard].load(std::memory_order_acquire);
  }
  bool LeadsShard(uint32_t shard) const { return LeaderOf(shard) == options_.self; }
  // Whether this node holds a replica of the shard (fixed at start).
  bool HoldsShard(uint32_t shard) const {
    return shard < groups_.size() && groups_[shard] != nullptr;
  }
  // Number of shards with a known leader.
  uint32_t ShardsWithLeader() const;

  // Hands commands to their groups. Each `done` runs later on `io`.
  void Submit(asio::io_context* io, std::vector<Proposal> props, std::vector<ReadRequest> reads);

  // WAIT: once at least `want` followers of `shard` hold every entry this
  // leader's log has now (so every write answered before the call), or at
  // `timeout_ms` (0: no timeout), `done` gets kOk and the number of
  // followers holding them (decimal text); kNotLeader if this node does
  // not lead the shard (then or later). Thread-safe.
  void WaitReplicas(asio::io_context* io, uint32_t shard, int64_t want, int64_t timeout_ms,
                    Done done);

  // Planned failover. TransferLeadership: asks the shard's leader (from
  // any replica) to hand leadership to `to` once it is caught up; `to`
  // keeps it afterwards (no hand-back to the preferred leader). Writes
  // proposed meanwhile wait for the transfer instead of failing. Drain:
  // this node hands every shard it leads to its most caught-up follower,
  // and the others stop handing leadership to it (until it restarts or
  // Drain(false)). Thread-safe.
  void TransferLeadership(uint32_t shard, uint64_t to);
  void Drain(bool on);
  bool draining() const { return draining_.load(std::memory_order_relaxed); }

  std::vector<ShardInfo> Shards() const;
  // Node-to-node messages that are not Raft's (pub/sub): `payload` goes to
  // each of `nodes` over the bus, best effort (lost if the peer is
  // unreachable), in call order per peer. Paced: at most
  // kBroadcastInTransportBytes of them wait in a peer's bus queue, so Raft
  // messages never queue behind a flood; the rest waits here, up to
  // kMaxBroadcastBacklogBytes per peer (beyond: dropped and counted in
  // Stats::broadcasts_dropped). Thread-safe.
  void Broadcast(const std::vector<uint64_t>& nodes, std::string payload);
  // Receives them (on the host thread); set once, from any thread.
  using BroadcastHandler = std::function<void(uint64_t from, std::string_view payload)>;
  void SetBroadcastHandler(BroadcastHandler h);

  // Fault injection (tests, fault harness): drop bus traffic with a peer.
  void SetPeerBlocked(uint64_t peer, bool blocked);

  struct Stats {
    uint64_t rounds = 0, flushes = 0, proposals = 0, reads = 0, snapshots_sent = 0,
             snapshots_installed = 0, compactions = 0;
    uint64_t broadcasts_dropped = 0;  // Broadcast payloads a peer's backlog had no room for
    // Async replication: times a replica found it had applied entries its
    // leader's log does not have and discarded them (resynced), and
    // resync data sent as leader.
    uint64_t resyncs = 0, resyncs_served = 0;
  };
  Stats stats() const;

 private:
  struct Group;
  struct Inbox;
  void Loop();
  void ScheduleRound();
  void Round();
  void Tick();
  void TakeInbox();
  bool ProcessReadies();
  void OnMessages(std::vector<Envelope>&& envs);
  void OnUnreachable(uint64_t peer);
  bool LeaderAckOnly(Group& g, const raft::Message& m) const;
  void ApplyCommitted(Group& g, std::vector<raft::Entry>& entries);
  void ApplyEntry(Group& g, const raft::Entry& e);
  int64_t MonotonicMs() const;
  void ApplySpeculatively(Group& g, int64_t now_ms, const std::vector<raft::Entry>& appended);
  void SkipOwnCommitted(Group& g);
  bool QuorumHeardRecently(Group& g, int64_t now_ms) const;
  void CheckDivergence(Group& g, const std::vector<raft::Entry>& entries);
  void StartResync(Group& g, raft::Index at, const char* why);
  void AskForResync(Group& g);
  void ServeResyncs(Group& g, std::map<uint64_t, std::vector<Envelope>>& by_peer);
  void OnResyncData(Group& g, const raft::Message& m, int64_t now_ms);
  void SendMessages(std::vector<raft::Message>& msgs, Group& g,
                    std::vector<std::vector<Envelope>>& by_peer);
  void Complete(asio::io_context* io, Done done, Outcome o, std::string reply);
  void PostCompletions();
  void FailReads(Group& g, Outcome o);
  void CheckTimeouts(int64_t now_ms);
  void CheckReplicaWaits(Group& g, int64_t now_ms);
  void MaybeCompact(Group& g);
  void MaybeHandBack(Group& g);
  void MaybeDrain(Group& g);
  void ProposeHeld(Group& g);
  void ProposeOne(Group& g, asio::io_context* io, Proposal&& p, int64_t now_ms);
  void UpdateInfo();
  void Announce();

  HostOptions options_;
  ClusterDefinition def_;
  storage::Keyspace* ks_;
  storage::StateMachine* sm_;
  Clock* clock_;
  storage::RaftStore store_;

  std::unique_ptr<std::atomic<uint64_t>[]> leaders_;
  std::unique_ptr<uint64_t[]> announced_terms_;  // host thread only
  std::unique_ptr<uint64_t[]> announced_tick_;   // host thread only
  uint64_t ticks_ = 0;                           // host thread only
  int64_t last_tick_ms_ = 0;                     // host thread only (monotonic)
  int64_t no_lease_until_ms_ = 0;                // host thread only: after a stall

  asio::io_context io_{1};
  std::unique_ptr<asio::steady_timer> tick_timer_;
  std::thread thread_;
  std::vector<std::unique_ptr<Group>> groups_;  // by shard; null: not a local replica
  std::unique_ptr<Transport> transport_;
  std::atomic<bool> round_scheduled_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> draining_{false};
  // Host thread: nodes announcing they drain, and the tick they last did.
  std::unordered_map<uint64_t, uint64_t> draining_peers_;

  std::mutex inbox_mu_;
  std::vector<Inbox> inbox_;  // guarded by inbox_mu_

  // Outcomes of this round, per worker io_context (host thread only).
  std::vector<std::pair<asio::io_context*, std::vector<std::function<void()>>>> completions_;

  std::mutex broadcast_mu_;
  BroadcastHandler broadcast_handler_;  // guarded by broadcast_mu_
  // Guarded by broadcast_mu_: payloads waiting for the host thread.
  std::vector<std::pair<std::vector<uint64_t>, std::string>> broadcast_out_;
  bool broadcast_scheduled_ = false;  // guarded by broadcast_mu_
  void SendBroadcasts();
  // Host thread: per peer, payloads not yet handed to the transport.
  struct Backlog {
    std::deque<std::shared_ptr<const std::string>> payloads;
    size_t bytes = 0;
    int64_t last_drop_log_ms = 0;
  };
  std::unordered_map<uint64_t, Backlog> backlog_;
  void PumpBroadcasts(uint64_t peer);

  mutable std::mutex info_mu_;
  std::vector<ShardInfo> info_;  // guarded by info_mu_
  Stats stats_;                  // guarded by info_mu_ (copied in UpdateInfo)
  Stats live_stats_;             // host thread only
};

}  // namespace shoal::cluster
