// Cluster routing without I/O: key positions, redirect errors, CLUSTER SLOTS.
#include "client/cluster_routing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace shoal::client {
namespace {

using Args = std::vector<std::string>;
using Type = resp::Value::Type;

TEST(ClusterRouting, OrdinaryCommandsRouteByTheirFirstArgument) {
  EXPECT_EQ(FirstKeyIndex({"GET", "k"}), 1U);
  EXPECT_EQ(FirstKeyIndex({"set", "k", "v"}), 1U);
  EXPECT_EQ(FirstKeyIndex({"HSET", "h", "f", "v"}), 1U);
  EXPECT_EQ(FirstKeyIndex({"MSET", "a", "1", "b", "2"}), 1U);
  EXPECT_EQ(FirstKeyIndex({"SPUBLISH", "chan", "m"}), 1U);  // sharded channel
}

TEST(ClusterRouting, KeylessCommandsGoAnywhere) {
  for (const Args& a : std::vector<Args>{{"PING"},
                                         {"ping", "hello"},
                                         {"INFO", "server"},
                                         {"CLUSTER", "SLOTS"},
                                         {"PUBLISH", "chan", "m"},
                                         {"CONFIG", "GET", "maxmemory"},
                                         {"EVAL", "return 1", "0"},
                                         {"MEMORY", "STATS"},
                                         {"XREAD", "COUNT", "1"},
                                         {"GET"}}) {
    EXPECT_FALSE(FirstKeyIndex(a).has_value()) << a[0];
  }
}

TEST(ClusterRouting, CommandsWithTheKeyElsewhereFindIt) {
  EXPECT_EQ(FirstKeyIndex({"EVAL", "return 1", "1", "k"}), 3U);
  EXPECT_EQ(FirstKeyIndex({"FCALL", "f", "2", "a", "b"}), 3U);
  EXPECT_EQ(FirstKeyIndex({"XREAD", "COUNT", "2", "streams", "s1", "0"}), 4U);
  EXPECT_EQ(FirstKeyIndex({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}), 5U);
  EXPECT_EQ(FirstKeyIndex({"BITOP", "AND", "dest", "a"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"OBJECT", "ENCODING", "k"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"MEMORY", "USAGE", "k"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"XGROUP", "CREATE", "s", "g", "$"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"ZUNION", "2", "a", "b"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"LMPOP", "1", "l", "LEFT"}), 2U);
  EXPECT_EQ(FirstKeyIndex({"BLMPOP", "0", "1", "l", "LEFT"}), 3U);
  EXPECT_FALSE(FirstKeyIndex({"ZUNION", "x", "a"}).has_value());
}

TEST(ClusterRouting, ParsesMovedAndAsk) {
  auto m = ParseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Redirect::Kind::kMoved);
  EXPECT_EQ(m->slot, 3999);
  EXPECT_EQ(m->host, "127.0.0.1");
  EXPECT_EQ(m->port, 6381);

  auto a = ParseRedirect("ASK 0 :7000");  // host omitted: same host as asked
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->kind, Redirect::Kind::kAsk);
  EXPECT_EQ(a->slot, 0);
  EXPECT_EQ(a->host, "");
  EXPECT_EQ(a->port, 7000);

  auto v6 = ParseRedirect("MOVED 16383 ::1:7001");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7001);
}

TEST(ClusterRouting, RejectsMalformedRedirects) {
  for (const char* e :
       {"MOVED", "MOVED 1", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED x h:1", "MOVED 1 h",
        "MOVED 1 h:0", "MOVED 1 h:70000", "MOVEDX 1 h:1", "ASKING 1 h:1", "ERR MOVED 1 h:1"}) {
    EXPECT_FALSE(ParseRedirect(e).has_value()) << e;
  }
}

TEST(ClusterRouting, OnlyTryAgainAndClusterDownAreRetryable) {
  EXPECT_TRUE(IsRetryableClusterError("TRYAGAIN Multiple keys request during rehashing of slot"));
  EXPECT_TRUE(IsRetryableClusterError("CLUSTERDOWN The cluster is down"));
  EXPECT_TRUE(IsRetryableClusterError("TRYAGAIN"));
  EXPECT_FALSE(IsRetryableClusterError("ERR wrong number of arguments"));
  EXPECT_FALSE(IsRetryableClusterError("CROSSSLOT Keys in request don't hash to the same slot"));
  EXPECT_FALSE(IsRetryableClusterError("TRYAGAINX"));
}

resp::Value Int(int64_t v) {
  resp::Value x;
  x.type = Type::kInteger;
  x.integer = v;
  return x;
}
resp::Value Str(std::string s) {
  resp::Value x;
  x.type = Type::kBulk;
  x.str = std::move(s);
  return x;
}
resp::Value Arr(std::vector<resp::Value> e) {
  resp::Value x;
  x.type = Type::kArray;
  x.elements = std::move(e);
  return x;
}
resp::Value Row(int64_t first, int64_t last, std::string host, int64_t port) {
  return Arr({Int(first), Int(last), Arr({Str(std::move(host)), Int(port), Str("id")}),
              Arr({Str("10.0.0.9"), Int(1), Str("replica-id")})});
}

TEST(ClusterRouting, ParsesClusterSlots) {
  auto r = ParseClusterSlots(Arr({Row(0, 5460, "10.0.0.1", 7000), Row(5461, 10922, "", 7001),
                                  Row(10923, 16383, "?", 7002)}),
                             "asked.example");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2U);  // the "?" row is unknown and skipped
  EXPECT_EQ((*r)[0].first, 0);
  EXPECT_EQ((*r)[0].last, 5460);
  EXPECT_EQ((*r)[0].master, NodeAddr("10.0.0.1", 7000));
  EXPECT_EQ((*r)[1].master, NodeAddr("asked.example", 7001));
}

TEST(ClusterRouting, RejectsMalformedClusterSlots) {
  EXPECT_FALSE(ParseClusterSlots(Str("x"), "h").ok());
  EXPECT_FALSE(ParseClusterSlots(Arr({Arr({Int(0), Int(1)})}), "h").ok());
  EXPECT_FALSE(ParseClusterSlots(Arr({Row(5, 4, "h", 1)}), "h").ok());
  EXPECT_FALSE(ParseClusterSlots(Arr({Row(0, 16384, "h", 1)}), "h").ok());
  EXPECT_FALSE(ParseClusterSlots(Arr({Row(0, 1, "h", 70000)}), "h").ok());
  EXPECT_TRUE(ParseClusterSlots(Arr({}), "h").ok());  // a cluster with no slots yet
}

}  // namespace
}  // namespace shoal::client
