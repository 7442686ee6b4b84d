// The node-to-node bus over TCP (docs/cluster-bus.md): Raft messages of all
// groups, batched into one frame per peer per round (cluster/wire.h).
//
// Outgoing: one connection per peer, opened lazily on the first Send, with
// a bounded queue of encoded frames; everything queued goes out in one
// write. When a connection fails or breaks, its queued frames are dropped
// and the peer is reported unreachable; frames sent during the back-off
// that follows (reconnect_min doubling up to reconnect_max) are dropped and
// reported too. Raft resends what it needs.
// Incoming: any number of connections (up to kMaxInboundConnections); each
// frame's envelopes go to the Handler. A corrupt frame closes that
// connection only.
//
// Thread-safety: none. A Transport is owned by the thread running `io`:
// construct it, call every method and destroy it on that thread. Handlers
// are invoked on it too.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cluster/wire.h"
#include "core/status.h"

namespace shoal::cluster {

struct TransportOptions {
  uint64_t self = 0;  // sender id written into every frame
  std::string listen_host = "127.0.0.1";
  int listen_port = 0;                                    // 0 = ephemeral (tests)
  std::map<uint64_t, std::pair<std::string, int>> peers;  // node id -> bus host:port
  std::chrono::milliseconds reconnect_min{50};            // back-off, doubling
  std::chrono::milliseconds reconnect_max{1000};
  std::chrono::milliseconds connect_timeout{1000};  // a connect taking longer fails
  // Over it, new frames to that peer are dropped (Raft resends). A single
  // frame larger than the limit is still queued when nothing else is.
  size_t max_queued_bytes_per_peer = size_t{64} << 20;
};

// Inbound connections beyond this are accepted and closed at once.
inline constexpr size_t kMaxInboundConnections = 1024;

class Transport {
 public:
  // Messages received in one frame (from any peer).
  using Handler = std::function<void(std::vector<Envelope>&&)>;
  // A frame to `peer` was dropped, or a connection to it failed or broke.
  using Unreachable = std::function<void(uint64_t peer)>;

  Transport(asio::io_context& io, TransportOptions o, Handler on_msgs, Unreachable on_unreachable);
  ~Transport();  // Close()
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and listens on listen_host:listen_port, then accepts in the
  // background. IoError (with the address and reason) if the address is
  // bad or the port busy.
  Status Listen();
  // The bound port (after a successful Listen), else 0.
  int port() const;

  // Bytes queued for `peer` and not yet written (0 for an unknown peer).
  size_t QueuedBytes(uint64_t peer) const;
  // Called (on this transport's thread) each time everything queued for a
  // peer has been written: senders that pace themselves send more then.
  void SetOnDrained(std::function<void(uint64_t peer)> cb) { on_drained_ = std::move(cb); }

  // Sets or replaces a peer's bus address; used from the next connect on.
  void SetPeerAddress(uint64_t peer, std::string host, int port);

  // Queues one frame with all `envs` for `peer` (batching: call once per
  // peer per round). Never blocks. Drops the frame and reports Unreachable
  // when the peer has no address, is in back-off, its queue is full, or the
  // frame exceeds kMaxFrameBytes. No-op for an empty span or after Close().
  void Send(uint64_t peer, std::span<const Envelope> envs);

  // Fault injection (tests, fault harness): while blocked, frames to and
  // from `peer` are silently dropped, without Unreachable reports.
  void SetBlocked(uint64_t peer, bool blocked);

  // Stops accepting, closes every connection and drops queued frames; no
  // handler is called afterwards. Idempotent.
  void Close();

  struct Stats {
    uint64_t frames_sent = 0;      // written to a socket
    uint64_t frames_received = 0;  // handed to the Handler
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t corrupt_frames = 0;  // each closed its connection
    uint64_t reconnects = 0;      // connections to a peer after its first
    uint64_t frames_dropped = 0;  // not sent, or received while blocked
  };
  Stats stats() const { return stats_; }

 private:
  class Peer;
  class Inbound;

  void StartAccept();
  void OnAccept(const std::error_code& ec, asio::ip::tcp::socket socket);
  std::shared_ptr<Peer> PeerFor(uint64_t id);
  void DropInbound(uint64_t conn_id);
  bool blocked(uint64_t peer) const { return blocked_.contains(peer); }

  asio::io_context& io_;
  TransportOptions options_;
  Handler on_msgs_;
  Unreachable on_unreachable_;
  std::function<void(uint64_t peer)> on_drained_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_;
  std::map<uint64_t, std::shared_ptr<Peer>> peers_;       // outgoing, by node id
  std::map<uint64_t, std::shared_ptr<Inbound>> inbound_;  // by local connection id
  uint64_t next_inbound_id_ = 1;
  std::set<uint64_t> blocked_;
  Stats stats_;
  bool closed_ = false;
  // Accept handlers hold a weak_ptr to this: expired once closed, so a
  // completion that runs after destruction does not touch *this.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace shoal::cluster
