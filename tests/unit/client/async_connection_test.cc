// AsyncConnection against a fake in-process RESP server: ordering, write
// coalescing, framing across reads, and every way a connection can fail.
#include "client/async_connection.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "fake_resp_server.h"

namespace shoal::client {
namespace {

using testing::FakeRespServer;
using testing::RunUntil;

struct Outcome {
  Status status;
  std::string reply;
};

// Replies to ECHO x with the bulk x, to anything else with +OK.
std::string EchoHandler(const std::vector<std::string>& args) {
  if (args.size() == 2 && args[0] == "ECHO") {
    return "$" + std::to_string(args[1].size()) + "\r\n" + args[1] + "\r\n";
  }
  return "+OK\r\n";
}

std::string Bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

class AsyncConnectionTest : public ::testing::Test {
 protected:
  std::shared_ptr<AsyncConnection> Make(int port) {
    AsyncOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.reply_timeout = std::chrono::milliseconds(5000);
    return AsyncConnection::Create(io_, o);
  }
  AsyncConnection::Callback Record() {
    return [this](Status s, std::string_view reply) {
      outcomes_.push_back({std::move(s), std::string(reply)});
    };
  }
  bool AllDone(size_t n) {
    return RunUntil(io_, [&] { return outcomes_.size() >= n; });
  }

  asio::io_context io_;
  std::vector<Outcome> outcomes_;
};

TEST_F(AsyncConnectionTest, RepliesArriveInFifoOrderExactlyOnce) {
  FakeRespServer server(io_, EchoHandler);
  auto conn = Make(server.port());
  constexpr int kCount = 2000;
  for (int i = 0; i < kCount; ++i) {
    conn->Send(Client::Encode({"ECHO", std::to_string(i)}), Record());
  }
  EXPECT_EQ(conn->pending(), static_cast<size_t>(kCount));
  ASSERT_TRUE(AllDone(kCount));
  ASSERT_EQ(outcomes_.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(outcomes_[i].status.ok()) << outcomes_[i].status.ToString();
    EXPECT_EQ(outcomes_[i].reply, Bulk(std::to_string(i)));
  }
  EXPECT_EQ(conn->pending(), 0U);
  EXPECT_TRUE(conn->connected());
  EXPECT_EQ(conn->stats().replies, static_cast<uint64_t>(kCount));
  conn->Close();
}

TEST_F(AsyncConnectionTest, CommandsQueuedWhileConnectingGoOutInOneWrite) {
  FakeRespServer server(io_, EchoHandler);
  auto conn = Make(server.port());
  for (int i = 0; i < 100; ++i) conn->Send(Client::Encode({"SET", "k", "v"}), Record());
  ASSERT_TRUE(AllDone(100));
  EXPECT_EQ(conn->stats().writes, 1U);
  EXPECT_EQ(conn->stats().connects, 1U);
  for (const auto& o : outcomes_) EXPECT_EQ(o.reply, "+OK\r\n");
  conn->Close();
}

TEST_F(AsyncConnectionTest, RepliesDribbledByteByByteAreReassembled) {
  const std::vector<std::string> canned = {
      "*3\r\n$3\r\nfoo\r\n:42\r\n%1\r\n+k\r\n_\r\n",
      "|1\r\n+ttl\r\n:9\r\n$2\r\nab\r\n",
      "-ERR nope\r\n",
  };
  size_t next = 0;
  FakeRespServer server(io_, [&](const std::vector<std::string>&) { return canned[next++]; });
  server.dribble = true;
  auto conn = Make(server.port());
  for (size_t i = 0; i < canned.size(); ++i) conn->Send(Client::Encode({"X"}), Record());
  ASSERT_TRUE(AllDone(canned.size()));
  for (size_t i = 0; i < canned.size(); ++i) {
    ASSERT_TRUE(outcomes_[i].status.ok());
    EXPECT_EQ(outcomes_[i].reply, canned[i]);  // error replies are replies too
  }
  conn->Close();
}

TEST_F(AsyncConnectionTest, PushFramesAreNotTakenForReplies) {
  FakeRespServer server(io_, [](const std::vector<std::string>&) {
    return std::string(">2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n+OK\r\n");
  });
  auto conn = Make(server.port());
  conn->Send(Client::Encode({"GET", "k"}), Record());
  conn->Send(Client::Encode({"GET", "k"}), Record());
  ASSERT_TRUE(AllDone(2));
  EXPECT_EQ(outcomes_[0].reply, "+OK\r\n");
  EXPECT_EQ(outcomes_[1].reply, "+OK\r\n");
  EXPECT_EQ(conn->stats().pushes_dropped, 2U);
  conn->Close();
}

TEST_F(AsyncConnectionTest, ServerCloseMidPipelineFailsTheRestAsOutcomeUnknown) {
  FakeRespServer server(io_, EchoHandler);
  server.close_after_requests = 3;
  auto conn = Make(server.port());
  for (int i = 0; i < 10; ++i) conn->Send(Client::Encode({"ECHO", "x"}), Record());
  ASSERT_TRUE(AllDone(10));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(outcomes_[i].status.ok());
  for (int i = 3; i < 10; ++i) {
    EXPECT_EQ(outcomes_[i].status.code(), Status::Code::kUnavailable);
    EXPECT_NE(outcomes_[i].status.message().find("outcome unknown"), std::string::npos)
        << outcomes_[i].status.message();
    EXPECT_TRUE(outcomes_[i].reply.empty());
  }
  EXPECT_FALSE(conn->connected());
  EXPECT_EQ(conn->pending(), 0U);
}

TEST_F(AsyncConnectionTest, NextSendReconnectsAfterAFailure) {
  FakeRespServer server(io_, EchoHandler);
  server.close_after_requests = 1;
  auto conn = Make(server.port());
  conn->Send(Client::Encode({"ECHO", "a"}), Record());
  ASSERT_TRUE(AllDone(1));
  ASSERT_TRUE(RunUntil(io_, [&] { return !conn->connected(); }));
  conn->Send(Client::Encode({"ECHO", "b"}), Record());
  ASSERT_TRUE(AllDone(2));
  ASSERT_TRUE(outcomes_[1].status.ok()) << outcomes_[1].status.ToString();
  EXPECT_EQ(outcomes_[1].reply, Bulk("b"));
  EXPECT_EQ(conn->stats().connects, 2U);
  EXPECT_EQ(server.accepted(), 2U);
  conn->Close();
}

TEST_F(AsyncConnectionTest, ReplyTimeoutFailsEveryPendingCommandAndCloses) {
  FakeRespServer server(io_, [](const std::vector<std::string>&) { return std::string(); });
  AsyncOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.reply_timeout = std::chrono::milliseconds(100);
  auto conn = AsyncConnection::Create(io_, o);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) conn->Send(Client::Encode({"GET", "k"}), Record());
  ASSERT_TRUE(AllDone(5));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  for (const auto& out : outcomes_) {
    EXPECT_EQ(out.status.code(), Status::Code::kUnavailable);
    EXPECT_NE(out.status.message().find("reply_timeout"), std::string::npos);
    EXPECT_NE(out.status.message().find("outcome unknown"), std::string::npos);
  }
  EXPECT_FALSE(conn->connected());
}

TEST_F(AsyncConnectionTest, ConnectRefusedFailsAsNotSent) {
  int port = 0;
  {
    asio::ip::tcp::acceptor a(io_, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: nothing listens there now
  auto conn = Make(port);
  for (int i = 0; i < 3; ++i) conn->Send(Client::Encode({"PING"}), Record());
  ASSERT_TRUE(AllDone(3));
  for (const auto& out : outcomes_) {
    EXPECT_EQ(out.status.code(), Status::Code::kUnavailable);
    EXPECT_NE(out.status.message().find("not sent"), std::string::npos) << out.status.message();
  }
  EXPECT_FALSE(conn->connected());
}

TEST_F(AsyncConnectionTest, ConnectTimeoutFailsAsNotSent) {
  // A listener that never accepts, its backlog filled: the kernel drops
  // further SYNs, so a connect neither completes nor fails.
  asio::ip::tcp::acceptor listener(io_);
  listener.open(asio::ip::tcp::v4());
  listener.bind({asio::ip::make_address("127.0.0.1"), 0});
  listener.listen(0);
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> fillers;
  for (int i = 0; i < 4; ++i) {
    fillers.push_back(std::make_unique<asio::ip::tcp::socket>(io_));
    fillers.back()->async_connect(listener.local_endpoint(), [](const std::error_code&) {});
  }
  AsyncOptions o;
  o.host = "127.0.0.1";
  o.port = listener.local_endpoint().port();
  o.connect_timeout = std::chrono::milliseconds(200);
  auto conn = AsyncConnection::Create(io_, o);
  const auto start = std::chrono::steady_clock::now();
  conn->Send(Client::Encode({"PING"}), Record());
  conn->Send(Client::Encode({"PING"}), Record());
  ASSERT_TRUE(AllDone(2));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  for (const auto& out : outcomes_) {
    EXPECT_NE(out.status.message().find("connect timeout; not sent"), std::string::npos)
        << out.status.message();
  }
  EXPECT_FALSE(conn->connected());
}

TEST_F(AsyncConnectionTest, HostNamesAreResolved) {
  FakeRespServer server(io_, EchoHandler);
  AsyncOptions o;
  o.host = "localhost";
  o.port = server.port();
  auto conn = AsyncConnection::Create(io_, o);
  conn->Send(Client::Encode({"ECHO", "hi"}), Record());
  ASSERT_TRUE(AllDone(1));
  ASSERT_TRUE(outcomes_[0].status.ok()) << outcomes_[0].status.ToString();
  EXPECT_EQ(outcomes_[0].reply, Bulk("hi"));
  conn->Close();
}

TEST_F(AsyncConnectionTest, CloseFailsPendingAtOnceAndRefusesLaterSends) {
  FakeRespServer server(io_, [](const std::vector<std::string>&) { return std::string(); });
  auto conn = Make(server.port());
  conn->Send(Client::Encode({"GET", "a"}), Record());
  conn->Send(Client::Encode({"GET", "b"}), Record());
  ASSERT_TRUE(RunUntil(io_, [&] { return server.requests() == 2; }));
  conn->Close();
  ASSERT_EQ(outcomes_.size(), 2U);  // before Close() returned
  for (const auto& out : outcomes_) {
    EXPECT_NE(out.status.message().find("outcome unknown"), std::string::npos);
  }
  conn->Send(Client::Encode({"GET", "c"}), Record());
  EXPECT_EQ(outcomes_.size(), 2U);  // never inside Send()
  ASSERT_TRUE(AllDone(3));
  EXPECT_NE(outcomes_[2].status.message().find("not sent"), std::string::npos);
  EXPECT_FALSE(conn->connected());
}

TEST_F(AsyncConnectionTest, CommandsBeyondMaxPendingAreRefusedAsNotSent) {
  FakeRespServer server(io_, EchoHandler);
  AsyncOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.max_pending = 2;
  auto conn = AsyncConnection::Create(io_, o);
  std::vector<Status> got(3);
  for (int i = 0; i < 3; ++i) {
    conn->Send(Client::Encode({"PING"}),
               [&got, i](const Status& s, std::string_view) { got[i] = s; });
  }
  EXPECT_EQ(conn->pending(), 2U);
  ASSERT_TRUE(RunUntil(io_, [&] { return conn->stats().replies == 2 && !got[2].ok(); }));
  EXPECT_TRUE(got[0].ok());
  EXPECT_TRUE(got[1].ok());
  EXPECT_EQ(got[2].code(), Status::Code::kBusy);
  EXPECT_NE(got[2].message().find("not sent"), std::string::npos);
  conn->Close();
}

TEST_F(AsyncConnectionTest, CallbackMayCloseTheConnection) {
  FakeRespServer server(io_, EchoHandler);
  auto conn = Make(server.port());
  conn->Send(Client::Encode({"ECHO", "1"}), [&](Status s, std::string_view reply) {
    outcomes_.push_back({std::move(s), std::string(reply)});
    conn->Close();
  });
  for (int i = 0; i < 5; ++i) conn->Send(Client::Encode({"ECHO", "x"}), Record());
  ASSERT_TRUE(AllDone(6));
  EXPECT_TRUE(outcomes_[0].status.ok());
  for (int i = 1; i < 6; ++i) {
    EXPECT_EQ(outcomes_[i].status.code(), Status::Code::kUnavailable);
    EXPECT_NE(outcomes_[i].status.message().find("closed by client"), std::string::npos);
  }
  EXPECT_EQ(outcomes_.size(), 6U);
}

TEST_F(AsyncConnectionTest, CallbackMaySendTheNextCommand) {
  FakeRespServer server(io_, EchoHandler);
  auto conn = Make(server.port());
  int next = 0;
  std::function<void(Status, std::string_view)> chain = [&](Status s, std::string_view reply) {
    outcomes_.push_back({std::move(s), std::string(reply)});
    if (++next < 100) conn->Send(Client::Encode({"ECHO", std::to_string(next)}), chain);
  };
  conn->Send(Client::Encode({"ECHO", "0"}), chain);
  ASSERT_TRUE(AllDone(100));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(outcomes_[i].reply, Bulk(std::to_string(i)));
  conn->Close();
}

TEST_F(AsyncConnectionTest, MalformedReplyFailsTheConnection) {
  FakeRespServer server(io_, [](const std::vector<std::string>&) { return std::string("?\r\n"); });
  auto conn = Make(server.port());
  conn->Send(Client::Encode({"PING"}), Record());
  conn->Send(Client::Encode({"PING"}), Record());
  ASSERT_TRUE(AllDone(2));
  for (const auto& out : outcomes_) {
    EXPECT_NE(out.status.message().find("malformed reply; outcome unknown"), std::string::npos)
        << out.status.message();
  }
  EXPECT_FALSE(conn->connected());
}

TEST_F(AsyncConnectionTest, OversizedReplyFailsTheConnection) {
  FakeRespServer server(
      io_, [](const std::vector<std::string>&) { return Bulk(std::string(5000, 'x')); });
  AsyncOptions o;
  o.host = "127.0.0.1";
  o.port = server.port();
  o.max_reply_bytes = 1000;
  auto conn = AsyncConnection::Create(io_, o);
  conn->Send(Client::Encode({"GET", "big"}), Record());
  ASSERT_TRUE(AllDone(1));
  EXPECT_NE(outcomes_[0].status.message().find("max_reply_bytes"), std::string::npos)
      << outcomes_[0].status.message();
}

TEST_F(AsyncConnectionTest, LargeRepliesSpanningManyReadsArriveWhole) {
  const std::string big(3 << 20, 'v');
  FakeRespServer server(io_, [&](const std::vector<std::string>&) { return Bulk(big); });
  auto conn = Make(server.port());
  for (int i = 0; i < 3; ++i) conn->Send(Client::Encode({"GET", "big"}), Record());
  ASSERT_TRUE(AllDone(3));
  for (const auto& out : outcomes_) {
    ASSERT_TRUE(out.status.ok());
    EXPECT_EQ(out.reply, Bulk(big));
  }
  conn->Close();
}

}  // namespace
}  // namespace shoal::client
