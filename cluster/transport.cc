#include "cluster/transport.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "core/check.h"

namespace shoal::cluster {
namespace {

using asio::ip::tcp;

// The receive buffer starts at this size and doubles while a frame larger
// than it arrives; a read asks for all the free space.
constexpr size_t kInitialReadBufferBytes = 64 * 1024;
// Grow the receive buffer when less than this is free for the next read.
constexpr size_t kMinReadBytes = 4 * 1024;
// A send or receive buffer grown past this for one big frame (a snapshot)
// is released afterwards instead of being kept for the connection's life.
constexpr size_t kMaxRetainedBufferBytes = 1024 * 1024;
// After a failed accept (usually out of file descriptors), wait this long
// before accepting again rather than spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

void ReleaseIfHuge(std::string* buf) {
  if (buf->capacity() > kMaxRetainedBufferBytes) std::string().swap(*buf);
}

}  // namespace

// The outgoing side of one peer: connection state, the frame queue and the
// back-off. Handlers capture a shared_ptr to it, so it outlives the
// Transport while any operation is pending; owner_ == nullptr means closed.
// Every handler also carries the generation it was started under: a failure
// bumps it, so completions of an abandoned attempt are ignored.
class Transport::Peer : public std::enable_shared_from_this<Peer> {
 public:
  Peer(Transport* owner, uint64_t id)
      : owner_(owner),
        id_(id),
        socket_(owner->io_),
        resolver_(owner->io_),
        timer_(owner->io_),
        backoff_(owner->options_.reconnect_min) {}

  void Enqueue(std::span<const Envelope> envs);
  // Drops frames not yet handed to the socket, without reporting them.
  void DiscardPending() {
    owner_->stats_.frames_dropped += pending_frames_;
    pending_.clear();
    pending_frames_ = 0;
  }
  void Shutdown();
  size_t queued() const { return pending_.size() + inflight_.size(); }

 private:
  enum class State { kIdle, kConnecting, kConnected, kBackoff };

  bool live(uint64_t generation) const { return owner_ != nullptr && generation == generation_; }
  void Connect(const std::string& host, int port);
  void OnConnected();
  void StartWrite();
  void WatchForClose();
  void Fail(const std::string& why);
  void DropFrame();

  Transport* owner_;
  const uint64_t id_;
  State state_ = State::kIdle;
  uint64_t generation_ = 0;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;  // the connect timeout, then the back-off
  std::chrono::milliseconds backoff_;
  std::string pending_;  // encoded frames waiting for the current write
  size_t pending_frames_ = 0;
  std::string inflight_;  // the frames of the write in progress
  size_t inflight_frames_ = 0;
  bool writing_ = false;
  char watch_byte_ = 0;
  bool ever_connected_ = false;
  bool failure_logged_ = false;  // since the last successful connect
  bool no_address_logged_ = false;
};

void Transport::Peer::Enqueue(std::span<const Envelope> envs) {
  const TransportOptions& o = owner_->options_;
  auto addr = o.peers.find(id_);
  if (addr == o.peers.end()) {
    if (!no_address_logged_) {
      spdlog::warn("bus: no address for node {}; dropping its messages", id_);
      no_address_logged_ = true;
    }
    DropFrame();
    return;
  }
  if (state_ == State::kBackoff) {
    DropFrame();
    return;
  }
  size_t queued = pending_.size() + inflight_.size();
  if (queued >= o.max_queued_bytes_per_peer) {
    DropFrame();
    return;
  }
  size_t before = pending_.size();
  EncodeFrame(o.self, envs, &pending_);
  size_t frame = pending_.size() - before;
  if (frame > kMaxFrameBytes || (queued > 0 && queued + frame > o.max_queued_bytes_per_peer)) {
    if (frame > kMaxFrameBytes) {
      spdlog::error("bus: dropping a {}-byte frame to node {}: over the {}-byte frame limit", frame,
                    id_, kMaxFrameBytes);
    }
    pending_.resize(before);
    ReleaseIfHuge(&pending_);
    DropFrame();
    return;
  }
  ++pending_frames_;
  if (state_ == State::kIdle) {
    Connect(addr->second.first, addr->second.second);
  } else if (state_ == State::kConnected && !writing_) {
    StartWrite();
  }
}

void Transport::Peer::Connect(const std::string& host, int port) {
  state_ = State::kConnecting;
  uint64_t gen = ++generation_;
  auto self = shared_from_this();
  timer_.expires_after(owner_->options_.connect_timeout);
  timer_.async_wait([self, gen](const std::error_code& ec) {
    // A timer that fired just before the connect completed is ignored.
    if (!ec && self->live(gen) && self->state_ == State::kConnecting) {
      self->Fail("connect timed out");
    }
  });
  resolver_.async_resolve(
      host, std::to_string(port),
      [self, gen](const std::error_code& ec, const tcp::resolver::results_type& results) {
        if (!self->live(gen)) return;
        if (ec) {
          self->Fail("cannot resolve: " + ec.message());
          return;
        }
        asio::async_connect(self->socket_, results,
                            [self, gen](const std::error_code& ec, const tcp::endpoint&) {
                              if (!self->live(gen)) return;
                              if (ec) {
                                self->Fail("cannot connect: " + ec.message());
                                return;
                              }
                              self->OnConnected();
                            });
      });
}

void Transport::Peer::OnConnected() {
  timer_.cancel();
  std::error_code ignored;
  // Raft messages are small and latency-bound; batching happens above.
  socket_.set_option(tcp::no_delay(true), ignored);
  state_ = State::kConnected;
  backoff_ = owner_->options_.reconnect_min;
  failure_logged_ = false;
  auto remote = socket_.remote_endpoint(ignored);
  if (ever_connected_) {
    ++owner_->stats_.reconnects;
    spdlog::info("bus: reconnected to node {} at {}:{}", id_, remote.address().to_string(),
                 remote.port());
  } else {
    spdlog::info("bus: connected to node {} at {}:{}", id_, remote.address().to_string(),
                 remote.port());
  }
  ever_connected_ = true;
  WatchForClose();
  if (!pending_.empty()) StartWrite();
}

void Transport::Peer::StartWrite() {
  inflight_.swap(pending_);
  inflight_frames_ = pending_frames_;
  pending_.clear();
  pending_frames_ = 0;
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(inflight_),
                    [self, gen = generation_](const std::error_code& ec, size_t n) {
                      if (!self->live(gen)) return;
                      if (ec) {
                        self->Fail("write failed: " + ec.message());
                        return;
                      }
                      Stats& stats = self->owner_->stats_;
                      stats.frames_sent += self->inflight_frames_;
                      stats.bytes_sent += n;
                      self->inflight_.clear();
                      self->inflight_frames_ = 0;
                      self->writing_ = false;
                      ReleaseIfHuge(&self->inflight_);
                      if (!self->pending_.empty()) return self->StartWrite();
                      if (self->owner_->on_drained_) self->owner_->on_drained_(self->id_);
                    });
}

// The peer never writes on this connection, so a pending read completes
// only when it closes or resets: a lost peer is noticed at once rather than
// on a later write that the kernel may still accept.
void Transport::Peer::WatchForClose() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(&watch_byte_, 1),
                          [self, gen = generation_](const std::error_code& ec, size_t) {
                            if (!self->live(gen)) return;
                            self->Fail(ec ? "connection lost: " + ec.message()
                                          : std::string("unexpected bytes from the peer"));
                          });
}

void Transport::Peer::Fail(const std::string& why) {
  Transport* owner = owner_;
  bool was_connected = state_ == State::kConnected;
  size_t dropped = pending_frames_ + inflight_frames_;
  pending_.clear();
  inflight_.clear();
  ReleaseIfHuge(&pending_);
  ReleaseIfHuge(&inflight_);
  pending_frames_ = 0;
  inflight_frames_ = 0;
  writing_ = false;
  ++generation_;  // abandons every operation of this attempt
  std::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  state_ = State::kBackoff;
  if (was_connected) {
    spdlog::warn("bus: lost connection to node {}: {}; {} frames dropped", id_, why, dropped);
  } else if (!failure_logged_) {
    spdlog::warn("bus: node {} unreachable: {}; retrying with back-off up to {} ms", id_, why,
                 owner->options_.reconnect_max.count());
  } else {
    spdlog::debug("bus: node {} still unreachable: {}", id_, why);
  }
  failure_logged_ = true;
  timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, owner->options_.reconnect_max);
  // Reconnecting is lazy: the next Send after the back-off connects.
  timer_.async_wait([self = shared_from_this(), gen = generation_](const std::error_code& ec) {
    if (!ec && self->live(gen)) self->state_ = State::kIdle;
  });
  owner->stats_.frames_dropped += dropped;
  // Last: the callback may call back into the Transport.
  owner->on_unreachable_(id_);
}

void Transport::Peer::DropFrame() {
  ++owner_->stats_.frames_dropped;
  owner_->on_unreachable_(id_);
}

void Transport::Peer::Shutdown() {
  owner_ = nullptr;
  ++generation_;
  std::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  timer_.cancel();
  pending_.clear();
  inflight_.clear();
}

// One accepted connection: reads frames and hands them to the Handler.
// Lifetime as for Peer: handlers hold a shared_ptr; owner_ == nullptr
// means closed.
class Transport::Inbound : public std::enable_shared_from_this<Inbound> {
 public:
  Inbound(Transport* owner, uint64_t id, tcp::socket socket)
      : owner_(owner), id_(id), socket_(std::move(socket)) {
    std::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    remote_ = ec ? std::string("?") : ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void Start() {
    spdlog::debug("bus: accepted a connection from {}", remote_);
    Read();
  }
  void Shutdown() {
    owner_ = nullptr;
    std::error_code ignored;
    socket_.close(ignored);
  }

 private:
  void Read();
  void OnRead(size_t n);
  void Close() {
    Transport* owner = owner_;
    Shutdown();
    owner->DropInbound(id_);
  }

  Transport* owner_;
  const uint64_t id_;
  tcp::socket socket_;
  std::string remote_;
  std::string buf_;  // buf_[0, used_) holds received bytes not yet decoded
  size_t used_ = 0;
  uint64_t sender_ = raft::kNoNode;  // learnt from the first frame
};

void Transport::Inbound::Read() {
  if (buf_.size() - used_ < kMinReadBytes) {
    buf_.resize(std::max(kInitialReadBufferBytes, buf_.size() * 2));
  }
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_.data() + used_, buf_.size() - used_),
                          [self](const std::error_code& ec, size_t n) {
                            if (self->owner_ == nullptr) return;
                            if (ec) {
                              spdlog::info("bus: connection from node {} ({}) closed: {}",
                                           self->sender_, self->remote_, ec.message());
                              self->Close();
                              return;
                            }
                            self->OnRead(n);
                          });
}

void Transport::Inbound::OnRead(size_t n) {
  Transport* owner = owner_;
  used_ += n;
  owner->stats_.bytes_received += n;
  size_t off = 0;
  // Re-checked after every handler call: a handler may Close() the Transport.
  while (owner_ != nullptr) {
    DecodedFrame frame;
    size_t consumed = 0;
    std::string error;
    DecodeOutcome r =
        DecodeFrame(std::string_view(buf_.data() + off, used_ - off), &consumed, &frame, &error);
    if (r == DecodeOutcome::kNeedMore) break;
    if (r == DecodeOutcome::kCorrupt) {
      ++owner->stats_.corrupt_frames;
      spdlog::warn("bus: corrupt frame from node {} ({}): {}; closing the connection", sender_,
                   remote_, error);
      Close();
      return;
    }
    off += consumed;
    if (frame.sender != sender_) {
      spdlog::info("bus: node {} connected from {}", frame.sender, remote_);
      sender_ = frame.sender;
    }
    if (owner->blocked(frame.sender)) {
      ++owner->stats_.frames_dropped;
      continue;
    }
    ++owner->stats_.frames_received;
    owner->on_msgs_(std::move(frame.envelopes));
  }
  if (owner_ == nullptr) return;
  if (off > 0) {
    std::memmove(buf_.data(), buf_.data() + off, used_ - off);
    used_ -= off;
  }
  if (used_ < kInitialReadBufferBytes && buf_.size() > kMaxRetainedBufferBytes) {
    buf_.resize(kInitialReadBufferBytes);
    buf_.shrink_to_fit();
  }
  Read();
}

Transport::Transport(asio::io_context& io, TransportOptions o, Handler on_msgs,
                     Unreachable on_unreachable)
    : io_(io),
      options_(std::move(o)),
      on_msgs_(std::move(on_msgs)),
      on_unreachable_(std::move(on_unreachable)),
      acceptor_(io),
      accept_retry_(io) {}

Transport::~Transport() {
  // Close() throws only if the OS refuses to cancel a timer (asio has no
  // error_code form of cancel any more): a broken invariant, so crash loudly
  // rather than let an exception leave a destructor.
  try {
    Close();
  } catch (...) {
    CHECK(!"Transport::Close threw");
  }
}

Status Transport::Listen() {
  if (closed_) return Status::Unavailable("bus transport is closed");
  const std::string where = options_.listen_host + ":" + std::to_string(options_.listen_port);
  if (options_.listen_port < 0 || options_.listen_port > 65535) {
    return Status::InvalidArgument("bus port out of range: " + where);
  }
  std::error_code ec;
  asio::ip::address addr = asio::ip::make_address(options_.listen_host, ec);
  if (ec) return Status::InvalidArgument("bad bus listen address " + where + ": " + ec.message());
  tcp::endpoint endpoint(addr, static_cast<uint16_t>(options_.listen_port));
  auto fail = [&](const char* step) {
    std::error_code ignored;
    acceptor_.close(ignored);
    return Status::IoError(std::string("cannot ") + step + " bus port " + where + ": " +
                           ec.message());
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  // Lets a restarted node rebind while old connections sit in TIME_WAIT.
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("configure");
  acceptor_.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen on");
  spdlog::info("bus: node {} listening on {}:{}", options_.self, options_.listen_host, port());
  StartAccept();
  return Status::Ok();
}

int Transport::port() const {
  std::error_code ec;
  tcp::endpoint ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void Transport::SetPeerAddress(uint64_t peer, std::string host, int port) {
  options_.peers[peer] = {std::move(host), port};
}

void Transport::Send(uint64_t peer, std::span<const Envelope> envs) {
  if (closed_ || envs.empty()) return;
  if (blocked(peer)) {
    ++stats_.frames_dropped;
    return;
  }
  // A local reference keeps the Peer alive if a callback closes us.
  std::shared_ptr<Peer> p = PeerFor(peer);
  p->Enqueue(envs);
}

size_t Transport::QueuedBytes(uint64_t peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second->queued();
}

void Transport::SetBlocked(uint64_t peer, bool blocked) {
  if (!blocked) {
    blocked_.erase(peer);
    return;
  }
  if (blocked_.insert(peer).second) spdlog::info("bus: traffic with node {} blocked", peer);
  if (auto it = peers_.find(peer); it != peers_.end()) it->second->DiscardPending();
}

void Transport::Close() {
  if (closed_) return;
  closed_ = true;
  std::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (auto& [id, peer] : peers_) peer->Shutdown();
  peers_.clear();
  for (auto& [id, conn] : inbound_) conn->Shutdown();
  inbound_.clear();
  alive_.reset();
}

std::shared_ptr<Transport::Peer> Transport::PeerFor(uint64_t id) {
  auto& slot = peers_[id];
  if (slot == nullptr) slot = std::make_shared<Peer>(this, id);
  return slot;
}

void Transport::StartAccept() {
  acceptor_.async_accept(
      [this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& ec, tcp::socket socket) {
        if (alive.expired()) return;
        OnAccept(ec, std::move(socket));
      });
}

void Transport::OnAccept(const std::error_code& ec, asio::ip::tcp::socket socket) {
  if (closed_ || ec == asio::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("bus: accept failed: {}; retrying in {} ms", ec.message(),
                 kAcceptRetryDelay.count());
    accept_retry_.expires_after(kAcceptRetryDelay);
    accept_retry_.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& wait_ec) {
          if (!alive.expired() && !wait_ec) StartAccept();
        });
    return;
  }
  if (inbound_.size() >= kMaxInboundConnections) {
    spdlog::warn("bus: {} inbound connections already; refusing another", inbound_.size());
    std::error_code ignored;
    socket.close(ignored);
  } else {
    uint64_t id = next_inbound_id_++;
    auto conn = std::make_shared<Inbound>(this, id, std::move(socket));
    inbound_.emplace(id, conn);
    conn->Start();
  }
  StartAccept();
}

void Transport::DropInbound(uint64_t conn_id) { inbound_.erase(conn_id); }

}  // namespace shoal::cluster
