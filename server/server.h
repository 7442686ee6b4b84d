// shoal-server's process: worker threads with one asio::io_context each,
// the acceptor, the connection registry, server-wide statistics and the
// periodic tasks (active expiry, WAL sync for `appendfsync everysec`).
//
// Thread-safety: the connection registry and the config are guarded by
// mutexes named below; statistics are atomics or per-worker; everything
// else is set before Run() and read-only after.
#pragma once

#include <asio.hpp>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/async_connection.h"
#include "cluster/host.h"
#include "cluster/replicator.h"
#include "config/config.h"
#include "core/clock.h"
#include "server/blocking.h"
#include "server/pubsub.h"
#include "storage/keyspace.h"
#include "storage/state_machine.h"

namespace shoal::server {

class Connection;
// Runs EXEC ops (server/transaction.cc).
std::unique_ptr<storage::ExecRunner> MakeExecRunner(class Server& server);

// Where a node that does not lead a key's shard sends the command.
enum class ClusterRedirect : uint8_t {
  kAuto,     // -MOVED for cluster clients, forwarded for the others
  kMoved,    // always -MOVED (Redis Cluster's behaviour)
  kForward,  // always forwarded
};

// Per-command counters of one worker (single writer: that worker).
struct CommandStat {
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> usec{0};
  std::atomic<uint64_t> rejected{0};
  std::atomic<uint64_t> failed{0};
};

// A worker thread and its event loop. Everything but `thread` is used only
// on the worker's own thread.
struct Worker {
  int id = 0;
  asio::io_context io{1};
  std::thread thread;
  std::unique_ptr<CommandStat[]> cmd_stats;
  cluster::Replicator* replicator = nullptr;

  // Queues `c` for the worker's next group flush, scheduling it behind the
  // handlers that are ready now; after it, each waiter's AfterSync runs.
  void WaitForSync(std::shared_ptr<Connection> c);

  // Cluster mode: the proposals and reads of this worker's round go to the
  // host in one Submit, behind the handlers that are ready now.
  cluster::Host* host = nullptr;
  void Submit(cluster::Proposal p);
  void Submit(cluster::ReadRequest r);
  // The pipelined connection this worker forwards commands to `node` on;
  // null when the node is unknown.
  client::AsyncConnection* ForwardTo(uint64_t node, const std::string& password, bool resp3);
  // Forgets a failed forwarding connection (the next one handshakes anew).
  void DropForward(uint64_t node);

 private:
  void RunSync();
  void FlushSubmissions();
  std::vector<cluster::Proposal> proposals_;
  std::vector<cluster::ReadRequest> reads_;
  bool submit_scheduled_ = false;
  std::unordered_map<uint64_t, std::shared_ptr<client::AsyncConnection>> forwards_;
  std::vector<std::shared_ptr<Connection>> awaiting_sync_;
  bool sync_scheduled_ = false;
};

struct ServerStats {
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> commands_processed{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> error_replies{0};
  std::atomic<uint64_t> protocol_errors{0};
  std::atomic<uint64_t> ops_last_second{0};  // instantaneous_ops_per_sec
  std::atomic<uint64_t> output_limit_disconnections{0};
  std::atomic<uint64_t> keyspace_notifications{0};
};

// client-output-buffer-limit of one client class; 0 = no limit.
struct OutputLimit {
  size_t hard = 0;
  size_t soft = 0;
  int64_t soft_seconds = 0;
};

class Server {
 public:
  Server(config::ServerConfig config, storage::Keyspace* ks, storage::StateMachine* sm,
         cluster::Replicator* replicator, Clock* clock);
  ~Server();

  // Binds the listening socket (so callers learn of a busy port at once).
  Status Listen();
  // Runs until Shutdown(); blocks the calling thread.
  void Run();
  // Thread-safe; returns at once. Run() returns when everything stopped.
  void Shutdown();

  storage::Keyspace& keyspace() { return *ks_; }
  // The cluster host, or null on a single node. Set before Run().
  cluster::Host* host() { return host_; }
  void set_host(cluster::Host* host);
  storage::StateMachine& state_machine() { return *sm_; }
  BlockingRegistry& blocking() { return *blocking_; }
  PubSubHub& pubsub() { return pubsub_; }
  OutputLimit pubsub_output_limit() const {
    return {pubsub_hard_.load(std::memory_order_relaxed),
            pubsub_soft_.load(std::memory_order_relaxed),
            pubsub_soft_seconds_.load(std::memory_order_relaxed)};
  }
  // notify-keyspace-events as flag bits (server/notify.h); 0 = off.
  uint32_t notify_flags() const { return notify_flags_.load(std::memory_order_relaxed); }
  // Delivers a keyspace event to this node's subscribers (both channels
  // as the flags ask).
  void NotifyKeyspaceEvent(uint32_t type, std::string_view event, std::string_view key);
  // PUBLISH / SPUBLISH from this node: local subscribers now, then the
  // other nodes (all of them, or the shard's replicas) over the bus.
  // Returns the local receivers.
  int64_t Publish(bool shard, std::string_view channel, std::string_view message);
  storage::ExecRunner& exec_runner() { return *exec_runner_; }
  cluster::Replicator& replicator() { return *replicator_; }
  Clock& clock() { return *clock_; }
  ServerStats& stats() { return stats_; }
  const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
  int port() const { return bound_port_; }
  int64_t start_time_ms() const { return start_time_ms_; }
  std::string run_id() const { return run_id_; }
  uint64_t NextClientId() { return next_client_id_.fetch_add(1) + 1; }

  // Config access (guarded by config_mu_).
  config::ServerConfig config();
  // CONFIG SET: validates, stores and applies runtime-mutable parameters,
  // all or none. Errors are Redis's CONFIG SET texts (without "ERR ").
  Status SetConfig(std::span<const std::pair<std::string_view, std::string_view>> changes);
  // Limits read on hot paths without the lock.
  int64_t max_bulk_bytes() const { return max_bulk_bytes_.load(std::memory_order_relaxed); }
  int64_t query_buffer_limit() const { return query_buffer_limit_.load(std::memory_order_relaxed); }
  int64_t max_multibulk_len() const { return max_multibulk_len_.load(std::memory_order_relaxed); }
  bool auth_required() const { return auth_required_.load(std::memory_order_relaxed); }
  ClusterRedirect cluster_redirect() const {
    return cluster_redirect_.load(std::memory_order_relaxed);
  }
  std::string config_requirepass();
  bool CheckPassword(std::string_view password);

  // Connection registry (guarded by clients_mu_).
  void Register(const std::shared_ptr<Connection>& c);
  void Unregister(uint64_t id);
  std::vector<std::shared_ptr<Connection>> Clients();
  size_t client_count();

  // Sums the per-worker counters of command `index`.
  struct CommandTotals {
    uint64_t calls, usec, rejected, failed;
  };
  CommandTotals TotalsFor(size_t index) const;
  void ResetStats();

 private:
  void Accept();
  void ScheduleCron();
  void Cron();
  void SyncLoop();

  config::ServerConfig config_;  // guarded by config_mu_
  std::mutex config_mu_;
  storage::Keyspace* ks_;
  storage::StateMachine* sm_;
  std::unique_ptr<BlockingRegistry> blocking_;
  PubSubHub pubsub_;
  std::atomic<size_t> pubsub_hard_{0};
  std::atomic<size_t> pubsub_soft_{0};
  std::atomic<int64_t> pubsub_soft_seconds_{0};
  std::atomic<uint32_t> notify_flags_{0};
  // Reads the pub/sub limits and notify-keyspace-events from config_
  // (config_mu_ held or not yet shared).
  void ApplyMessagingConfig();
  std::unique_ptr<storage::ExecRunner> exec_runner_;
  int64_t last_kick_ms_ = 0;
  cluster::Replicator* replicator_;
  cluster::Host* host_ = nullptr;
  Clock* clock_;
  ServerStats stats_;

  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::unique_ptr<asio::steady_timer> cron_timer_;
  std::unique_ptr<asio::signal_set> signals_;
  size_t next_worker_ = 0;
  int bound_port_ = 0;
  int64_t start_time_ms_ = 0;
  std::string run_id_;
  uint64_t last_ops_count_ = 0;
  int64_t last_ops_time_ms_ = 0;

  std::atomic<uint64_t> next_client_id_{0};
  std::atomic<int64_t> max_bulk_bytes_;
  std::atomic<int64_t> query_buffer_limit_;
  std::atomic<int64_t> max_multibulk_len_;
  std::atomic<bool> auth_required_{false};
  std::atomic<ClusterRedirect> cluster_redirect_;
  std::atomic<bool> stopping_{false};

  std::mutex clients_mu_;
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> clients_;  // guarded by clients_mu_

  std::thread sync_thread_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
};

}  // namespace shoal::server
