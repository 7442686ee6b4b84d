#include "client/async_connection.h"

#include <algorithm>
#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <utility>

namespace shoal::client {
namespace {

// Free space guaranteed in the read buffer before each read.
constexpr size_t kReadChunkBytes = 16 * 1024;
// An empty read buffer larger than this (left over from a big reply) is
// released rather than kept for the connection's lifetime.
constexpr size_t kMaxIdleReadBufferBytes = 1024 * 1024;

}  // namespace

std::shared_ptr<AsyncConnection> AsyncConnection::Create(asio::io_context& io,
                                                         AsyncOptions options) {
  return std::shared_ptr<AsyncConnection>(new AsyncConnection(io, std::move(options)));
}

AsyncConnection::AsyncConnection(asio::io_context& io, AsyncOptions options)
    : io_(io),
      options_(std::move(options)),
      socket_(io),
      resolver_(io),
      connect_timer_(io),
      reply_timer_(io) {}

AsyncConnection::~AsyncConnection() {
  std::error_code ec;
  socket_.close(ec);
}

void AsyncConnection::Send(std::string encoded_command, Callback cb) {
  CHECK(!encoded_command.empty());
  if (state_ == State::kClosed || pending_.size() >= options_.max_pending) {
    Status s = state_ == State::kClosed
                   ? Status::Unavailable("connection closed; not sent")
                   : Status::Busy("more than max_pending commands pending; not sent");
    asio::post(io_, [cb = std::move(cb), s = std::move(s)] { cb(s, {}); });
    return;
  }
  pending_.push_back(Pending{std::move(cb), {}});
  if (out_.empty()) {
    out_ = std::move(encoded_command);
  } else {
    out_ += encoded_command;
  }
  if (state_ == State::kDisconnected) {
    StartConnect();
  } else if (state_ == State::kConnected) {
    StartWrite();
  }
}

void AsyncConnection::Close() {
  if (state_ == State::kClosed) return;
  Fail("closed by client", State::kClosed);
}

void AsyncConnection::StartConnect() {
  state_ = State::kConnecting;
  const uint64_t gen = ++gen_;
  auto self = shared_from_this();
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self, gen](const std::error_code& ec) {
    // A connect that completed at the same moment has already moved on.
    if (ec || gen != self->gen_ || self->state_ != State::kConnecting) return;
    self->Fail("connect timeout", State::kDisconnected);
  });
  std::error_code ec;
  const auto addr = asio::ip::make_address(options_.host, ec);
  if (!ec) {
    socket_.async_connect(asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(options_.port)),
                          [self, gen](const std::error_code& e) { self->OnConnected(gen, e); });
    return;
  }
  resolver_.async_resolve(
      options_.host, std::to_string(options_.port),
      [self, gen](const std::error_code& e, const asio::ip::tcp::resolver::results_type& r) {
        self->OnResolved(gen, e, r);
      });
}

void AsyncConnection::OnResolved(uint64_t gen, const std::error_code& ec,
                                 const asio::ip::tcp::resolver::results_type& results) {
  if (gen != gen_) return;
  if (ec) {
    Fail("resolve: " + ec.message(), State::kDisconnected);
    return;
  }
  asio::async_connect(
      socket_, results,
      [self = shared_from_this(), gen](const std::error_code& e, const asio::ip::tcp::endpoint&) {
        self->OnConnected(gen, e);
      });
}

void AsyncConnection::OnConnected(uint64_t gen, const std::error_code& ec) {
  if (gen != gen_) return;
  if (ec) {
    Fail("connect: " + ec.message(), State::kDisconnected);
    return;
  }
  connect_timer_.cancel();
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  state_ = State::kConnected;
  ++stats_.connects;
  // Only now is the previous connection's buffer dropped: a callback that
  // failed that connection may still have been reading from it.
  in_begin_ = in_end_ = 0;
  scanner_.Reset();
  StartRead();
  StartWrite();
}

void AsyncConnection::StartWrite() {
  if (write_in_flight_ || out_.empty() || state_ != State::kConnected) return;
  writing_.swap(out_);
  out_.clear();
  // Every unsent command's bytes are in `writing_` now; from here on a
  // failure leaves their outcome unknown.
  const auto deadline = std::chrono::steady_clock::now() + options_.reply_timeout;
  for (size_t i = sent_; i < pending_.size(); ++i) pending_[i].deadline = deadline;
  sent_ = pending_.size();
  write_in_flight_ = true;
  ++stats_.writes;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this(), gen = gen_](const std::error_code& ec, size_t) {
                      if (gen != self->gen_) return;
                      self->write_in_flight_ = false;
                      if (ec) {
                        self->Fail("write: " + ec.message(), State::kDisconnected);
                        return;
                      }
                      self->writing_.clear();
                      self->StartWrite();  // whatever was queued meanwhile, in one write
                    });
  ArmReplyTimer();
}

void AsyncConnection::StartRead() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_.size() > kMaxIdleReadBufferBytes) std::string().swap(in_);
  }
  if (in_.size() - in_end_ < kReadChunkBytes) {
    if (in_begin_ > 0) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_.size() - in_end_ < kReadChunkBytes) {
      in_.resize(std::max(in_.size() * 2, in_end_ + kReadChunkBytes));
    }
  }
  socket_.async_read_some(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                          [self = shared_from_this(), gen = gen_](
                              const std::error_code& ec, size_t n) { self->OnRead(gen, ec, n); });
}

void AsyncConnection::OnRead(uint64_t gen, const std::error_code& ec, size_t n) {
  if (gen != gen_) return;
  if (ec) {
    Fail(ec == asio::error::eof ? "connection closed by server" : "read: " + ec.message(),
         State::kDisconnected);
    return;
  }
  in_end_ += n;
  if (!DeliverReplies()) return;
  StartRead();
}

bool AsyncConnection::DeliverReplies() {
  while (in_begin_ < in_end_) {
    const std::string_view data(in_.data() + in_begin_, in_end_ - in_begin_);
    const ScanResult r = scanner_.Scan(data);
    if (r.outcome == ScanOutcome::kNeedMore) {
      if (data.size() > options_.max_reply_bytes) {
        Fail("reply larger than max_reply_bytes", State::kDisconnected);
        return false;
      }
      break;
    }
    if (r.outcome == ScanOutcome::kMalformed) {
      Fail("malformed reply", State::kDisconnected);
      return false;
    }
    if (r.length > options_.max_reply_bytes) {
      Fail("reply larger than max_reply_bytes", State::kDisconnected);
      return false;
    }
    scanner_.Reset();
    const std::string_view reply = data.substr(0, r.length);
    in_begin_ += r.length;
    if (reply[0] == '>') {
      ++stats_.pushes_dropped;
      continue;
    }
    if (sent_ == 0) {
      Fail("reply without a pending command", State::kDisconnected);
      return false;
    }
    Callback cb = std::move(pending_.front().cb);
    pending_.pop_front();
    --sent_;
    ++stats_.replies;
    const uint64_t gen = gen_;
    cb(Status::Ok(), reply);
    if (gen != gen_) return false;  // the callback closed the connection
  }
  ArmReplyTimer();
  return true;
}

void AsyncConnection::ArmReplyTimer() {
  if (reply_timer_armed_ || sent_ == 0 || state_ != State::kConnected) return;
  // One wait at a time, set for the oldest written command; when it fires
  // early (that command was answered), it re-arms for the new oldest. This
  // avoids re-arming the timer on every reply.
  reply_timer_armed_ = true;
  reply_timer_.expires_at(pending_.front().deadline);
  reply_timer_.async_wait(
      [self = shared_from_this(), gen = gen_](const std::error_code&) { self->OnReplyTimer(gen); });
}

void AsyncConnection::OnReplyTimer(uint64_t gen) {
  if (gen != gen_) return;
  reply_timer_armed_ = false;
  if (sent_ == 0) return;
  if (pending_.front().deadline <= std::chrono::steady_clock::now()) {
    Fail("no reply within reply_timeout", State::kDisconnected);
    return;
  }
  ArmReplyTimer();
}

void AsyncConnection::Fail(const std::string& reason, State next_state) {
  ++gen_;
  state_ = next_state;
  std::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  connect_timer_.cancel();
  reply_timer_.cancel();
  reply_timer_armed_ = false;
  write_in_flight_ = false;
  out_.clear();
  writing_.clear();
  std::deque<Pending> failed;
  failed.swap(pending_);
  const size_t sent = sent_;
  sent_ = 0;
  // Callbacks may call Send() (which reconnects) or Close(); the state above
  // is already consistent for that.
  const std::string prefix =
      "connection to " + options_.host + ":" + std::to_string(options_.port) + ": " + reason;
  for (size_t i = 0; i < failed.size(); ++i) {
    failed[i].cb(Status::Unavailable(prefix + (i < sent ? "; outcome unknown" : "; not sent")), {});
  }
}

}  // namespace shoal::client
