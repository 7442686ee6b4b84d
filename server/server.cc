#include "server/server.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <random>

#include "client/client.h"
#include "core/coding.h"
#include "core/keyslot.h"
#include "core/strutil.h"
#include "server/command.h"
#include "server/connection.h"
#include "server/notify.h"

namespace shoal::server {
namespace {

// How many expired keys one cron run deletes at most; the rest wait for the
// next run (keeps a run short, like Redis's active expire cycle).
constexpr size_t kMaxExpiredPerCron = 1000;

ClusterRedirect RedirectFrom(const std::string& mode) {
  if (mode == "moved") return ClusterRedirect::kMoved;
  if (mode == "forward") return ClusterRedirect::kForward;
  return ClusterRedirect::kAuto;
}

std::string RandomHex(size_t n) {
  std::random_device rd;
  std::mt19937_64 rng(rd());
  const char* digits = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = digits[rng() % 16];
  return out;
}

}  // namespace

Server::Server(config::ServerConfig config, storage::Keyspace* ks, storage::StateMachine* sm,
               cluster::Replicator* replicator, Clock* clock)
    : config_(std::move(config)),
      ks_(ks),
      sm_(sm),
      replicator_(replicator),
      clock_(clock),
      run_id_(RandomHex(40)),
      max_bulk_bytes_(config_.proto_max_bulk_len),
      query_buffer_limit_(config_.client_query_buffer_limit),
      max_multibulk_len_(config_.max_multibulk_len),
      auth_required_(!config_.requirepass.empty()),
      cluster_redirect_(RedirectFrom(config_.cluster_redirect)) {
  // Default: one worker per core but one, which is left to RocksDB's
  // flushes and compactions and the WAL syncer (docs/adr/005).
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  int n = config_.threads > 0 ? config_.threads : std::max(1, cores - 1);
  const size_t ncmds = CommandTable::Get().with_subcommands().size();
  for (int i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->id = i;
    w->cmd_stats = std::make_unique<CommandStat[]>(ncmds);
    w->replicator = replicator_;
    workers_.push_back(std::move(w));
  }
  start_time_ms_ = clock_->NowMs();
  blocking_ = std::make_unique<BlockingRegistry>();
  exec_runner_ = MakeExecRunner(*this);
  sm_->set_ready_listener(blocking_.get());
  sm_->set_exec_runner(exec_runner_.get());
  ApplyMessagingConfig();
}

void Server::ApplyMessagingConfig() {
  auto compat = [&](const char* name) -> std::string {
    auto it = config_.compat.find(name);
    if (it != config_.compat.end()) return it->second;
    return config::FindParam(name)->get(config_);
  };
  notify_flags_ = notify::ParseFlags(compat("notify-keyspace-events"));
  // "normal <h> <s> <sec> slave <h> <s> <sec> pubsub <h> <s> <sec>"
  std::string limits = compat("client-output-buffer-limit");
  std::vector<std::string> words;
  for (size_t pos = 0; pos < limits.size();) {
    size_t sp = limits.find(' ', pos);
    if (sp == std::string::npos) sp = limits.size();
    if (sp > pos) words.push_back(limits.substr(pos, sp - pos));
    pos = sp + 1;
  }
  for (size_t i = 0; i + 3 < words.size(); i += 4) {
    if (words[i] != "pubsub") continue;
    pubsub_hard_ = std::strtoull(words[i + 1].c_str(), nullptr, 10);
    pubsub_soft_ = std::strtoull(words[i + 2].c_str(), nullptr, 10);
    pubsub_soft_seconds_ = std::strtoll(words[i + 3].c_str(), nullptr, 10);
  }
}

namespace {

// A PUBLISH / SPUBLISH crossing the bus: [kind 'c' | 's'][channel][message]
// with a varint length before the channel.
std::string EncodePublish(bool shard, std::string_view channel, std::string_view message) {
  std::string out;
  out.reserve(channel.size() + message.size() + 8);
  out.push_back(shard ? 's' : 'c');
  PutLengthPrefixed(&out, channel);
  out.append(message);
  return out;
}

}  // namespace

int64_t Server::Publish(bool shard, std::string_view channel, std::string_view message) {
  int64_t n = pubsub_.Deliver(shard, channel, message);
  if (host_ == nullptr) return n;
  std::vector<uint64_t> to;
  if (shard) {
    to = host_->def().Replicas(host_->ShardOf(KeySlot(channel)));
  } else {
    for (const auto& node : host_->def().nodes()) to.push_back(node.id);
  }
  host_->Broadcast(to, EncodePublish(shard, channel, message));
  return n;
}

void Server::NotifyKeyspaceEvent(uint32_t type, std::string_view event, std::string_view key) {
  const uint32_t flags = notify_flags();
  if (!(flags & type)) return;
  stats_.keyspace_notifications.fetch_add(1, std::memory_order_relaxed);
  if (flags & notify::kKeyspace) {
    std::string channel = "__keyspace@0__:";
    channel.append(key);
    pubsub_.Deliver(false, channel, event);
  }
  if (flags & notify::kKeyevent) {
    std::string channel = "__keyevent@0__:";
    channel.append(event);
    pubsub_.Deliver(false, channel, key);
  }
}

void Worker::WaitForSync(std::shared_ptr<Connection> c) {
  awaiting_sync_.push_back(std::move(c));
  if (sync_scheduled_) return;
  sync_scheduled_ = true;
  asio::post(io, [this] { RunSync(); });
}

void Worker::Submit(cluster::Proposal p) {
  proposals_.push_back(std::move(p));
  if (submit_scheduled_) return;
  submit_scheduled_ = true;
  asio::post(io, [this] { FlushSubmissions(); });
}

void Worker::Submit(cluster::ReadRequest r) {
  reads_.push_back(std::move(r));
  if (submit_scheduled_) return;
  submit_scheduled_ = true;
  asio::post(io, [this] { FlushSubmissions(); });
}

void Worker::FlushSubmissions() {
  submit_scheduled_ = false;
  host->Submit(&io, std::move(proposals_), std::move(reads_));
  proposals_.clear();
  reads_.clear();
}

client::AsyncConnection* Worker::ForwardTo(uint64_t node, const std::string& password, bool resp3) {
  // One connection per node and protocol: replies pass through verbatim.
  const uint64_t slot = node * 2 + (resp3 ? 1 : 0);
  auto it = forwards_.find(slot);
  if (it != forwards_.end()) return it->second.get();
  const cluster::NodeAddress* addr = host->def().Node(node);
  if (addr == nullptr) return nullptr;
  client::AsyncOptions o;
  o.host = addr->host;
  o.port = addr->port;
  auto conn = client::AsyncConnection::Create(io, o);
  // The first commands on every (re)connection: authenticate, and say we
  // speak the cluster protocol, so a node that is not the leader answers
  // -MOVED (which we follow) instead of forwarding again.
  auto ignore = [](const Status&, std::string_view) {};
  if (!password.empty()) {
    conn->Send(client::Client::Encode({"AUTH", password}), ignore);
  }
  if (resp3) conn->Send(client::Client::Encode({"HELLO", "3"}), ignore);
  conn->Send(client::Client::Encode({"READWRITE"}), ignore);
  return forwards_.emplace(slot, std::move(conn)).first->second.get();
}

void Worker::DropForward(uint64_t node) {
  for (uint64_t slot : {node * 2, node * 2 + 1}) {
    auto it = forwards_.find(slot);
    if (it == forwards_.end()) continue;
    auto conn = std::move(it->second);
    forwards_.erase(it);
    conn->Close();
  }
}

void Server::set_host(cluster::Host* host) {
  host_ = host;
  for (auto& w : workers_) w->host = host;
  if (host == nullptr) return;
  // Messages published on other nodes, delivered to this node's
  // subscribers.
  host->SetBroadcastHandler([this](uint64_t from, std::string_view payload) {
    if (payload.empty()) return;
    const bool shard = payload[0] == 's';
    payload.remove_prefix(1);
    auto channel = GetLengthPrefixed(&payload);
    if (!channel) {
      spdlog::warn("dropped a malformed pub/sub message from node {}", from);
      return;
    }
    pubsub_.Deliver(shard, *channel, payload);
  });
}

void Worker::RunSync() {
  sync_scheduled_ = false;
  std::vector<std::shared_ptr<Connection>> waiting;
  waiting.swap(awaiting_sync_);
  // This thread's writes (all the waiters') reach RocksDB and the WAL in
  // one go.
  Status s = replicator->Sync();
  for (auto& c : waiting) c->AfterSync(s);
}

std::string Server::config_requirepass() {
  std::lock_guard<std::mutex> g(config_mu_);
  return config_.requirepass;
}

Server::~Server() {
  sm_->set_ready_listener(nullptr);
  sm_->set_exec_runner(nullptr);
  Shutdown();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  if (sync_thread_.joinable()) sync_thread_.join();
}

Status Server::Listen() {
  auto& io = workers_[0]->io;
  std::error_code ec;
  auto addr = asio::ip::make_address(config_.bind, ec);
  if (ec) return Status::InvalidArgument("bind: bad address '" + config_.bind + "'");
  asio::ip::tcp::endpoint ep(addr, static_cast<uint16_t>(config_.port));
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(io);
  acceptor_->open(ep.protocol(), ec);
  if (!ec) acceptor_->set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(ep, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IoError("cannot listen on " + config_.bind + ":" + std::to_string(config_.port) +
                           ": " + ec.message());
  }
  bound_port_ = acceptor_->local_endpoint().port();
  return Status::Ok();
}

void Server::Run() {
  Accept();
  cron_timer_ = std::make_unique<asio::steady_timer>(workers_[0]->io);
  ScheduleCron();
  signals_ = std::make_unique<asio::signal_set>(workers_[0]->io, SIGINT, SIGTERM);
  signals_->async_wait([this](const std::error_code& ec, int sig) {
    if (ec) return;
    spdlog::warn("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    Shutdown();
  });
  if (config().appendfsync == "everysec") sync_thread_ = std::thread([this] { SyncLoop(); });
  for (size_t i = 1; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([w] {
      auto guard = asio::make_work_guard(w->io);
      w->io.run();
    });
  }
  {
    auto guard = asio::make_work_guard(workers_[0]->io);
    // The work guards keep idle workers alive until Shutdown stops them.
    workers_[0]->io.run();
  }
  for (size_t i = 1; i < workers_.size(); ++i) {
    if (workers_[i]->thread.joinable()) workers_[i]->thread.join();
  }
  {
    std::lock_guard<std::mutex> g(sync_mu_);
    sync_cv_.notify_all();
  }
  if (sync_thread_.joinable()) sync_thread_.join();
  auto s = ks_->engine()->SyncWal();
  if (!s.ok()) spdlog::error("final WAL sync failed: {}", s.ToString());
  spdlog::info("server stopped");
}

void Server::Shutdown() {
  if (stopping_.exchange(true)) return;
  asio::post(workers_[0]->io, [this] {
    std::error_code ec;
    if (acceptor_) acceptor_->close(ec);
    if (cron_timer_) cron_timer_->cancel();
    if (signals_) signals_->cancel(ec);
    for (auto& c : Clients()) c->Kill();
    // Let the kills run, then stop every loop.
    for (auto& w : workers_) {
      asio::post(w->io, [w = w.get()] { w->io.stop(); });
    }
  });
  std::lock_guard<std::mutex> g(sync_mu_);
  sync_cv_.notify_all();
}

void Server::Accept() {
  Worker& target = *workers_[next_worker_];
  next_worker_ = (next_worker_ + 1) % workers_.size();
  acceptor_->async_accept(target.io, [this, &target](const std::error_code& ec,
                                                     asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      stats_.connections_received.fetch_add(1, std::memory_order_relaxed);
      int64_t maxclients = 0;
      {
        std::lock_guard<std::mutex> g(config_mu_);
        maxclients = config_.maxclients;
      }
      if (static_cast<int64_t>(client_count()) >= maxclients) {
        stats_.rejected_connections.fetch_add(1, std::memory_order_relaxed);
        std::error_code wec;
        asio::write(socket,
                    asio::buffer(std::string_view("-ERR max number of clients reached\r\n")), wec);
        socket.close(wec);
      } else {
        std::error_code kec;
        socket.set_option(asio::socket_base::keep_alive(config().tcp_keepalive_s > 0), kec);
        auto conn = std::make_shared<Connection>(*this, target, std::move(socket));
        Register(conn);
        asio::post(target.io, [conn] { conn->Start(); });
      }
    }
    if (!stopping_) Accept();
  });
}

void Server::ScheduleCron() {
  int hz = std::max(1, config().hz);
  cron_timer_->expires_after(std::chrono::milliseconds(1000 / hz));
  cron_timer_->async_wait([this](const std::error_code& ec) {
    if (ec || stopping_) return;
    Cron();
    ScheduleCron();
  });
}

void Server::Cron() {
  int64_t now = clock_->NowMs();
  // Cluster mode: clients blocked on keys of shards this node holds no
  // replica of see no applies; a retry a second serves them.
  if (host_ != nullptr && blocking_->waiting() > 0 && now - last_kick_ms_ >= 1000) {
    last_kick_ms_ = now;
    blocking_->KickAll([this](const std::string& key) {
      return !host_->HoldsShard(host_->ShardOf(KeySlot(key)));
    });
  }
  // Expired keys are deleted through the log (DESIGN.md §3): keys that
  // reads found expired first, then the oldest entries of the expiry index.
  std::vector<std::string> keys = ks_->TakeNotedExpired();
  std::function<bool(uint16_t)> led;
  if (host_ != nullptr) {
    // Only a shard's leader expires its keys (followers apply the deletes).
    led = [this](uint16_t slot) { return host_->LeadsShard(host_->ShardOf(slot)); };
    std::erase_if(keys, [&](const std::string& k) { return !led(KeySlot(k)); });
  }
  if (keys.size() < kMaxExpiredPerCron) {
    auto due = ks_->CollectExpired(now, kMaxExpiredPerCron - keys.size(), led);
    if (due.ok()) {
      for (auto& k : *due) keys.push_back(std::move(k));
    } else {
      spdlog::error("active expiry scan failed: {}", due.status().ToString());
    }
  }
  auto expire_op = [now](const std::string& k) {
    storage::Op op;
    op.code = storage::OpCode::kExpireIfDue;
    op.now_ms = now;
    op.args.push_back(k);
    return op;
  };
  if (host_ != nullptr && !keys.empty()) {
    std::vector<cluster::Proposal> props;
    for (const auto& k : keys) {
      storage::Op op = expire_op(k);
      cluster::Proposal p;
      p.shard = host_->ShardOf(KeySlot(k));
      p.op = storage::EncodeOp(op);
      p.done = [this, key = k](cluster::Outcome o, const std::string& reply) {
        if (o == cluster::Outcome::kOk && reply == ":1\r\n") {
          stats_.expired_keys.fetch_add(1, std::memory_order_relaxed);
          NotifyKeyspaceEvent(notify::kExpired, "expired", key);
        }
      };
      props.push_back(std::move(p));
    }
    host_->Submit(&workers_[0]->io, std::move(props), {});
  } else if (!keys.empty()) {
    std::string reply;
    resp::Writer w(&reply);
    uint64_t deleted = 0;
    for (const auto& k : keys) {
      storage::Op op = expire_op(k);
      reply.clear();
      replicator_->Propose(op, &w);
      if (reply == ":1\r\n") {
        ++deleted;
        NotifyKeyspaceEvent(notify::kExpired, "expired", k);
      }
    }
    auto s = replicator_->Sync();
    if (!s.ok()) spdlog::error("WAL flush after expiry failed: {}", s.ToString());
    stats_.expired_keys.fetch_add(deleted, std::memory_order_relaxed);
  }
  int64_t timeout_s = config().timeout_s;
  if (timeout_s > 0) {
    for (auto& c : Clients()) {
      if (now - c->Info().last_active_ms > timeout_s * 1000) {
        spdlog::info("closing client {}: idle for more than {} s (timeout)", c->id(), timeout_s);
        c->Kill();
      }
    }
  }
  if (now - last_ops_time_ms_ >= 1000) {
    uint64_t total = stats_.commands_processed.load(std::memory_order_relaxed);
    uint64_t elapsed = static_cast<uint64_t>(now - last_ops_time_ms_);
    stats_.ops_last_second =
        last_ops_time_ms_ == 0 ? 0 : (total - last_ops_count_) * 1000 / elapsed;
    last_ops_count_ = total;
    last_ops_time_ms_ = now;
  }
}

void Server::SyncLoop() {
  // appendfsync everysec: writes reach the OS before their replies; this
  // fsyncs them at most a second later.
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (!stopping_) {
    sync_cv_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) break;
    if (ks_->engine()->dirty()) {
      auto s = ks_->engine()->SyncWal();
      if (!s.ok()) spdlog::error("background WAL fsync failed: {}", s.ToString());
    }
  }
}

config::ServerConfig Server::config() {
  std::lock_guard<std::mutex> g(config_mu_);
  return config_;
}

Status Server::SetConfig(std::span<const std::pair<std::string_view, std::string_view>> changes) {
  std::lock_guard<std::mutex> g(config_mu_);
  config::ServerConfig next = config_;
  auto failed = [](std::string_view name, const std::string& why) {
    // Redis's wording; the reason is what follows the parser's " - ".
    auto dash = why.rfind(" - ");
    std::string reason = dash == std::string::npos ? why : why.substr(dash + 3);
    return Status::InvalidArgument("CONFIG SET failed (possibly related to argument '" +
                                   ToLower(name) + "') - " + reason);
  };
  std::vector<std::string> seen;
  for (auto [name, value] : changes) {
    const config::Param* p = config::FindParam(name);
    if (p == nullptr) {
      return Status::InvalidArgument("Unknown option or number of arguments for CONFIG SET - '" +
                                     std::string(name) + "'");
    }
    if (std::find(seen.begin(), seen.end(), p->name) != seen.end()) {
      return failed(name, "duplicate parameter");
    }
    seen.push_back(p->name);
    auto s = config::SetParamAtRuntime(next, name, value);
    if (!s.ok()) return failed(name, s.message());
  }
  auto s = config::Validate(next);
  if (!s.ok()) return failed(changes.front().first, s.message());
  config_ = next;
  // Apply what changed to the running parts.
  max_bulk_bytes_ = config_.proto_max_bulk_len;
  query_buffer_limit_ = config_.client_query_buffer_limit;
  max_multibulk_len_ = config_.max_multibulk_len;
  auth_required_ = !config_.requirepass.empty();
  cluster_redirect_ = RedirectFrom(config_.cluster_redirect);
  ApplyMessagingConfig();
  sm_->options().max_string_bytes = config_.proto_max_bulk_len;
  auto* cs = ks_->cache_settings();
  if (auto p = storage::ParseEvictionPolicy(config_.maxmemory_policy)) cs->policy = *p;
  cs->lfu_log_factor = config_.lfu_log_factor;
  cs->lfu_decay_time_min = config_.lfu_decay_time_min;
  if (ks_->maxmemory() != config_.maxmemory_bytes) {
    ks_->SetMaxMemory(config_.maxmemory_bytes, clock_->NowMs());
  }
  for (auto [name, value] : changes) {
    spdlog::info("CONFIG SET {} = {}", name, config::FindParam(name)->get(config_));
  }
  return Status::Ok();
}

bool Server::CheckPassword(std::string_view password) {
  std::lock_guard<std::mutex> g(config_mu_);
  return !config_.requirepass.empty() && password == config_.requirepass;
}

void Server::Register(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> g(clients_mu_);
  clients_[c->id()] = c;
}

void Server::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> g(clients_mu_);
  clients_.erase(id);
}

std::vector<std::shared_ptr<Connection>> Server::Clients() {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> g(clients_mu_);
  out.reserve(clients_.size());
  for (auto& [id, weak] : clients_) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return out;
}

size_t Server::client_count() {
  std::lock_guard<std::mutex> g(clients_mu_);
  return clients_.size();
}

Server::CommandTotals Server::TotalsFor(size_t index) const {
  CommandTotals t{0, 0, 0, 0};
  for (const auto& w : workers_) {
    const CommandStat& s = w->cmd_stats[index];
    t.calls += s.calls.load(std::memory_order_relaxed);
    t.usec += s.usec.load(std::memory_order_relaxed);
    t.rejected += s.rejected.load(std::memory_order_relaxed);
    t.failed += s.failed.load(std::memory_order_relaxed);
  }
  return t;
}

void Server::ResetStats() {
  const size_t n = CommandTable::Get().with_subcommands().size();
  for (auto& w : workers_) {
    for (size_t i = 0; i < n; ++i) {
      w->cmd_stats[i].calls = 0;
      w->cmd_stats[i].usec = 0;
      w->cmd_stats[i].rejected = 0;
      w->cmd_stats[i].failed = 0;
    }
  }
  stats_.connections_received = 0;
  stats_.rejected_connections = 0;
  stats_.commands_processed = 0;
  stats_.expired_keys = 0;
  stats_.net_input_bytes = 0;
  stats_.net_output_bytes = 0;
  stats_.error_replies = 0;
  stats_.protocol_errors = 0;
  ks_->ResetStats();
}

}  // namespace shoal::server
