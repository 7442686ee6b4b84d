// shoal-cluster's view of a local cluster on disk and of its processes:
// the recorded configuration (DIR/cluster.conf), each node's files, and
// starting, probing and signalling node processes.
//
// Layout of a cluster directory (DESIGN.md §7):
//   DIR/cluster.conf        written by `up`, read by every other subcommand
//   DIR/node-I/             node I's data (--dir), I = 1..nodes
//   DIR/node-I/shoal.log    node I's log (--logfile, and its stdout/stderr)
//   DIR/node-I/shoal.pid    node I's pid (--pidfile)
// Node I listens on base_port + I - 1.
//
// Not thread-safe where it touches files; probing is read-only and may run
// from several threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/status.h"

namespace shoal::tools {

struct ClusterConfig {
  std::string dir;  // absolute
  int nodes = 0;
  int shards = 0;
  int replicas = 0;
  int base_port = 7001;
  std::string server;  // absolute path of the shoal-server binary
  std::string replication = "sync";
  std::vector<std::string> extra_args;  // appended to every node's flags

  int Port(int node) const { return base_port + node - 1; }
  std::string NodeDir(int node) const;
  std::string LogPath(int node) const;
  std::string PidPath(int node) const;
  // The full argv (argv[0] = server) that starts node `node`.
  std::vector<std::string> ServerArgv(int node) const;
  // Same topology and flags (what `up` compares before reusing a directory).
  bool SameAs(const ClusterConfig& other) const;
};

std::string ConfigPath(const std::string& dir);
// Writes DIR/cluster.conf (creating DIR), replacing it atomically.
Status WriteClusterConfig(const ClusterConfig& cfg);
// Reads DIR/cluster.conf. NotFound if there is none (no cluster was ever
// started there); Corruption if it cannot be parsed.
Result<ClusterConfig> ReadClusterConfig(const std::string& dir);

// The shoal-server to use when --server is not given: next to this
// executable, then ../server/ (the build tree layout), then $PATH.
// NotFound if none is executable.
Result<std::string> FindDefaultServer();
// Resolves a user-given server path: a name without '/' is looked up in
// $PATH; a path is made absolute. InvalidArgument if not executable.
Result<std::string> ResolveServer(const std::string& path);

enum class ProcState {
  kDown,     // no pid file, or its process is gone (or a zombie)
  kRunning,  // alive
  kPaused,   // stopped by a signal (SIGSTOP): state 'T' in /proc/PID/stat
};
const char* ProcStateName(ProcState s);

struct NodeProc {
  pid_t pid = 0;  // from the pid file; 0 if there is none
  ProcState state = ProcState::kDown;
};

// Reads node's pid file and checks the process. A pid whose command line
// does not mention the node's data directory is a reused pid: down.
NodeProc ProbeNode(const ClusterConfig& cfg, int node);

// Starts node `node` as a detached child: own session (setsid), stdin from
// /dev/null, stdout/stderr appended to its log, pid file written before
// exec. The child is not waited for; callers that stay alive should call
// ReapChildren() so an early exit does not linger as a zombie.
Result<pid_t> SpawnNode(const ClusterConfig& cfg, int node);
// Collects exited children of this process, without blocking.
void ReapChildren();

// Sends `sig` to node's process. NotFound if the node is not running.
Status SignalNode(const ClusterConfig& cfg, int node, int sig);
// Polls until the node's process is gone; false on timeout.
bool WaitNodeDown(const ClusterConfig& cfg, int node, std::chrono::milliseconds timeout);

// True if something listens on (or otherwise holds) 127.0.0.1:port.
bool PortInUse(int port);

// The last `max_lines` lines of a file ("" if it cannot be read).
std::string TailFile(const std::string& path, int max_lines);

}  // namespace shoal::tools
