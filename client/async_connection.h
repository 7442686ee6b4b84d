// A pipelined, asynchronous RESP connection to one server, for relaying: the
// server forwards a client's command to the node that owns its key and hands
// back the raw reply bytes without decoding them.
//
// Threading: an AsyncConnection belongs to the thread that runs its
// io_context. Every member function must be called on that thread, and every
// callback runs on it. No locks.
//
// Lifetime: pending I/O keeps the object alive (handlers hold a shared_ptr),
// so an idle connected AsyncConnection lives until Close() is called or the
// io_context is destroyed. If the io_context is destroyed first, callbacks
// still pending are destroyed without being called.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client/reply_scanner.h"
#include "core/status.h"

namespace shoal::client {

struct AsyncOptions {
  std::string host;  // IP address or host name
  int port = 0;
  // Resolving plus connecting must finish within this, else every queued
  // command fails as "not sent".
  std::chrono::milliseconds connect_timeout{1000};
  // Each written command must get its reply within this of being written,
  // else every pending command fails and the connection closes.
  std::chrono::milliseconds reply_timeout{5000};
  // A reply larger than this fails the connection (as a protocol error).
  size_t max_reply_bytes = 512ULL << 20;
  // Send() refuses commands beyond this many pending ones.
  size_t max_pending = 100000;
};

// Counters since Create(), for tests and INFO-style reporting.
struct AsyncStats {
  uint64_t connects = 0;        // successful connections
  uint64_t writes = 0;          // socket writes started (each may carry many commands)
  uint64_t replies = 0;         // replies matched to commands
  uint64_t pushes_dropped = 0;  // top-level RESP3 push frames discarded
};

class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  // `raw_reply` holds the RESP bytes of exactly one reply (including any
  // attribute in front of it) when the Status is OK, and is empty otherwise.
  // It points into the connection's read buffer: copy what must outlive the
  // callback.
  using Callback = std::function<void(Status, std::string_view raw_reply)>;

  static std::shared_ptr<AsyncConnection> Create(asio::io_context& io, AsyncOptions options);
  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // Queues one command, already encoded as RESP (a multibulk, not empty; the
  // bytes are sent as they are), and connects if not connected (lazily on first use,
  // and again after a failure). Commands queued while connecting or while a
  // write is in flight go out together in the next write.
  //
  // `cb` runs exactly once, never inside Send(). Accepted commands complete
  // in FIFO order. A reply is OK-status even when it is a RESP error reply.
  // When the connection fails (connect error or timeout, reply timeout,
  // server close, I/O error, malformed or oversized reply) every pending
  // callback gets Status::Unavailable whose message ends in "outcome unknown"
  // if the command was (possibly) written and "not sent" if it never left
  // this process; the next Send() reconnects.
  //
  // Refused commands (after Close(), or with max_pending commands pending)
  // get Status::Unavailable / Status::Busy ending in "not sent", posted to the
  // io_context at once, so they are not ordered after accepted commands.
  //
  // Top-level RESP3 push frames (">") are out-of-band messages, not replies:
  // they are counted and dropped. Commands with more or fewer than one reply
  // (SUBSCRIBE, MONITOR, CLIENT REPLY OFF) must not be sent.
  void Send(std::string encoded_command, Callback cb);

  bool connected() const { return state_ == State::kConnected; }
  // Commands accepted whose callback has not run yet.
  size_t pending() const { return pending_.size(); }
  const AsyncStats& stats() const { return stats_; }

  // Closes the socket for good. Pending callbacks run (with errors, as
  // above) before Close() returns; later Send() calls are refused.
  // Idempotent; may be called from inside a callback.
  void Close();

 private:
  enum class State { kDisconnected, kConnecting, kConnected, kClosed };
  struct Pending {
    Callback cb;
    std::chrono::steady_clock::time_point deadline;  // set when written
  };

  AsyncConnection(asio::io_context& io, AsyncOptions options);

  void StartConnect();
  void OnResolved(uint64_t gen, const std::error_code& ec,
                  const asio::ip::tcp::resolver::results_type& results);
  void OnConnected(uint64_t gen, const std::error_code& ec);
  void StartWrite();
  void StartRead();
  void OnRead(uint64_t gen, const std::error_code& ec, size_t n);
  // Matches complete replies in the read buffer to pending commands. Returns
  // false if the connection failed or was closed meanwhile (maybe by a
  // callback), in which case the buffer must not be touched again.
  bool DeliverReplies();
  void ArmReplyTimer();
  void OnReplyTimer(uint64_t gen);
  // Tears the socket down and fails every pending command with `reason`.
  void Fail(const std::string& reason, State next_state);

  asio::io_context& io_;
  const AsyncOptions options_;
  asio::ip::tcp::socket socket_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  asio::steady_timer reply_timer_;
  State state_ = State::kDisconnected;
  // Bumped whenever a connection attempt starts or the socket is torn down,
  // so completions of an earlier attempt recognise themselves as stale.
  uint64_t gen_ = 0;

  // Commands in FIFO order; the first `sent_` have been handed to the
  // socket, the rest wait in `out_`.
  std::deque<Pending> pending_;
  size_t sent_ = 0;
  std::string out_;      // encoded commands not yet written
  std::string writing_;  // the write in flight
  bool write_in_flight_ = false;
  bool reply_timer_armed_ = false;

  // Read buffer: bytes [in_begin_, in_end_) are received and not yet
  // delivered; the scanner's progress is relative to in_begin_.
  std::string in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  ReplyScanner scanner_;

  AsyncStats stats_;
};

}  // namespace shoal::client
