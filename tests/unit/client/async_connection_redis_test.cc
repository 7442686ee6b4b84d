// AsyncConnection against a real redis-server (skipped when it is absent).
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "client/async_connection.h"
#include "client/client.h"
#include "fake_resp_server.h"
#include "redis_process.h"

namespace shoal::client {
namespace {

using testing::RedisProcess;
using testing::RunUntil;

class AsyncConnectionRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveRedisServer()) GTEST_SKIP() << "no " << testing::kRedisServerPath;
    redis_ = RedisProcess::Start(dir_.path());
    ASSERT_NE(redis_, nullptr) << "redis-server did not start";
  }
  void TearDown() override {
    if (redis_) redis_->Kill();
  }
  std::shared_ptr<AsyncConnection> Make() {
    AsyncOptions o;
    o.host = "127.0.0.1";
    o.port = redis_->port();
    return AsyncConnection::Create(io_, o);
  }

  testing::TempDir dir_;
  std::unique_ptr<RedisProcess> redis_;
  asio::io_context io_;
};

TEST_F(AsyncConnectionRedisTest, TenThousandPipelinedSetsAndGetsReplyInOrder) {
  auto conn = Make();
  constexpr int kKeys = 10000;
  std::vector<std::string> replies;
  std::vector<Status> failures;
  auto record = [&](const Status& s, std::string_view reply) {
    if (!s.ok()) failures.push_back(s);
    replies.emplace_back(reply);
  };
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "key:" + std::to_string(i);
    conn->Send(Client::Encode({"SET", key, "value-" + std::to_string(i)}), record);
    conn->Send(Client::Encode({"GET", key}), record);
  }
  ASSERT_TRUE(RunUntil(
      io_, [&] { return replies.size() == 2 * kKeys; }, std::chrono::seconds(60)));
  ASSERT_TRUE(failures.empty()) << failures[0].ToString();
  for (int i = 0; i < kKeys; ++i) {
    const std::string value = "value-" + std::to_string(i);
    ASSERT_EQ(replies[2 * i], "+OK\r\n") << i;
    ASSERT_EQ(replies[2 * i + 1], "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n")
        << i;
  }
  EXPECT_LT(conn->stats().writes, 10U);  // coalesced, not one write per command
  conn->Close();
}

TEST_F(AsyncConnectionRedisTest, ServerKilledMidPipelineFailsEveryRemainingCallback) {
  auto conn = Make();
  constexpr int kCommands = 20000;
  int ok = 0;
  int unknown = 0;
  int not_sent = 0;
  int calls = 0;
  bool in_order = true;
  // Command 100 blocks this connection on the server, so the kill lands
  // while the commands after it are written but unanswered.
  constexpr int kBlocking = 100;
  for (int i = 0; i < kCommands; ++i) {
    std::vector<std::string> cmd = {"INCR", "counter"};
    if (i == kBlocking) cmd = {"BLPOP", "no-such-list", "10"};
    conn->Send(Client::Encode(cmd), [&, i](const Status& s, std::string_view) {
      if (calls++ != i) in_order = false;
      if (s.ok()) {
        if (++ok == kBlocking) redis_->Kill();
      } else if (s.message().find("outcome unknown") != std::string::npos) {
        ++unknown;
      } else if (s.message().find("not sent") != std::string::npos) {
        ++not_sent;
      }
    });
  }
  ASSERT_TRUE(RunUntil(
      io_, [&] { return calls == kCommands; }, std::chrono::seconds(60)));
  EXPECT_TRUE(in_order);
  EXPECT_EQ(ok, kBlocking);
  // Everything after that was written before the server died.
  EXPECT_EQ(unknown, kCommands - kBlocking);
  EXPECT_EQ(not_sent, 0);
  EXPECT_EQ(conn->pending(), 0U);
  EXPECT_FALSE(conn->connected());

  // Nothing listens any more: a new command is refused at connect.
  Status later;
  bool done = false;
  conn->Send(Client::Encode({"PING"}), [&](Status s, std::string_view) {
    later = std::move(s);
    done = true;
  });
  ASSERT_TRUE(RunUntil(io_, [&] { return done; }));
  EXPECT_NE(later.message().find("not sent"), std::string::npos) << later.message();
}

}  // namespace
}  // namespace shoal::client
