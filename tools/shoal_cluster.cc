// shoal-cluster: starts, inspects and breaks a local shoal cluster
// (DESIGN.md §7). Every subcommand but `up` reads DIR/cluster.conf, so it
// needs only --dir. See `shoal-cluster --help` and
// tools/shoal_cluster_proc.h for the directory layout.
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/shoal_cluster_proc.h"
#include "tools/shoal_cluster_status.h"

namespace shoal::tools {
namespace {

namespace fs = std::filesystem;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr milliseconds kQueryTimeout{2000};  // status, watch, leader
constexpr milliseconds kStartupProbe{1000};  // one probe while waiting in up/restart
constexpr milliseconds kStartupPoll{200};    // between such probes
constexpr milliseconds kStopTimeout{10000};  // SIGTERM before giving up (stop) / SIGKILL (down)
constexpr milliseconds kKillTimeout{5000};   // SIGKILL until the process is gone
constexpr int kLogTailLines = 30;
constexpr int kBusPortOffset = 10000;  // DESIGN.md §5: bus on client port + 10000

struct UpOptions {
  int nodes = 0;
  int shards = 0;    // 0 = nodes
  int replicas = 0;  // 0 = min(3, nodes)
  int base_port = 7001;
  std::string server;  // "" = FindDefaultServer()
  std::string replication = "sync";
  int timeout_s = 30;
  std::vector<std::string> extra_args;
};

std::string AbsoluteDir(const std::string& dir) {
  std::error_code ec;
  std::string abs = fs::absolute(dir, ec).lexically_normal().string();
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  return abs;
}

int Fail(const std::string& msg) {
  std::cerr << "shoal-cluster: " << msg << "\n";
  return 1;
}

// Reads the cluster of `dir`, or explains on stderr why not.
std::optional<ClusterConfig> LoadOrComplain(const std::string& dir) {
  auto cfg = ReadClusterConfig(AbsoluteDir(dir));
  if (!cfg.ok()) {
    Fail(cfg.status().message());
    return std::nullopt;
  }
  return std::move(cfg).value();
}

bool ValidNode(const ClusterConfig& cfg, int node) {
  if (node >= 1 && node <= cfg.nodes) return true;
  Fail("no node " + std::to_string(node) + " (nodes are 1.." + std::to_string(cfg.nodes) + ")");
  return false;
}

void PrintLogTail(const ClusterConfig& cfg, int node) {
  std::cerr << "--- last lines of " << cfg.LogPath(node) << " ---\n"
            << TailFile(cfg.LogPath(node), kLogTailLines) << "---\n";
}

// Waits until every node in `pending` answers PING and, if require_ok, its
// INFO cluster says cluster_state:ok (a node that reports no cluster_state
// at all is taken as ready, with a warning: a server without cluster
// support). Nodes in `children` were started by this process: their early
// exit is noticed at once. On failure, explains on stderr and returns false.
bool WaitReady(const ClusterConfig& cfg, std::vector<int> pending,
               const std::map<int, pid_t>& children, bool require_ok, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::map<int, std::string> last_seen;
  while (true) {
    for (const auto& [node, pid] : children) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) != pid) continue;
      std::string how = WIFEXITED(status)
                            ? "exited with status " + std::to_string(WEXITSTATUS(status))
                            : "was killed by signal " + std::to_string(WTERMSIG(status));
      Fail("node " + std::to_string(node) + " (pid " + std::to_string(pid) + ") " + how +
           " while starting");
      PrintLogTail(cfg, node);
      return false;
    }
    std::vector<int> still;
    for (int node : pending) {
      ProcState proc = ProbeNode(cfg, node).state;
      if (proc == ProcState::kPaused) {
        std::string n = std::to_string(node);
        std::string msg = "node " + n + " is paused; resume it: shoal-cluster resume ";
        msg += n + " --dir " + cfg.dir;
        Fail(msg);
        return false;
      }
      // Children are watched by waitpid above; a probe could miss them
      // between fork and exec.
      if (proc == ProcState::kDown && children.count(node) == 0) {
        Fail("node " + std::to_string(node) + " stopped while waiting");
        PrintLogTail(cfg, node);
        return false;
      }
      auto texts = QueryNode(cfg.Port(node), {{"PING"}, {"INFO", "cluster"}}, kStartupProbe);
      if (!texts.ok()) {
        last_seen[node] = texts.status().message();
        still.push_back(node);
        continue;
      }
      auto state = InfoField((*texts)[1], "cluster_state");
      if (!require_ok) continue;
      if (!state) {
        std::cerr << "warning: node " << node
                  << " reports no cluster_state in INFO cluster; not waiting for it\n";
      } else if (*state != "ok") {
        last_seen[node] = "cluster_state:" + *state;
        still.push_back(node);
      }
    }
    pending = std::move(still);
    if (pending.empty()) return true;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(kStartupPoll);
  }
  std::string msg = "timed out after " + std::to_string(timeout.count() / 1000) + " s waiting for";
  for (int node : pending) msg += " node " + std::to_string(node) + " (" + last_seen[node] + ")";
  Fail(msg);
  PrintLogTail(cfg, pending.front());
  return false;
}

// "shards 3 -> 4, extra args [] -> [--x]": how `now` differs from `old`.
std::string DescribeDiff(const ClusterConfig& old, const ClusterConfig& now) {
  std::string diff;
  auto add = [&diff](const char* what, const std::string& a, const std::string& b) {
    if (a == b) return;
    if (!diff.empty()) diff += ", ";
    diff += std::string(what) + " " + a + " -> " + b;
  };
  auto args = [](const ClusterConfig& c) {
    std::string s;
    for (const auto& a : c.extra_args) s += (s.empty() ? "" : " ") + a;
    return "[" + s + "]";
  };
  add("nodes", std::to_string(old.nodes), std::to_string(now.nodes));
  add("shards", std::to_string(old.shards), std::to_string(now.shards));
  add("replicas", std::to_string(old.replicas), std::to_string(now.replicas));
  add("base port", std::to_string(old.base_port), std::to_string(now.base_port));
  add("server", old.server, now.server);
  add("replication", old.replication, now.replication);
  add("extra args", args(old), args(now));
  return diff;
}

// Checks that `up` may use cfg.dir; fills `running` with nodes already up.
Status CheckDirForUp(const ClusterConfig& cfg, std::vector<int>* running) {
  auto old = ReadClusterConfig(cfg.dir);
  std::error_code ec;
  if (!old.ok()) {
    if (old.status().code() != Status::Code::kNotFound) return old.status();
    // `down --wipe` deletes the whole directory: never adopt a foreign one.
    if (fs::exists(cfg.dir, ec) && !fs::is_empty(cfg.dir, ec)) {
      return Status::InvalidArgument(
          cfg.dir + " is not empty and holds no cluster.conf; choose another --dir");
    }
    return Status::Ok();
  }
  for (int i = 1; i <= old->nodes; ++i) {
    if (ProbeNode(*old, i).state != ProcState::kDown) running->push_back(i);
  }
  if (old->SameAs(cfg)) return Status::Ok();
  if (!running->empty()) {
    return Status::InvalidArgument("a cluster with other settings (" + DescribeDiff(*old, cfg) +
                                   ") is running in " + cfg.dir +
                                   "; stop it first: shoal-cluster down --dir " + cfg.dir);
  }
  if (old->nodes != cfg.nodes || old->shards != cfg.shards || old->replicas != cfg.replicas) {
    return Status::InvalidArgument(
        cfg.dir + " holds the data of a cluster with " + std::to_string(old->nodes) + " nodes, " +
        std::to_string(old->shards) + " shards, " + std::to_string(old->replicas) +
        " replicas; use the same shape, another --dir, or: shoal-cluster down --wipe --dir " +
        cfg.dir);
  }
  return Status::Ok();
}

int CmdUp(const std::string& dir, const UpOptions& o) {
  ClusterConfig cfg;
  cfg.dir = AbsoluteDir(dir);
  cfg.nodes = o.nodes;
  cfg.shards = o.shards > 0 ? o.shards : o.nodes;
  cfg.replicas = o.replicas > 0 ? o.replicas : std::min(3, o.nodes);
  cfg.base_port = o.base_port;
  cfg.replication = o.replication;
  cfg.extra_args = o.extra_args;
  if (cfg.replicas > cfg.nodes) return Fail("--replicas cannot exceed the number of nodes");
  if (cfg.base_port + cfg.nodes - 1 + kBusPortOffset > 65535) {
    return Fail("ports too high: node ports plus " + std::to_string(kBusPortOffset) +
                " (the node bus) must stay below 65536");
  }
  auto server = o.server.empty() ? FindDefaultServer() : ResolveServer(o.server);
  if (!server.ok()) return Fail(server.status().message());
  cfg.server = *server;

  std::vector<int> running;
  Status dir_ok = CheckDirForUp(cfg, &running);
  if (!dir_ok.ok()) return Fail(dir_ok.message());
  std::vector<int> to_start;
  for (int i = 1; i <= cfg.nodes; ++i) {
    if (std::find(running.begin(), running.end(), i) != running.end()) continue;
    for (int port : {cfg.Port(i), cfg.Port(i) + kBusPortOffset}) {
      if (PortInUse(port)) {
        return Fail("port " + std::to_string(port) + " (node " + std::to_string(i) +
                    ") is in use; choose another --base-port");
      }
    }
    to_start.push_back(i);
  }
  if (!running.empty()) {
    std::cout << "already running:";
    for (int i : running) std::cout << " node " << i;
    std::cout << (to_start.empty() ? "" : "; starting the others") << "\n";
  }
  Status s = WriteClusterConfig(cfg);
  if (!s.ok()) return Fail(s.message());

  std::map<int, pid_t> children;
  for (int i : to_start) {
    auto pid = SpawnNode(cfg, i);
    if (!pid.ok()) return Fail(pid.status().message());
    children[i] = *pid;
  }
  std::vector<int> all(cfg.nodes);
  for (int i = 0; i < cfg.nodes; ++i) all[i] = i + 1;
  if (!WaitReady(cfg, all, children, /*require_ok=*/true, seconds(o.timeout_s))) {
    std::cerr << "nodes that started are left running for inspection; stop them with: "
                 "shoal-cluster down --dir "
              << cfg.dir << "\n";
    return 1;
  }
  std::cout << "shoal cluster up: " << cfg.nodes << " nodes, " << cfg.shards << " shards, "
            << cfg.replicas << " replicas, data in " << cfg.dir << "\n";
  for (int i = 1; i <= cfg.nodes; ++i) {
    std::cout << "  node " << i << "  127.0.0.1:" << cfg.Port(i) << "  pid "
              << ProbeNode(cfg, i).pid << "\n";
  }
  int p = cfg.base_port;
  std::cout << "connect:\n"
            << "  redis-cli -c -p " << p << "                  # cluster-aware (follows MOVED)\n"
            << "  redis-cli -p " << p << "                     # plain; nodes forward to leaders\n"
            << "  redis-benchmark --cluster -p " << p << " -q\n"
            << "  shoal-cluster status --dir " << cfg.dir << "\n"
            << "stop: shoal-cluster down --dir " << cfg.dir << "   (--wipe also deletes data)\n";
  return 0;
}

int CmdStatus(const std::string& dir) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg) return 1;
  std::cout << RenderStatus(*cfg, CollectReports(*cfg, kQueryTimeout));
  return 0;
}

int CmdWatch(const std::string& dir, int interval_ms, int count) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg) return 1;
  bool tty = ::isatty(STDOUT_FILENO) != 0;
  for (int i = 0; count == 0 || i < count; ++i) {
    if (i > 0) std::this_thread::sleep_for(milliseconds(interval_ms));
    std::string text = RenderStatus(*cfg, CollectReports(*cfg, kQueryTimeout));
    std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%H:%M:%S", std::localtime(&now));
    // On a terminal, redraw in place; elsewhere (tests, logs), separate.
    std::cout << (tty ? "\x1b[H\x1b[2J" : (i > 0 ? "\n" : "")) << stamp << "  every " << interval_ms
              << " ms (Ctrl-C to stop)\n"
              << text << std::flush;
  }
  return 0;
}

// kill / pause / resume: one signal, then wait for its visible effect.
int CmdSignal(const std::string& dir, int node, int sig) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg || !ValidNode(*cfg, node)) return 1;
  Status s = SignalNode(*cfg, node, sig);
  if (!s.ok()) return Fail(s.message());
  if (sig == SIGKILL && !WaitNodeDown(*cfg, node, kKillTimeout)) {
    return Fail("node " + std::to_string(node) + " is still alive after SIGKILL");
  }
  if (sig == SIGSTOP) {
    auto deadline = std::chrono::steady_clock::now() + kKillTimeout;
    while (ProbeNode(*cfg, node).state == ProcState::kRunning &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  const char* verb = sig == SIGKILL ? "killed" : sig == SIGSTOP ? "paused" : "resumed";
  std::cout << "node " << node << " " << verb << "\n";
  return 0;
}

// SIGTERM (and SIGCONT, so a paused node can act on it) to `nodes`; true
// once all are gone within `timeout`.
bool TerminateNodes(const ClusterConfig& cfg, const std::vector<int>& nodes, milliseconds timeout) {
  for (int node : nodes) {
    (void)SignalNode(cfg, node, SIGTERM);
    (void)SignalNode(cfg, node, SIGCONT);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all_down = true;
  for (int node : nodes) {
    auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    all_down = WaitNodeDown(cfg, node, std::max(left, milliseconds(0))) && all_down;
  }
  return all_down;
}

int CmdStop(const std::string& dir, int node) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg || !ValidNode(*cfg, node)) return 1;
  if (ProbeNode(*cfg, node).state == ProcState::kDown) {
    return Fail("node " + std::to_string(node) + " is not running");
  }
  if (!TerminateNodes(*cfg, {node}, kStopTimeout)) {
    return Fail("node " + std::to_string(node) + " is still running " +
                std::to_string(kStopTimeout.count() / 1000) +
                " s after SIGTERM; use: shoal-cluster kill " + std::to_string(node));
  }
  std::cout << "node " << node << " stopped\n";
  return 0;
}

int CmdRestart(const std::string& dir, int node, int timeout_s) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg || !ValidNode(*cfg, node)) return 1;
  if (ProbeNode(*cfg, node).state != ProcState::kDown) {
    (void)SignalNode(*cfg, node, SIGKILL);
    if (!WaitNodeDown(*cfg, node, kKillTimeout)) {
      return Fail("node " + std::to_string(node) + " is still alive after SIGKILL");
    }
  }
  auto pid = SpawnNode(*cfg, node);
  if (!pid.ok()) return Fail(pid.status().message());
  if (!WaitReady(*cfg, {node}, {{node, *pid}}, /*require_ok=*/false, seconds(timeout_s))) {
    return 1;
  }
  std::cout << "node " << node << " restarted, pid " << *pid << "\n";
  return 0;
}

int CmdDown(const std::string& dir, bool wipe) {
  std::string abs = AbsoluteDir(dir);
  auto cfg = ReadClusterConfig(abs);
  if (!cfg.ok()) {
    std::error_code ec;
    if (cfg.status().code() == Status::Code::kNotFound && !fs::exists(abs, ec)) {
      std::cout << "no cluster in " << abs << "; nothing to do\n";
      return 0;
    }
    return Fail(cfg.status().message());
  }
  std::vector<int> running;
  for (int i = 1; i <= cfg->nodes; ++i) {
    if (ProbeNode(*cfg, i).state != ProcState::kDown) running.push_back(i);
  }
  if (!TerminateNodes(*cfg, running, kStopTimeout)) {
    for (int node : running) {
      if (SignalNode(*cfg, node, SIGKILL).ok()) {
        std::cerr << "node " << node << " ignored SIGTERM; sent SIGKILL\n";
      }
    }
    for (int node : running) {
      if (!WaitNodeDown(*cfg, node, kKillTimeout)) {
        return Fail("node " + std::to_string(node) + " is still alive after SIGKILL");
      }
    }
  }
  std::cout << "stopped " << running.size() << " node(s)";
  if (wipe) {
    std::error_code ec;
    fs::remove_all(abs, ec);
    if (ec) return Fail("cannot remove " + abs + ": " + ec.message());
    std::cout << "; removed " << abs;
  }
  std::cout << "\n";
  return 0;
}

int CmdLeader(const std::string& dir, int shard) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg) return 1;
  if (shard < 0 || shard >= cfg->shards) {
    return Fail("no shard " + std::to_string(shard) + " (shards are 0.." +
                std::to_string(cfg->shards - 1) + ")");
  }
  auto leader = FindLeader(CollectReports(*cfg, kQueryTimeout), shard);
  if (!leader) return Fail("no answering node leads shard " + std::to_string(shard));
  std::cout << *leader << "\n";
  return 0;
}

// Moves every shard leadership off node I (SHOAL.DRAIN: planned Raft
// transfers to the least-loaded caught-up followers) and waits until every
// shard is led elsewhere; with --stop, then stops the node.
int CmdDrain(const std::string& dir, int node, int timeout_s, bool stop) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg || !ValidNode(*cfg, node)) return 1;
  const auto start = steady_clock::now();
  auto r = QueryNode(cfg->Port(node), {{"SHOAL.DRAIN", "ON"}}, kQueryTimeout);
  if (!r.ok()) return Fail("node " + std::to_string(node) + ": " + r.status().message());
  const auto deadline = start + seconds(timeout_s);
  std::string where;
  for (;;) {
    auto reports = CollectReports(*cfg, kQueryTimeout);
    int still = 0, led = 0;
    where.clear();
    for (int shard = 0; shard < cfg->shards; ++shard) {
      auto leader = FindLeader(reports, shard);
      if (!leader) continue;
      ++led;
      if (*leader == node) ++still;
      where += " " + std::to_string(shard) + "->" + std::to_string(*leader);
    }
    if (still == 0 && led == cfg->shards) break;
    if (steady_clock::now() > deadline) {
      return Fail("node " + std::to_string(node) + " still leads " + std::to_string(still) +
                  " shard(s) after " + std::to_string(timeout_s) + " s");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  const auto ms = duration_cast<milliseconds>(steady_clock::now() - start).count();
  std::cout << "node " << node << " leads no shard (" << ms << " ms); leaders:" << where << "\n";
  return stop ? CmdStop(dir, node) : 0;
}

int CmdPid(const std::string& dir, int node) {
  auto cfg = LoadOrComplain(dir);
  if (!cfg || !ValidNode(*cfg, node)) return 1;
  NodeProc p = ProbeNode(*cfg, node);
  if (p.state == ProcState::kDown) return Fail("node " + std::to_string(node) + " is not running");
  std::cout << p.pid << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  // Everything after the first "--" goes to the servers verbatim, so it is
  // cut off before CLI11 sees it.
  std::vector<std::string> extra;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--") {
      extra.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }

  CLI::App app{
      "shoal-cluster: runs a local shoal cluster of shoal-server processes.\n"
      "Node I (1..N) listens on BASE_PORT+I-1; its data, log (shoal.log) and pid file\n"
      "(shoal.pid) are in DIR/node-I; DIR/cluster.conf records the settings, so every\n"
      "subcommand but `up` needs only --dir."};
  app.require_subcommand(1);
  std::string dir = "shoal-cluster";
  auto add_dir = [&dir](CLI::App* sub) {
    sub->add_option("--dir", dir, "cluster directory (default: ./shoal-cluster)");
  };
  int node = 0;
  auto add_node = [&node](CLI::App* sub) {
    sub->add_option("node", node, "node id, 1..N")->required();
  };

  UpOptions up;
  auto* up_cmd = app.add_subcommand(
      "up",
      "start N nodes and wait until every node reports cluster_state:ok.\n"
      "Idempotent: nodes of DIR that are already running are kept, only missing\n"
      "ones are started (refused if the running cluster has other settings).\n"
      "Arguments after `--` are passed to every server.");
  up_cmd->add_option("-n,--nodes", up.nodes, "number of nodes")
      ->required()
      ->check(CLI::Range(1, 1000));
  up_cmd->add_option("--shards", up.shards, "number of shards (default: N)")
      ->check(CLI::Range(1, 16384));
  up_cmd->add_option("--replicas", up.replicas, "replicas per shard (default: min(3, N))")
      ->check(CLI::Range(1, 1000));
  add_dir(up_cmd);
  up_cmd->add_option("--base-port", up.base_port, "port of node 1")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  up_cmd->add_option("--server", up.server,
                     "shoal-server binary (default: next to shoal-cluster, ../server/, $PATH)");
  up_cmd->add_option("--replication", up.replication, "replication mode")
      ->capture_default_str()
      ->check(CLI::IsMember({"sync", "async"}));
  up_cmd->add_option("--timeout", up.timeout_s, "seconds to wait for the cluster")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  auto* status_cmd = app.add_subcommand("status", "shards x nodes: leaders, terms, lag");
  add_dir(status_cmd);
  int interval_ms = 500;
  int count = 0;
  auto* watch_cmd = app.add_subcommand("watch", "repeat status until Ctrl-C");
  add_dir(watch_cmd);
  watch_cmd->add_option("--interval-ms", interval_ms, "pause between refreshes")
      ->capture_default_str()
      ->check(CLI::Range(10, 3600000));
  watch_cmd->add_option("--count", count, "refreshes before exiting (0 = forever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  struct NodeCmd {
    const char* name;
    const char* help;
  };
  std::map<std::string, CLI::App*> node_cmds;
  for (auto [name, help] : {
           NodeCmd{"kill", "SIGKILL node I"},
           NodeCmd{"pause", "SIGSTOP node I"},
           NodeCmd{"resume", "SIGCONT node I"},
           NodeCmd{"stop", "SIGTERM node I and wait until it exits"},
           NodeCmd{"restart", "SIGKILL node I if running, start it again, wait for PING"},
           NodeCmd{"pid", "print node I's pid (exit 1 if it is not running)"},
       }) {
    auto* sub = app.add_subcommand(name, help);
    add_node(sub);
    add_dir(sub);
    node_cmds[name] = sub;
  }
  int restart_timeout_s = 30;
  node_cmds["restart"]
      ->add_option("--timeout", restart_timeout_s, "seconds to wait for PING")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));

  bool wipe = false;
  auto* down_cmd = app.add_subcommand(
      "down", "SIGTERM all nodes, SIGKILL those still running after 10 s; data is kept");
  add_dir(down_cmd);
  down_cmd->add_flag("--wipe", wipe, "also delete DIR");
  int shard = 0;
  auto* leader_cmd = app.add_subcommand("leader", "print the id of the node leading SHARD");
  leader_cmd->add_option("shard", shard, "shard id, 0..S-1")->required();
  add_dir(leader_cmd);

  int drain_timeout_s = 30;
  bool drain_stop = false;
  auto* drain_cmd = app.add_subcommand(
      "drain",
      "move every shard leadership off node I (planned transfers), wait until none is left "
      "there; no leadership returns to it until it restarts");
  add_node(drain_cmd);
  add_dir(drain_cmd);
  drain_cmd->add_option("--timeout", drain_timeout_s, "seconds to wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  drain_cmd->add_flag("--stop", drain_stop, "then stop the node (SIGTERM)");

  CLI11_PARSE(app, argc, argv);
  if (!extra.empty() && !up_cmd->parsed()) return Fail("arguments after -- are only for `up`");
  up.extra_args = std::move(extra);

  if (up_cmd->parsed()) return CmdUp(dir, up);
  if (status_cmd->parsed()) return CmdStatus(dir);
  if (watch_cmd->parsed()) return CmdWatch(dir, interval_ms, count);
  if (down_cmd->parsed()) return CmdDown(dir, wipe);
  if (leader_cmd->parsed()) return CmdLeader(dir, shard);
  if (node_cmds["kill"]->parsed()) return CmdSignal(dir, node, SIGKILL);
  if (node_cmds["pause"]->parsed()) return CmdSignal(dir, node, SIGSTOP);
  if (node_cmds["resume"]->parsed()) return CmdSignal(dir, node, SIGCONT);
  if (node_cmds["stop"]->parsed()) return CmdStop(dir, node);
  if (node_cmds["restart"]->parsed()) return CmdRestart(dir, node, restart_timeout_s);
  if (node_cmds["pid"]->parsed()) return CmdPid(dir, node);
  if (drain_cmd->parsed()) return CmdDrain(dir, node, drain_timeout_s, drain_stop);
  return 1;
}

}  // namespace
}  // namespace shoal::tools

int main(int argc, char** argv) {
  // Nothing in the tool throws on purpose; an escaping std exception (out
  // of memory, a filesystem error) still ends with a message and status 1.
  try {
    return shoal::tools::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shoal-cluster: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "shoal-cluster: unknown error\n");
  }
  return 1;
}
