#include "tools/shoal_cluster_proc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/strutil.h"

namespace shoal::tools {

namespace fs = std::filesystem;

namespace {

constexpr int kConfigVersion = 1;
constexpr auto kPollInterval = std::chrono::milliseconds(50);

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool IsExecutable(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) && ::access(path.c_str(), X_OK) == 0;
}

std::string SearchPath(const std::string& name) {
  const char* path_env = std::getenv("PATH");
  if (path_env == nullptr) return {};
  std::stringstream ss(path_env);
  std::string dir;
  while (std::getline(ss, dir, ':')) {
    if (dir.empty()) continue;
    std::string candidate = (fs::path(dir) / name).string();
    if (IsExecutable(candidate)) return candidate;
  }
  return {};
}

// State letter from /proc/PID/stat ("PID (comm) S ..."); comm may hold
// spaces and parentheses, so the state follows the last ')'. 0 if gone.
char ProcStateLetter(pid_t pid) {
  std::string stat = ReadWholeFile("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return 0;
  return stat[close + 2];
}

// Async-signal-safe decimal formatting for the child between fork and exec.
size_t FormatPid(pid_t pid, char* buf, size_t size) {
  char tmp[24];
  size_t n = 0;
  auto v = static_cast<unsigned long>(pid);
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof(tmp));
  size_t out = 0;
  while (n > 0 && out + 1 < size) buf[out++] = tmp[--n];
  buf[out++] = '\n';
  return out;
}

}  // namespace

std::string ClusterConfig::NodeDir(int node) const {
  return (fs::path(dir) / ("node-" + std::to_string(node))).string();
}
std::string ClusterConfig::LogPath(int node) const {
  return (fs::path(NodeDir(node)) / "shoal.log").string();
}
std::string ClusterConfig::PidPath(int node) const {
  return (fs::path(NodeDir(node)) / "shoal.pid").string();
}

std::vector<std::string> ClusterConfig::ServerArgv(int node) const {
  std::string peers;
  for (int i = 1; i <= nodes; ++i) {
    if (i > 1) peers += ',';
    peers += std::to_string(i) + "@127.0.0.1:" + std::to_string(Port(i));
  }
  std::vector<std::string> argv = {server,
                                   "--port",
                                   std::to_string(Port(node)),
                                   "--dir",
                                   NodeDir(node),
                                   "--logfile",
                                   LogPath(node),
                                   "--pidfile",
                                   PidPath(node),
                                   "--cluster-enabled",
                                   "yes",
                                   "--cluster-node-id",
                                   std::to_string(node),
                                   "--cluster-nodes",
                                   peers,
                                   "--cluster-shards",
                                   std::to_string(shards),
                                   "--cluster-replicas",
                                   std::to_string(replicas),
                                   "--replication",
                                   replication};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

bool ClusterConfig::SameAs(const ClusterConfig& o) const {
  return dir == o.dir && nodes == o.nodes && shards == o.shards && replicas == o.replicas &&
         base_port == o.base_port && server == o.server && replication == o.replication &&
         extra_args == o.extra_args;
}

std::string ConfigPath(const std::string& dir) { return (fs::path(dir) / "cluster.conf").string(); }

Status WriteClusterConfig(const ClusterConfig& cfg) {
  std::error_code ec;
  fs::create_directories(cfg.dir, ec);
  if (ec) return Status::IoError("cannot create " + cfg.dir + ": " + ec.message());
  std::string path = ConfigPath(cfg.dir);
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Written by `shoal-cluster up`; read by the other subcommands.\n"
        << "version=" << kConfigVersion << "\n"
        << "nodes=" << cfg.nodes << "\n"
        << "shards=" << cfg.shards << "\n"
        << "replicas=" << cfg.replicas << "\n"
        << "base_port=" << cfg.base_port << "\n"
        << "server=" << cfg.server << "\n"
        << "replication=" << cfg.replication << "\n";
    // One line per extra argument, so arguments may hold spaces.
    for (const auto& arg : cfg.extra_args) out << "arg=" << arg << "\n";
    if (!out.flush()) return Status::IoError("cannot write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return Status::IoError("cannot rename " + tmp + ": " + ec.message());
  return Status::Ok();
}

Result<ClusterConfig> ReadClusterConfig(const std::string& dir) {
  std::string path = ConfigPath(dir);
  std::ifstream in(path);
  if (!in) {
    return Status::NotFound("no cluster in " + dir + " (" + path +
                            " missing; start one with `shoal-cluster up`)");
  }
  ClusterConfig cfg;
  cfg.dir = dir;
  std::string line;
  int version = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) return Status::Corruption(path + ": bad line: " += line);
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    auto as_int = [&](int* field) -> bool {
      auto v = ParseInt64(value);
      if (!v || *v < 0 || *v > 65535) return false;
      *field = static_cast<int>(*v);
      return true;
    };
    bool ok = true;
    if (key == "version") {
      ok = as_int(&version);
    } else if (key == "nodes") {
      ok = as_int(&cfg.nodes);
    } else if (key == "shards") {
      ok = as_int(&cfg.shards);
    } else if (key == "replicas") {
      ok = as_int(&cfg.replicas);
    } else if (key == "base_port") {
      ok = as_int(&cfg.base_port);
    } else if (key == "server") {
      cfg.server = value;
    } else if (key == "replication") {
      cfg.replication = value;
    } else if (key == "arg") {
      cfg.extra_args.push_back(value);
    }  // Unknown keys are ignored: a newer tool may add some.
    if (!ok) return Status::Corruption(path + ": bad value: " += line);
  }
  if (version != kConfigVersion) {
    return Status::Corruption(path + ": unsupported version " + std::to_string(version));
  }
  if (cfg.nodes < 1 || cfg.server.empty()) {
    return Status::Corruption(path + ": missing nodes or server");
  }
  return cfg;
}

Result<std::string> FindDefaultServer() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path exe_dir = exe.parent_path();
    for (const fs::path& candidate :
         {exe_dir / "shoal-server", exe_dir / ".." / "server" / "shoal-server"}) {
      std::string c = candidate.lexically_normal().string();
      if (IsExecutable(c)) return c;
    }
  }
  std::string found = SearchPath("shoal-server");
  if (!found.empty()) return found;
  return Status::NotFound(
      "cannot find shoal-server next to this executable, in ../server/ or in $PATH; "
      "pass --server PATH");
}

Result<std::string> ResolveServer(const std::string& path) {
  std::string resolved = path;
  if (path.find('/') == std::string::npos) {
    resolved = SearchPath(path);
  } else {
    std::error_code ec;
    resolved = fs::absolute(path, ec).lexically_normal().string();
  }
  if (resolved.empty() || !IsExecutable(resolved)) {
    return Status::InvalidArgument("server binary " + path + " is not an executable file");
  }
  return resolved;
}

const char* ProcStateName(ProcState s) {
  switch (s) {
    case ProcState::kDown:
      return "down";
    case ProcState::kRunning:
      return "up";
    case ProcState::kPaused:
      return "paused";
  }
  return "?";
}

NodeProc ProbeNode(const ClusterConfig& cfg, int node) {
  NodeProc p;
  std::string pid_text = ReadWholeFile(cfg.PidPath(node));
  auto pid = ParseInt64(TrimSpace(pid_text));
  if (!pid || *pid <= 0) return p;
  p.pid = static_cast<pid_t>(*pid);
  char state = ProcStateLetter(p.pid);
  if (state == 0 || state == 'Z' || state == 'X') return p;
  // After a crash the pid file stays behind; its pid may now belong to an
  // unrelated process, which would not name this node's data directory.
  std::string cmdline = ReadWholeFile("/proc/" + std::to_string(p.pid) + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (cmdline.find(cfg.NodeDir(node)) == std::string::npos) return p;
  p.state = (state == 'T' || state == 't') ? ProcState::kPaused : ProcState::kRunning;
  return p;
}

Result<pid_t> SpawnNode(const ClusterConfig& cfg, int node) {
  std::error_code ec;
  fs::create_directories(cfg.NodeDir(node), ec);
  if (ec) return Status::IoError("cannot create " + cfg.NodeDir(node) + ": " + ec.message());
  std::vector<std::string> args = cfg.ServerArgv(node);
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int log_fd = ::open(cfg.LogPath(node).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int pid_fd = ::open(cfg.PidPath(node).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  auto close_all = [&] {
    for (int fd : {log_fd, pid_fd, null_fd}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (log_fd < 0 || pid_fd < 0 || null_fd < 0) {
    std::string err = std::strerror(errno);
    close_all();
    return Status::IoError("cannot open files of node " + std::to_string(node) + ": " + err);
  }
  std::string banner = "=== shoal-cluster: starting node " + std::to_string(node) + ":";
  for (const auto& a : args) banner += " " + a;
  banner += "\n";
  (void)!::write(log_fd, banner.data(), banner.size());

  pid_t pid = ::fork();
  if (pid < 0) {
    std::string err = std::strerror(errno);
    close_all();
    return Status::IoError("fork: " + err);
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. Its own session, so a
    // Ctrl-C in the terminal that ran `up` does not reach the nodes.
    ::setsid();
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    char buf[32];
    size_t n = FormatPid(::getpid(), buf, sizeof(buf));
    (void)!::write(pid_fd, buf, n);
    ::close(pid_fd);
    ::execv(argv[0], argv.data());
    static constexpr char kMsg[] = "shoal-cluster: exec of the server failed\n";
    (void)!::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
    ::_exit(127);
  }
  close_all();
  return pid;
}

void ReapChildren() {
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

Status SignalNode(const ClusterConfig& cfg, int node, int sig) {
  NodeProc p = ProbeNode(cfg, node);
  if (p.state == ProcState::kDown) {
    return Status::NotFound("node " + std::to_string(node) + " is not running");
  }
  if (::kill(p.pid, sig) != 0) {
    return Status::IoError("kill " + std::to_string(p.pid) + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

bool WaitNodeDown(const ClusterConfig& cfg, int node, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    ReapChildren();
    if (ProbeNode(cfg, node).state == ProcState::kDown) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool PortInUse(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  // SO_REUSEADDR: a port in TIME_WAIT is usable by the server too.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool in_use = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0;
  ::close(fd);
  return in_use;
}

std::string TailFile(const std::string& path, int max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(std::move(line));
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace shoal::tools
