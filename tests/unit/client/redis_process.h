// Test helper: runs real redis-server processes (from /usr/bin/redis-server)
// on free loopback ports, waits until they answer, and kills them. Tests
// that need one skip when the binary is absent.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"

namespace shoal::client::testing {

inline constexpr const char* kRedisServerPath = "/usr/bin/redis-server";
// How long a started server may take to answer PING.
inline constexpr std::chrono::seconds kRedisStartTimeout{10};
// Port collisions with other processes are possible; start is retried.
inline constexpr int kRedisStartAttempts = 5;

inline bool HaveRedisServer() { return ::access(kRedisServerPath, X_OK) == 0; }

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// A fresh directory under /tmp, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/shoal-client-test-XXXXXX";
    const char* made = ::mkdtemp(tmpl.data());
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RedisProcess {
 public:
  // Starts redis-server on a free port with `--port P --bind 127.0.0.1
  // --save '' --appendonly no --dir dir` plus what `extra_args(P)` returns,
  // and waits until it answers PING. nullptr if it never did.
  template <typename ExtraArgs>
  static std::unique_ptr<RedisProcess> Start(const std::string& dir, ExtraArgs extra_args) {
    for (int attempt = 0; attempt < kRedisStartAttempts; ++attempt) {
      const int port = FreePort();
      std::vector<std::string> args = {kRedisServerPath,
                                       "--port",
                                       std::to_string(port),
                                       "--bind",
                                       "127.0.0.1",
                                       "--save",
                                       "",
                                       "--appendonly",
                                       "no",
                                       "--dir",
                                       dir,
                                       "--logfile",
                                       dir + "/redis-" + std::to_string(port) + ".log"};
      for (auto& a : extra_args(port)) args.push_back(std::move(a));
      std::unique_ptr<RedisProcess> p(new RedisProcess(port, Spawn(args)));
      if (p->pid_ > 0 && p->AwaitReady()) return p;
    }
    return nullptr;
  }
  static std::unique_ptr<RedisProcess> Start(const std::string& dir) {
    return Start(dir, [](int) { return std::vector<std::string>{}; });
  }

  ~RedisProcess() { Kill(); }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  int port() const { return port_; }
  bool running() const { return pid_ > 0; }

  // SIGKILL and reap. Idempotent.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::unique_ptr<Client> Connect() const {
    ClientOptions o;
    o.port = port_;
    o.timeout = std::chrono::milliseconds(5000);
    auto c = Client::Connect(o);
    return c.ok() ? std::move(c).value() : nullptr;
  }

 private:
  RedisProcess(int port, pid_t pid) : port_(port), pid_(pid) {}

  static pid_t Spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      // Never outlive the test binary, even if it crashes.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    return pid;
  }

  // Polls PING until it answers, the process exits, or the start timeout.
  bool AwaitReady() {
    const auto deadline = std::chrono::steady_clock::now() + kRedisStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited: most likely the port was taken meanwhile
        return false;
      }
      ClientOptions o;
      o.port = port_;
      o.timeout = std::chrono::milliseconds(500);
      auto c = Client::Connect(o);
      if (c.ok()) {
        auto r = c.value()->Command({"PING"});
        if (r.ok() && r->type == resp::Value::Type::kSimple) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return false;
  }

  int port_;
  pid_t pid_;
};

}  // namespace shoal::client::testing
