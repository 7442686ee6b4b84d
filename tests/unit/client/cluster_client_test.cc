// ClusterClient against a real three-master Redis Cluster started by the
// fixture (skipped when redis-server is absent).
#include "client/cluster_client.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/keyslot.h"
#include "redis_process.h"

namespace shoal::client {
namespace {

using testing::RedisProcess;

// Bounded wait for a freshly met cluster to agree that all slots are served.
constexpr std::chrono::seconds kClusterReadyTimeout{30};
constexpr int kMasters = 3;

// For every slot, a key that hashes to it.
const std::vector<std::string>& KeyPerSlot() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k(kSlotCount);
    size_t found = 0;
    for (uint64_t i = 0; found < kSlotCount; ++i) {
      std::string key = "key:" + std::to_string(i);
      auto& slot_key = k[KeySlot(key)];
      if (slot_key.empty()) {
        slot_key = std::move(key);
        ++found;
      }
    }
    return k;
  }();
  return keys;
}

class ClusterClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveRedisServer()) GTEST_SKIP() << "no " << testing::kRedisServerPath;
    for (int i = 0; i < kMasters; ++i) {
      auto p = RedisProcess::Start(dir_.path(), [&](int port) {
        return std::vector<std::string>{
            "--cluster-enabled",     "yes",
            "--cluster-config-file", dir_.path() + "/nodes-" + std::to_string(port) + ".conf",
            "--cluster-port",        std::to_string(testing::FreePort())};
      });
      ASSERT_NE(p, nullptr) << "redis-server did not start";
      admin_.push_back(p->Connect());
      ASSERT_NE(admin_.back(), nullptr);
      ids_.push_back(Admin(i, {"CLUSTER", "MYID"}).str);
      nodes_.push_back(std::move(p));
    }
    // Slots split evenly in order: node 0 has the lowest range.
    for (int i = 0; i < kMasters; ++i) {
      const int first = i * kSlotCount / kMasters;
      const int last = (i + 1) * kSlotCount / kMasters - 1;
      ASSERT_EQ(
          Admin(i, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)}).str,
          "OK");
    }
    for (int i = 1; i < kMasters; ++i) {
      auto bus = Admin(i, {"CONFIG", "GET", "cluster-port"});
      ASSERT_EQ(bus.elements.size(), 2U);
      ASSERT_EQ(Admin(0, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(nodes_[i]->port()),
                          bus.elements[1].str})
                    .str,
                "OK");
    }
    ASSERT_TRUE(AwaitClusterOk()) << "cluster never reached cluster_state:ok";
  }

  void TearDown() override {
    for (auto& n : nodes_) n->Kill();
  }

  // A command on node i's admin connection; fails the test on I/O errors.
  resp::Value Admin(int i, const std::vector<std::string>& args) {
    auto r = admin_[i]->Command(args);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : resp::Value{};
  }

  // Every node reports cluster_state:ok and knows every node.
  bool AwaitClusterOk() {
    const auto deadline = std::chrono::steady_clock::now() + kClusterReadyTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
      bool all = true;
      for (int i = 0; i < kMasters && all; ++i) {
        auto info = Admin(i, {"CLUSTER", "INFO"}).str;
        all = info.find("cluster_state:ok") != std::string::npos &&
              info.find("cluster_known_nodes:" + std::to_string(kMasters)) != std::string::npos;
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The node the fixture gave `slot` to.
  static int OwnerOf(uint16_t slot) {
    int i = 0;
    while (slot > (i + 1) * kSlotCount / kMasters - 1) ++i;
    return i;
  }

  std::unique_ptr<ClusterClient> ConnectVia(int seed, std::chrono::milliseconds timeout) {
    ClusterOptions o;
    o.seeds = {{"127.0.0.1", nodes_[seed]->port()}};
    o.timeout = timeout;
    o.retry_backoff = std::chrono::milliseconds(10);
    auto c = ClusterClient::Connect(o);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(c).value() : nullptr;
  }

  // Moves `slot` from node `from` to node `to` the way redis-cli does:
  // IMPORTING/MIGRATING, MIGRATE of its keys, then SETSLOT NODE everywhere.
  // With finish=false it stops in the migrating state.
  void MoveSlot(uint16_t slot, int from, int to, bool finish) {
    const std::string s = std::to_string(slot);
    ASSERT_EQ(Admin(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", ids_[from]}).str, "OK");
    ASSERT_EQ(Admin(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", ids_[to]}).str, "OK");
    if (!finish) return;
    auto keys = Admin(from, {"CLUSTER", "GETKEYSINSLOT", s, "1000"});
    for (const auto& k : keys.elements) {
      ASSERT_EQ(Admin(from, {"MIGRATE", "127.0.0.1", std::to_string(nodes_[to]->port()), k.str, "0",
                             "5000"})
                    .str,
                "OK");
    }
    for (int i : {to, from, 3 - from - to}) {
      ASSERT_EQ(Admin(i, {"CLUSTER", "SETSLOT", s, "NODE", ids_[to]}).str, "OK");
    }
  }

  testing::TempDir dir_;
  std::vector<std::unique_ptr<RedisProcess>> nodes_;
  std::vector<std::unique_ptr<Client>> admin_;
  std::vector<std::string> ids_;
};

TEST_F(ClusterClientTest, SlotMapMatchesTheCluster) {
  auto c = ConnectVia(1, std::chrono::milliseconds(5000));
  ASSERT_NE(c, nullptr);
  for (uint16_t slot : {0, 1, 5460, 5461, 10922, 10923, 16383}) {
    const int owner = OwnerOf(slot);
    EXPECT_EQ(c->NodeForSlot(slot), std::make_pair(std::string("127.0.0.1"), nodes_[owner]->port()))
        << slot;
  }
}

TEST_F(ClusterClientTest, KeysInEverySlotRoundTripFromOneSeed) {
  auto c = ConnectVia(2, std::chrono::milliseconds(5000));
  ASSERT_NE(c, nullptr);
  const auto& keys = KeyPerSlot();
  for (const auto& k : keys) {
    auto r = c->Command({"SET", k, "v-" + k});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->str, "OK") << k << ": " << r->ToString();
  }
  for (size_t slot = 0; slot < keys.size(); slot += 7) {
    auto r = c->Command({"GET", keys[slot]});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->str, "v-" + keys[slot]);
  }
  // Each key landed on the node that owns its slot.
  int64_t total = 0;
  for (int i = 0; i < kMasters; ++i) {
    auto n = Admin(i, {"DBSIZE"});
    EXPECT_EQ(n.integer, (i + 1) * kSlotCount / kMasters - i * kSlotCount / kMasters) << i;
    total += n.integer;
  }
  EXPECT_EQ(total, kSlotCount);
  // Server errors are replies, not failures.
  auto wrong = c->Command({"INCR", keys[0]});
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
  // Keyless commands go anywhere.
  auto pong = c->Command({"PING"});
  ASSERT_TRUE(pong.ok());
  EXPECT_EQ(pong->str, "PONG");
}

TEST_F(ClusterClientTest, StaleSlotMapIsRepairedByMoved) {
  auto c = ConnectVia(0, std::chrono::milliseconds(5000));
  ASSERT_NE(c, nullptr);
  const uint16_t slot = KeySlot("{moved}");
  const int from = OwnerOf(slot);
  const int to = (from + 1) % kMasters;
  ASSERT_EQ(c->Command({"SET", "{moved}a", "1"})->str, "OK");
  MoveSlot(slot, from, to, /*finish=*/true);
  // The client still believes `from` owns the slot.
  ASSERT_EQ(c->NodeForSlot(slot).second, nodes_[from]->port());
  auto r = c->Command({"GET", "{moved}a"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->str, "1");
  EXPECT_EQ(c->NodeForSlot(slot).second, nodes_[to]->port());
  ASSERT_EQ(c->Command({"SET", "{moved}b", "2"})->str, "OK");
  EXPECT_EQ(Admin(to, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer, 2);
}

TEST_F(ClusterClientTest, AskDuringMigrationReachesTheImportingNode) {
  auto c = ConnectVia(0, std::chrono::milliseconds(300));
  ASSERT_NE(c, nullptr);
  const uint16_t slot = KeySlot("{ask}");
  const int from = OwnerOf(slot);
  const int to = (from + 2) % kMasters;
  ASSERT_EQ(c->Command({"SET", "{ask}old", "here"})->str, "OK");
  MoveSlot(slot, from, to, /*finish=*/false);
  // A key the migrating node still has is served there; a new one is sent
  // on with ASK, which does not change the map.
  EXPECT_EQ(c->Command({"GET", "{ask}old"})->str, "here");
  auto r = c->Command({"SET", "{ask}new", "there"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->str, "OK");
  EXPECT_EQ(c->NodeForSlot(slot).second, nodes_[from]->port());
  EXPECT_EQ(Admin(to, {"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)}).integer, 1);
  // A multi-key command split across the two nodes gets TRYAGAIN, retried
  // until the deadline and then returned as the reply.
  const auto start = std::chrono::steady_clock::now();
  auto m = c->Command({"MGET", "{ask}old", "{ask}new"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->is_error());
  EXPECT_EQ(m->str.rfind("TRYAGAIN", 0), 0U) << m->str;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
}

TEST_F(ClusterClientTest, PipelineOverAllNodesKeepsInputOrder) {
  auto c = ConnectVia(1, std::chrono::milliseconds(5000));
  ASSERT_NE(c, nullptr);
  const auto& keys = KeyPerSlot();
  std::vector<std::vector<std::string>> cmds;
  for (size_t slot = 0; slot < keys.size(); slot += 5) {
    cmds.push_back({"SET", keys[slot], std::to_string(slot)});
    cmds.push_back({"GET", keys[slot]});
    cmds.push_back({"STRLEN", keys[slot]});
  }
  auto r = c->Pipeline(cmds);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), cmds.size());
  for (size_t i = 0; i < cmds.size(); i += 3) {
    const std::string& value = cmds[i][2];
    ASSERT_EQ((*r)[i].str, "OK") << i;
    ASSERT_EQ((*r)[i + 1].str, value) << i;
    ASSERT_EQ((*r)[i + 2].integer, static_cast<int64_t>(value.size())) << i;
  }
}

TEST_F(ClusterClientTest, PipelineWithAStaleMapRetriesTheRedirectedCommands) {
  auto c = ConnectVia(0, std::chrono::milliseconds(5000));
  ASSERT_NE(c, nullptr);
  const uint16_t slot = KeySlot("{stale}");
  const int from = OwnerOf(slot);
  MoveSlot(slot, from, (from + 1) % kMasters, /*finish=*/true);
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < 30; ++i) {
    cmds.push_back({"SET", "{stale}" + std::to_string(i), std::to_string(i)});
    cmds.push_back({"SET", "other:" + std::to_string(i), "x"});
    cmds.push_back({"GET", "{stale}" + std::to_string(i)});
  }
  auto r = c->Pipeline(cmds);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ((*r)[3 * i].str, "OK");
    EXPECT_EQ((*r)[3 * i + 1].str, "OK");
    EXPECT_EQ((*r)[3 * i + 2].str, std::to_string(i));
  }
  EXPECT_EQ(c->NodeForSlot(slot).second, nodes_[(from + 1) % kMasters]->port());
}

TEST_F(ClusterClientTest, DeadNodeFailsItsKeysAfterTheTimeoutOnly) {
  auto c = ConnectVia(0, std::chrono::milliseconds(300));
  ASSERT_NE(c, nullptr);
  const auto& keys = KeyPerSlot();
  nodes_[2]->Kill();
  const auto start = std::chrono::steady_clock::now();
  auto dead = c->Command({"SET", keys[kSlotCount - 1], "x"});
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.status().code(), Status::Code::kUnavailable);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(300));
  auto alive = c->Command({"SET", keys[0], "x"});
  ASSERT_TRUE(alive.ok()) << alive.status().ToString();
  EXPECT_EQ(alive->str, "OK");
}

TEST(ClusterClientConnect, NeedsSeeds) {
  auto c = ClusterClient::Connect(ClusterOptions{});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kInvalidArgument);
}

TEST(ClusterClientConnect, UnreachableSeedsAreUnavailable) {
  ClusterOptions o;
  o.seeds = {{"127.0.0.1", testing::FreePort()}};
  auto c = ClusterClient::Connect(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Status::Code::kUnavailable);
}

}  // namespace
}  // namespace shoal::client
