// A blocking RESP client over Asio: connect, send commands (one or a
// pipeline), read replies. Used by tests, tools and benchmarks.
// Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/resp/value.h"
#include "core/status.h"

namespace shoal::client {

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds timeout{5000};
  // Largest reply accepted before the connection is treated as broken.
  size_t max_reply_bytes = 1024ULL * 1024 * 1024;
};

class Client {
 public:
  static Result<std::unique_ptr<Client>> Connect(const ClientOptions& options);
  ~Client();

  // Sends one command and waits for its reply. A server error reply is a
  // Value of type kError, not a failed Result; failed Results are
  // connection problems (closed, timeout, protocol garbage).
  Result<resp::Value> Command(const std::vector<std::string>& args);
  // Sends all commands in one write, then reads one reply per command.
  Result<std::vector<resp::Value>> Pipeline(const std::vector<std::vector<std::string>>& cmds);
  // Sends raw bytes as they are (for protocol tests).
  Status SendRaw(std::string_view bytes);
  // Reads the next reply.
  Result<resp::Value> ReadReply();

  static std::string Encode(const std::vector<std::string>& args);
  static std::string Encode(std::span<const std::string_view> args);

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::client
