// The bus transport over real loopback sockets, all in one io_context:
// delivery both ways, reconnection, fault injection, corrupt input, limits.
// Conditions are awaited by running the loop in short slices, never by
// sleeping.
#include "cluster/transport.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace shoal::cluster {
namespace {

using namespace std::chrono_literals;

constexpr int kMaxLoopSlices = 1000;  // x kLoopSlice: 10 s before a test gives up
constexpr auto kLoopSlice = 10ms;

// One node of a test: its transport and everything its callbacks saw.
struct Node {
  std::vector<Envelope> received;
  size_t frames = 0;
  std::vector<uint64_t> unreachable;
  std::unique_ptr<Transport> transport;
};

TransportOptions Options(uint64_t self, int port = 0) {
  TransportOptions o;
  o.self = self;
  o.listen_port = port;
  o.reconnect_min = 10ms;
  o.reconnect_max = 100ms;
  return o;
}

void Start(asio::io_context& io, Node* n, TransportOptions o) {
  n->transport = std::make_unique<Transport>(
      io, std::move(o),
      [n](std::vector<Envelope>&& envs) {
        ++n->frames;
        for (Envelope& e : envs) n->received.push_back(std::move(e));
      },
      [n](uint64_t peer) { n->unreachable.push_back(peer); });
  Status s = n->transport->Listen();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_GT(n->transport->port(), 0);
}

void Link(Node* a, uint64_t a_id, Node* b, uint64_t b_id) {
  a->transport->SetPeerAddress(b_id, "127.0.0.1", b->transport->port());
  b->transport->SetPeerAddress(a_id, "127.0.0.1", a->transport->port());
}

template <typename Pred>
bool RunUntil(asio::io_context& io, Pred done) {
  for (int i = 0; i < kMaxLoopSlices && !done(); ++i) {
    if (io.stopped()) io.restart();
    io.run_for(kLoopSlice);
  }
  return done();
}

Envelope Heartbeat(uint32_t group, uint64_t from, uint64_t to, uint64_t term) {
  Envelope env;
  env.group = group;
  env.msg.type = raft::MessageType::kHeartbeat;
  env.msg.from = from;
  env.msg.to = to;
  env.msg.term = term;
  return env;
}

void SendOne(Node* n, uint64_t peer, const Envelope& env) {
  n->transport->Send(peer, std::span<const Envelope>(&env, 1));
}

TEST(TransportLoopback, ExchangesMessagesBothWays) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);

  Envelope app;
  app.group = 7;
  app.msg.type = raft::MessageType::kApp;
  app.msg.from = 1;
  app.msg.to = 2;
  app.msg.term = 3;
  app.msg.entries.push_back({3, 10, raft::EntryType::kNormal, "set k v"});
  SendOne(&a, 2, app);
  std::vector<Envelope> batch = {Heartbeat(1, 2, 1, 4), Heartbeat(2, 2, 1, 5)};
  b.transport->Send(1, batch);

  ASSERT_TRUE(RunUntil(io, [&] { return b.received.size() == 1 && a.received.size() == 2; }));
  EXPECT_EQ(b.received[0].group, 7U);
  EXPECT_EQ(b.received[0].msg.type, raft::MessageType::kApp);
  EXPECT_EQ(b.received[0].msg.term, 3U);
  EXPECT_EQ(b.received[0].msg.entries, app.msg.entries);
  // One Send is one frame, whatever the number of groups in it.
  EXPECT_EQ(a.frames, 1U);
  EXPECT_EQ(a.received[0].group, 1U);
  EXPECT_EQ(a.received[0].msg.term, 4U);
  EXPECT_EQ(a.received[1].group, 2U);
  EXPECT_EQ(a.received[1].msg.term, 5U);
  EXPECT_EQ(a.transport->stats().frames_sent, 1U);
  EXPECT_EQ(b.transport->stats().frames_received, 1U);
  EXPECT_EQ(a.transport->stats().bytes_sent, b.transport->stats().bytes_received);
  EXPECT_TRUE(a.unreachable.empty());
  EXPECT_TRUE(b.unreachable.empty());
}

TEST(TransportLoopback, FramesToOnePeerArriveInOrder) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  constexpr uint64_t kFrames = 200;
  for (uint64_t term = 1; term <= kFrames; ++term) SendOne(&a, 2, Heartbeat(1, 1, 2, term));
  ASSERT_TRUE(RunUntil(io, [&] { return b.received.size() == kFrames; }));
  for (uint64_t i = 0; i < kFrames; ++i) EXPECT_EQ(b.received[i].msg.term, i + 1);
}

TEST(TransportLoopback, ReconnectsAfterTheReceiverRestarts) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  SendOne(&a, 2, Heartbeat(1, 1, 2, 1));
  ASSERT_TRUE(RunUntil(io, [&] { return b.received.size() == 1; }));

  int port = b.transport->port();
  b.transport.reset();  // destroyed with its operations pending
  ASSERT_TRUE(RunUntil(io, [&] { return !a.unreachable.empty(); }));
  EXPECT_EQ(a.unreachable.front(), 2U);

  Node b2;
  Start(io, &b2, Options(2, port));
  // Keep sending, as Raft would, until a frame reaches the new receiver.
  uint64_t term = 100;
  for (int i = 0; i < kMaxLoopSlices && b2.received.empty(); ++i) {
    SendOne(&a, 2, Heartbeat(1, 1, 2, term++));
    io.run_for(kLoopSlice);
  }
  ASSERT_FALSE(b2.received.empty());
  EXPECT_GE(b2.received.front().msg.term, 100U);
  EXPECT_EQ(a.transport->stats().reconnects, 1U);
}

TEST(TransportLoopback, BlockedPeerTrafficIsDroppedBothWays) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  a.transport->SetBlocked(2, true);
  SendOne(&a, 2, Heartbeat(1, 1, 2, 1));  // dropped on send
  EXPECT_EQ(a.transport->stats().frames_dropped, 1U);
  SendOne(&b, 1, Heartbeat(1, 2, 1, 2));  // dropped on receive
  ASSERT_TRUE(RunUntil(io, [&] { return a.transport->stats().frames_dropped == 2; }));

  a.transport->SetBlocked(2, false);
  SendOne(&a, 2, Heartbeat(1, 1, 2, 3));
  SendOne(&b, 1, Heartbeat(1, 2, 1, 4));
  ASSERT_TRUE(RunUntil(io, [&] { return !a.received.empty() && !b.received.empty(); }));
  // Each connection is ordered: had a blocked frame got through, it would
  // have arrived first.
  ASSERT_EQ(a.received.size(), 1U);
  EXPECT_EQ(a.received[0].msg.term, 4U);
  ASSERT_EQ(b.received.size(), 1U);
  EXPECT_EQ(b.received[0].msg.term, 3U);
  // Blocking is silent: Raft sees a lossy network, not a failed peer.
  EXPECT_TRUE(a.unreachable.empty());
}

TEST(TransportLoopback, CorruptFrameClosesOnlyItsConnection) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  SendOne(&b, 1, Heartbeat(1, 2, 1, 1));
  ASSERT_TRUE(RunUntil(io, [&] { return a.received.size() == 1; }));

  // A raw client sends a frame whose checksum does not match.
  std::string frame;
  Envelope hb = Heartbeat(1, 3, 1, 9);
  EncodeFrame(3, std::span<const Envelope>(&hb, 1), &frame);
  frame.back() ^= 0x5a;
  asio::ip::tcp::socket raw(io);
  std::error_code ec;
  raw.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(a.transport->port())},
              ec);
  ASSERT_FALSE(ec) << ec.message();
  asio::write(raw, asio::buffer(frame), ec);
  ASSERT_FALSE(ec) << ec.message();
  char byte = 0;
  bool raw_closed = false;
  raw.async_read_some(asio::buffer(&byte, 1),
                      [&](const std::error_code& read_ec, size_t) { raw_closed = bool(read_ec); });
  ASSERT_TRUE(RunUntil(io, [&] { return raw_closed; }));
  EXPECT_EQ(a.transport->stats().corrupt_frames, 1U);
  EXPECT_EQ(a.received.size(), 1U);

  // b's connection to a was not touched.
  SendOne(&b, 1, Heartbeat(1, 2, 1, 2));
  ASSERT_TRUE(RunUntil(io, [&] { return a.received.size() == 2; }));
  EXPECT_EQ(a.received[1].msg.term, 2U);
  EXPECT_EQ(b.transport->stats().reconnects, 0U);
  EXPECT_TRUE(b.unreachable.empty());
}

TEST(TransportLoopback, PeerWithoutAddressIsReportedUnreachable) {
  asio::io_context io;
  Node a;
  Start(io, &a, Options(1));
  SendOne(&a, 99, Heartbeat(1, 1, 99, 1));
  ASSERT_EQ(a.unreachable.size(), 1U);
  EXPECT_EQ(a.unreachable[0], 99U);
  EXPECT_EQ(a.transport->stats().frames_dropped, 1U);
}

TEST(TransportLoopback, RefusedConnectionIsReportedThenSendsBackOff) {
  asio::io_context io;
  Node a;
  TransportOptions o = Options(1);
  o.reconnect_min = 60s;  // the back-off outlasts the test
  o.reconnect_max = 60s;
  Start(io, &a, o);
  // A port that was free a moment ago and has no listener now.
  int closed_port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    closed_port = probe.local_endpoint().port();
  }
  a.transport->SetPeerAddress(3, "127.0.0.1", closed_port);
  SendOne(&a, 3, Heartbeat(1, 1, 3, 1));
  EXPECT_TRUE(a.unreachable.empty());  // queued while connecting
  ASSERT_TRUE(RunUntil(io, [&] { return a.unreachable.size() == 1; }));
  // In back-off: dropped and reported at once.
  SendOne(&a, 3, Heartbeat(1, 1, 3, 2));
  EXPECT_EQ(a.unreachable.size(), 2U);
  EXPECT_EQ(a.transport->stats().frames_dropped, 2U);
}

TEST(TransportLoopback, FullQueueDropsNewFrames) {
  asio::io_context io;
  Node a;
  Node b;
  TransportOptions o = Options(1);
  o.max_queued_bytes_per_peer = 1;  // any frame fills it
  Start(io, &a, o);
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  // Both sends happen before the connection exists, so both are queued.
  SendOne(&a, 2, Heartbeat(1, 1, 2, 1));  // alone: accepted despite its size
  SendOne(&a, 2, Heartbeat(1, 1, 2, 2));  // over the limit: dropped
  EXPECT_EQ(a.unreachable.size(), 1U);
  ASSERT_TRUE(RunUntil(io, [&] { return b.received.size() == 1; }));
  EXPECT_EQ(b.received[0].msg.term, 1U);
  EXPECT_EQ(a.transport->stats().frames_dropped, 1U);
  // Once written, the queue takes frames again.
  SendOne(&a, 2, Heartbeat(1, 1, 2, 3));
  ASSERT_TRUE(RunUntil(io, [&] { return b.received.size() == 2; }));
  EXPECT_EQ(b.received[1].msg.term, 3U);
}

TEST(TransportLoopback, ListenOnABusyPortFails) {
  asio::io_context io;
  Node a;
  Start(io, &a, Options(1));
  Transport other(
      io, Options(2, a.transport->port()), [](std::vector<Envelope>&&) {}, [](uint64_t) {});
  Status s = other.Listen();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(std::to_string(a.transport->port())), std::string::npos)
      << s.message();
  EXPECT_EQ(other.port(), 0);
}

TEST(TransportLoopback, NoHandlerRunsAfterClose) {
  asio::io_context io;
  Node a;
  Node b;
  Start(io, &a, Options(1));
  Start(io, &b, Options(2));
  Link(&a, 1, &b, 2);
  SendOne(&a, 2, Heartbeat(1, 1, 2, 1));
  b.transport->Close();
  SendOne(&b, 1, Heartbeat(1, 2, 1, 1));  // no-op once closed
  RunUntil(io, [&] { return !a.unreachable.empty(); });
  EXPECT_TRUE(b.received.empty());
  EXPECT_TRUE(b.unreachable.empty());
  EXPECT_EQ(b.transport->port(), 0);
}

}  // namespace
}  // namespace shoal::cluster
