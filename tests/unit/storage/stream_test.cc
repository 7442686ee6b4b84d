// Streams: the codecs of storage/stream.h (IDs, range bounds, XADD's ID
// rules, records) and a few commands applied as a replica applies them
// (XADD, XDEL, XTRIM, XREAD's blocking attempt, XINFO over group records).
#include "storage/stream.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/resp/value.h"
#include "core/resp/writer.h"
#include "storage/coll.h"
#include "storage/op.h"
#include "storage/stream_util.h"
#include "tests/unit/storage/keyspace_fixture.h"

namespace shoal::storage {
namespace {

using stream::StreamId;
using test_util::Bulk;
using test_util::Err;
using test_util::Int;

constexpr uint64_t kMax = UINT64_MAX;

// ---- IDs ----

TEST(StreamIdTest, EncodingSortsAsIds) {
  const std::vector<StreamId> ids = {{0, 0},   {0, 1},   {0, kMax},   {1, 0},
                                     {255, 7}, {256, 0}, {kMax, kMax}};
  for (size_t i = 0; i + 1 < ids.size(); ++i) {
    EXPECT_LT(ids[i].Encode(), ids[i + 1].Encode()) << ids[i].ToString();
    EXPECT_EQ(StreamId::Decode(ids[i].Encode()), ids[i]);
  }
  EXPECT_EQ(StreamId({kMax, kMax}).ToString(), "18446744073709551615-18446744073709551615");
}

TEST(StreamIdTest, IncrAndDecrCarryAndStopAtTheEnds) {
  StreamId id{1, kMax};
  ASSERT_TRUE(id.Incr());
  EXPECT_EQ(id, (StreamId{2, 0}));
  ASSERT_TRUE(id.Decr());
  EXPECT_EQ(id, (StreamId{1, kMax}));
  StreamId max = StreamId::Max();
  EXPECT_FALSE(max.Incr());
  StreamId zero;
  EXPECT_FALSE(zero.Decr());
}

TEST(StreamIdTest, ParseAcceptsWhatRedisAccepts) {
  using stream::ParseId;
  EXPECT_EQ(ParseId("5"), (StreamId{5, 0}));
  EXPECT_EQ(ParseId("5", kMax), (StreamId{5, kMax}));
  EXPECT_EQ(ParseId("5-3"), (StreamId{5, 3}));
  EXPECT_EQ(ParseId("18446744073709551615-18446744073709551615"), StreamId::Max());
  // Redis falls back to strtoull: a sign, leading spaces and zeros pass.
  EXPECT_EQ(ParseId("+5-1"), (StreamId{5, 1}));
  EXPECT_EQ(ParseId(" 6-1"), (StreamId{6, 1}));
  EXPECT_EQ(ParseId("0007-+1"), (StreamId{7, 1}));
  EXPECT_EQ(ParseId("-", 0, true), (StreamId{0, 0}));
  EXPECT_EQ(ParseId("+", 0, true), StreamId::Max());
}

TEST(StreamIdTest, ParseRejectsMalformedIds) {
  using stream::ParseId;
  for (std::string_view bad : {"", "-", "+", "x", "1-", "-1", "1-x", "1-2-3", "1--1", "1-*",
                               "18446744073709551616", "1-18446744073709551616", "0x10", "1e3"}) {
    EXPECT_FALSE(ParseId(bad).has_value()) << bad;
  }
  // Redis parses in a 128-byte buffer.
  EXPECT_TRUE(ParseId(std::string(127, '0')).has_value());
  EXPECT_FALSE(ParseId(std::string(128, '0')).has_value());
}

TEST(StreamIdTest, RangeBoundsMoveExclusiveIdsInward) {
  using stream::ParseRangeBound;
  bool empty = false;
  EXPECT_EQ(ParseRangeBound("-", true, &empty), (StreamId{0, 0}));
  EXPECT_EQ(ParseRangeBound("+", false, &empty), StreamId::Max());
  EXPECT_EQ(ParseRangeBound("5", true, &empty), (StreamId{5, 0}));
  EXPECT_EQ(ParseRangeBound("5", false, &empty), (StreamId{5, kMax}));
  EXPECT_EQ(ParseRangeBound("(5-1", true, &empty), (StreamId{5, 2}));
  EXPECT_EQ(ParseRangeBound("(5", false, &empty), (StreamId{5, kMax - 1}));
  EXPECT_EQ(ParseRangeBound("(5", true, &empty), (StreamId{5, 1}));
  EXPECT_FALSE(empty);
  EXPECT_FALSE(ParseRangeBound("(-", true, &empty).has_value());
  EXPECT_FALSE(ParseRangeBound("(+", false, &empty).has_value());
  EXPECT_FALSE(ParseRangeBound("(", true, &empty).has_value());
  ParseRangeBound("(0-0", false, &empty);
  EXPECT_TRUE(empty);
  empty = false;
  ParseRangeBound("(18446744073709551615-18446744073709551615", true, &empty);
  EXPECT_TRUE(empty);
}

// ---- XADD's IDs ----

std::optional<StreamId> Next(std::string_view arg, StreamId last, int64_t now, const char** error) {
  auto spec = stream::ParseAddId(arg);
  EXPECT_TRUE(spec.has_value()) << arg;
  if (!spec) return std::nullopt;
  *error = nullptr;
  return stream::NextAddId(*spec, last, now, error);
}

TEST(StreamAddIdTest, ParsesTheThreeForms) {
  auto a = stream::ParseAddId("*");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->auto_ms);
  auto b = stream::ParseAddId("7-*");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->auto_seq);
  EXPECT_EQ(b->id.ms, 7u);
  auto c = stream::ParseAddId("7");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->auto_ms || c->auto_seq);
  EXPECT_EQ(c->id, (StreamId{7, 0}));
  for (std::string_view bad : {"-", "+", "*-1", "x-*", "1-**", "**", ""}) {
    EXPECT_FALSE(stream::ParseAddId(bad).has_value()) << bad;
  }
}

TEST(StreamAddIdTest, AutoIdFollowsTheClockOrTheLastId) {
  const char* error = nullptr;
  EXPECT_EQ(Next("*", {5, 3}, 10, &error), (StreamId{10, 0}));
  // A clock behind the last ID: the last ID's successor.
  EXPECT_EQ(Next("*", {50, 3}, 10, &error), (StreamId{50, 4}));
  EXPECT_EQ(Next("*", {50, kMax}, 10, &error), (StreamId{51, 0}));
  EXPECT_EQ(Next("*", {0, 0}, -5, &error), (StreamId{0, 1}));
  EXPECT_FALSE(Next("*", StreamId::Max(), 10, &error).has_value());
  EXPECT_STREQ(error, stream::kIdExhausted);
}

TEST(StreamAddIdTest, AutoSequence) {
  const char* error = nullptr;
  EXPECT_EQ(Next("0-*", {0, 0}, 0, &error), (StreamId{0, 1}));
  EXPECT_EQ(Next("5-*", {5, 3}, 0, &error), (StreamId{5, 4}));
  EXPECT_EQ(Next("6-*", {5, 3}, 0, &error), (StreamId{6, 0}));
  EXPECT_FALSE(Next("4-*", {5, 3}, 0, &error).has_value());
  EXPECT_STREQ(error, stream::kIdTooSmall);
  EXPECT_FALSE(Next("5-*", {5, kMax}, 0, &error).has_value());
  EXPECT_STREQ(error, stream::kIdTooSmall);
}

TEST(StreamAddIdTest, ExplicitIdMustGrow) {
  const char* error = nullptr;
  EXPECT_EQ(Next("5-4", {5, 3}, 0, &error), (StreamId{5, 4}));
  EXPECT_FALSE(Next("5-3", {5, 3}, 0, &error).has_value());
  EXPECT_STREQ(error, stream::kIdTooSmall);
  EXPECT_FALSE(Next("0-0", {0, 0}, 0, &error).has_value());
  EXPECT_STREQ(error, stream::kIdZero);
}

// ---- records ----

TEST(StreamRecordTest, RoundTrips) {
  stream::StreamState st{{9, 1}, {4, 2}, 77};
  auto st2 = stream::DecodeState(stream::EncodeState(st));
  ASSERT_TRUE(st2);
  EXPECT_EQ(st2->last_id, st.last_id);
  EXPECT_EQ(st2->max_deleted_id, st.max_deleted_id);
  EXPECT_EQ(st2->entries_added, 77u);

  stream::GroupState g{{3, 3}, -1, 5};
  auto g2 = stream::DecodeGroup(stream::EncodeGroup(g));
  ASSERT_TRUE(g2);
  EXPECT_EQ(g2->last_delivered, g.last_delivered);
  EXPECT_EQ(g2->entries_read, -1);
  EXPECT_EQ(g2->pending, 5u);

  stream::ConsumerState c{123, -1, 2};
  auto c2 = stream::DecodeConsumer(stream::EncodeConsumer(c));
  ASSERT_TRUE(c2);
  EXPECT_EQ(c2->seen_ms, 123);
  EXPECT_EQ(c2->active_ms, -1);
  EXPECT_EQ(c2->pending, 2u);

  stream::PendingEntry p{456, 3, "alice"};
  auto p2 = stream::DecodePending(stream::EncodePending(p));
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->delivery_ms, 456);
  EXPECT_EQ(p2->delivery_count, 3u);
  EXPECT_EQ(p2->consumer, "alice");

  const std::string fields = stream::EncodeFields({{"f", "v"}, {"", ""}, {"k", "a\0b"}});
  std::vector<std::pair<std::string_view, std::string_view>> fv;
  ASSERT_TRUE(stream::DecodeFields(fields, &fv));
  ASSERT_EQ(fv.size(), 3u);
  EXPECT_EQ(fv[0].first, "f");
  EXPECT_EQ(fv[1].second, "");
  EXPECT_FALSE(stream::DecodeFields(fields.substr(0, fields.size() - 1), &fv));
  EXPECT_FALSE(stream::DecodeFields("", &fv));
}

// ---- commands ----

class StreamCmdTest : public test_util::KeyspaceTest {
 protected:
  // A write applied as a replica applies it (with the blocking flag, as
  // the proposer sets it for XREAD BLOCK).
  std::string Cmd(std::vector<std::string> argv, int64_t now = kNow, uint32_t flags = 0) {
    return Apply(OpCode::kCommand, std::move(argv), flags, static_cast<int64_t>(++seed_), now);
  }

  struct RunResult {
    std::string reply;
    bool would_block = false;
    std::string block_ids;
  };
  // Runs a command directly in an Env (reads, or XREAD's attempt).
  RunResult Run(std::vector<std::string> argv, bool write = false, bool resp3 = false,
                int64_t now = kNow) {
    const coll::CmdImpl* impl = coll::FindImpl(argv[0]);
    EXPECT_NE(impl, nullptr) << argv[0];
    RunResult r;
    if (impl == nullptr) return r;
    std::vector<std::string_view> views(argv.begin(), argv.end());
    resp::Writer w(&r.reply, resp3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2);
    coll::Env env{*ks_, now, 0, w, write};
    impl->fn(env, views);
    r.would_block = env.would_block;
    r.block_ids = env.block_ids;
    return r;
  }
  std::string Read(std::vector<std::string> argv) { return Run(std::move(argv)).reply; }

  static resp::Value Parse(const std::string& reply) {
    resp::Value v;
    size_t consumed = 0;
    EXPECT_EQ(resp::ReplyParser::Parse(reply, &v, &consumed), resp::ReplyParser::Outcome::kValue)
        << reply;
    return v;
  }
  // The IDs of an XRANGE reply.
  static std::vector<std::string> Ids(const std::string& reply) {
    std::vector<std::string> out;
    for (const auto& e : Parse(reply).elements) {
      if (!e.elements.empty()) out.push_back(e.elements[0].str);
    }
    return out;
  }
  // A flat RESP2 map reply (XINFO) as name -> value element.
  static std::vector<std::pair<std::string, resp::Value>> Fields(const resp::Value& v) {
    std::vector<std::pair<std::string, resp::Value>> out;
    for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
      out.emplace_back(v.elements[i].str, v.elements[i + 1]);
    }
    return out;
  }
  static const resp::Value* Field(const resp::Value& v, std::string_view name) {
    for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
      if (v.elements[i].str == name) return &v.elements[i + 1];
    }
    ADD_FAILURE() << "no field " << name;
    return nullptr;
  }

  // Writes group records the way the consumer-group commands do.
  void PutGroupRecords(const std::string& key, std::string_view group, const stream::GroupState& g,
                       const std::vector<std::pair<std::string, stream::ConsumerState>>& consumers,
                       const std::vector<std::pair<StreamId, stream::PendingEntry>>& pel) {
    const KeyRef ref = Keyspace::Ref(key);
    auto lock = ks_->LockKey(ref);
    std::string out;
    resp::Writer w(&out);
    coll::Env env{*ks_, kNow, 0, w, true};
    coll::Handle h;
    ASSERT_TRUE(stream::OpenStream(env, key, &h));
    ASSERT_TRUE(h.live);
    WriteTxn txn(ks_.get());
    stream::PutGroup(txn, h, group, g);
    for (const auto& [name, c] : consumers) stream::PutConsumer(txn, h, group, name, c);
    for (const auto& [id, p] : pel) {
      txn.PutSub(coll::SubKey(h, stream::kTagPending, stream::PendingRest(group, id)),
                 stream::EncodePending(p));
      txn.PutSub(coll::SubKey(h, stream::kTagConsumerPending,
                              stream::ConsumerPendingRest(group, p.consumer, id)),
                 "");
    }
    ASSERT_TRUE(env.Commit(txn));
  }

  uint64_t seed_ = 0;
};

TEST_F(StreamCmdTest, AutoIdsComeFromTheProposersClock) {
  EXPECT_EQ(Cmd({"xadd", "s", "*", "f", "v"}, 1000), Bulk("1000-0"));
  EXPECT_EQ(Cmd({"xadd", "s", "*", "f", "v"}, 1000), Bulk("1000-1"));
  // A clock that went back does not make IDs go back.
  EXPECT_EQ(Cmd({"xadd", "s", "*", "f", "v"}, 900), Bulk("1000-2"));
  EXPECT_EQ(Cmd({"xadd", "s", "1000-*", "f", "v"}), Bulk("1000-3"));
  EXPECT_EQ(Cmd({"xadd", "s", "1000-3", "f", "v"}), Err(stream::kIdTooSmall));
  EXPECT_EQ(Read({"xlen", "s"}), Int(4));
}

TEST_F(StreamCmdTest, XaddChecksArgumentsBeforeCreatingTheKey) {
  EXPECT_EQ(Cmd({"xadd", "s", "0-0", "f", "v"}), Err(stream::kIdZero));
  EXPECT_EQ(Cmd({"xadd", "s", "1-1", "f"}),
            Err("ERR wrong number of arguments for 'xadd' command"));
  EXPECT_EQ(Cmd({"xadd", "s", "limit", "5", "*", "f", "v"}),
            Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
  EXPECT_EQ(Cmd({"xadd", "s", "maxlen", "5", "limit", "5", "*", "f", "v"}),
            Err("ERR syntax error, LIMIT cannot be used without the special ~ option"));
  EXPECT_EQ(Cmd({"xadd", "s", "nomkstream", "1-1", "f", "v"}), "$-1\r\n");
  EXPECT_EQ(Read({"xlen", "s"}), Int(0));
  EXPECT_EQ(Exists({"s"}), Int(0));
}

TEST_F(StreamCmdTest, TrimmingInXaddCanDropTheNewEntryAndKeepsTheKey) {
  EXPECT_EQ(Cmd({"xadd", "s", "maxlen", "0", "5-1", "f", "v"}), Bulk("5-1"));
  EXPECT_EQ(Read({"xlen", "s"}), Int(0));
  EXPECT_EQ(Exists({"s"}), Int(1));
  EXPECT_EQ(Cmd({"xadd", "s", "6-1", "f", "v"}), Bulk("6-1"));
  EXPECT_EQ(Cmd({"xadd", "s", "minid", "9", "7-1", "f", "v"}), Bulk("7-1"));
  EXPECT_EQ(Read({"xlen", "s"}), Int(0));
  for (int i = 1; i <= 5; ++i) {
    Cmd({"xadd", "s", std::to_string(10 + i) + "-1", "f", "v"});
  }
  EXPECT_EQ(Cmd({"xadd", "s", "maxlen", "~", "3", "limit", "1", "20-1", "f", "v"}), Bulk("20-1"));
  EXPECT_EQ(Ids(Read({"xrange", "s", "-", "+"})),
            (std::vector<std::string>{"12-1", "13-1", "14-1", "15-1", "20-1"}));
  EXPECT_EQ(Cmd({"xtrim", "s", "maxlen", "2"}), Int(3));
  EXPECT_EQ(Cmd({"xtrim", "s", "minid", "20"}), Int(1));
  EXPECT_EQ(Ids(Read({"xrange", "s", "-", "+"})), (std::vector<std::string>{"20-1"}));
}

TEST_F(StreamCmdTest, XdelCountsEachEntryOnceAndRecordsTheMaxDeletedId) {
  Cmd({"xadd", "s", "1-1", "a", "1"});
  Cmd({"xadd", "s", "2-1", "b", "2"});
  Cmd({"xadd", "s", "3-1", "c", "3"});
  EXPECT_EQ(Cmd({"xdel", "s", "2-1", "bad"}), Err(stream::kInvalidId));
  EXPECT_EQ(Cmd({"xdel", "s", "2-1", "2-1", "1", "9-9"}), Int(1));
  EXPECT_EQ(Cmd({"xdel", "s", "1-1"}), Int(1));
  auto info = Parse(Read({"xinfo", "stream", "s"}));
  EXPECT_EQ(Field(info, "length")->integer, 1);
  EXPECT_EQ(Field(info, "max-deleted-entry-id")->str, "2-1");
  EXPECT_EQ(Field(info, "recorded-first-entry-id")->str, "3-1");
  EXPECT_EQ(Field(info, "entries-added")->integer, 3);
  EXPECT_EQ(Cmd({"xsetid", "s", "2-5"}),
            Err("ERR The ID specified in XSETID is smaller than the target stream top item"));
  EXPECT_EQ(Cmd({"xsetid", "s", "9-9", "entriesadded", "10"}), test_util::Ok());
  EXPECT_EQ(Cmd({"xadd", "s", "9-9", "f", "v"}), Err(stream::kIdTooSmall));
}

TEST_F(StreamCmdTest, XreadBlocksWithResolvedIdsAndChangesNothing) {
  Cmd({"xadd", "s", "5-1", "f", "v"});
  auto r = Run({"xread", "block", "0", "streams", "s", "nokey", "$", "$"}, /*write=*/true);
  EXPECT_TRUE(r.would_block);
  EXPECT_EQ(r.block_ids, "5-1 0-0");
  EXPECT_EQ(r.reply, "*-1\r\n");
  // Through the state machine: the would-block reply carries the IDs.
  const std::string applied =
      Cmd({"xread", "block", "0", "streams", "s", "$"}, kNow, op_flags::kMayBlock);
  EXPECT_TRUE(IsWouldBlock(applied)) << applied;
  EXPECT_EQ(WouldBlockIds(applied), "5-1");
  // Without BLOCK (or not allowed to block) it is a plain null.
  r = Run({"xread", "streams", "s", "$"});
  EXPECT_FALSE(r.would_block);
  EXPECT_EQ(r.reply, "*-1\r\n");
  // Something newer is served at once, as a map in RESP3.
  r = Run({"xread", "block", "0", "streams", "s", "0"}, true, /*resp3=*/true);
  EXPECT_FALSE(r.would_block);
  EXPECT_EQ(r.reply, "%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  // "+": the last entry.
  Cmd({"xadd", "s", "6-1", "g", "w"});
  auto plus = Parse(Run({"xread", "streams", "s", "+"}).reply);
  ASSERT_EQ(plus.elements.size(), 1u);
  ASSERT_EQ(plus.elements[0].elements.size(), 2u);
  ASSERT_EQ(plus.elements[0].elements[1].elements.size(), 1u);
  EXPECT_EQ(plus.elements[0].elements[1].elements[0].elements[0].str, "6-1");
}

TEST_F(StreamCmdTest, XinfoReportsGroupsConsumersAndPels) {
  Cmd({"xadd", "s", "1-1", "a", "1"});
  Cmd({"xadd", "s", "2-1", "b", "2"});
  Cmd({"xadd", "s", "3-1", "c", "3"});
  // Group g read two entries; alice holds 1-1, bob 2-1.
  PutGroupRecords("s", "g", {{2, 1}, 2, 2},
                  {{"alice", {kNow - 100, kNow - 200, 1}}, {"bob", {kNow - 50, -1, 1}}},
                  {{{1, 1}, {kNow - 300, 1, "alice"}}, {{2, 1}, {kNow - 250, 2, "bob"}}});
  PutGroupRecords("s", "empty", {{0, 0}, -1, 0}, {}, {});

  auto groups = Parse(Read({"xinfo", "groups", "s"}));
  ASSERT_EQ(groups.elements.size(), 2u);
  EXPECT_EQ(Field(groups.elements[0], "name")->str, "empty");
  EXPECT_EQ(Field(groups.elements[0], "entries-read")->type, resp::Value::Type::kNull);
  // Never read, no tombstones: the lag is every entry.
  EXPECT_EQ(Field(groups.elements[0], "lag")->integer, 3);
  EXPECT_EQ(Field(groups.elements[1], "name")->str, "g");
  EXPECT_EQ(Field(groups.elements[1], "consumers")->integer, 2);
  EXPECT_EQ(Field(groups.elements[1], "pending")->integer, 2);
  EXPECT_EQ(Field(groups.elements[1], "last-delivered-id")->str, "2-1");
  EXPECT_EQ(Field(groups.elements[1], "entries-read")->integer, 2);
  EXPECT_EQ(Field(groups.elements[1], "lag")->integer, 1);

  auto consumers = Parse(Read({"xinfo", "consumers", "s", "g"}));
  ASSERT_EQ(consumers.elements.size(), 2u);
  EXPECT_EQ(Field(consumers.elements[0], "name")->str, "alice");
  EXPECT_EQ(Field(consumers.elements[0], "idle")->integer, 100);
  EXPECT_EQ(Field(consumers.elements[0], "inactive")->integer, 200);
  EXPECT_EQ(Field(consumers.elements[1], "inactive")->integer, -1);
  EXPECT_EQ(Read({"xinfo", "consumers", "s", "nope"}),
            Err("NOGROUP No such consumer group 'nope' for key name 's'"));

  auto full = Parse(Read({"xinfo", "stream", "s", "full", "count", "1"}));
  EXPECT_EQ(Field(full, "entries")->elements.size(), 1u);
  const auto& fg = Field(full, "groups")->elements;
  ASSERT_EQ(fg.size(), 2u);
  EXPECT_EQ(Field(fg[1], "pel-count")->integer, 2);
  ASSERT_EQ(Field(fg[1], "pending")->elements.size(), 1u);  // COUNT 1
  const auto& nack = Field(fg[1], "pending")->elements[0].elements;
  ASSERT_EQ(nack.size(), 4u);
  EXPECT_EQ(nack[0].str, "1-1");
  EXPECT_EQ(nack[1].str, "alice");
  EXPECT_EQ(nack[2].integer, kNow - 300);
  EXPECT_EQ(nack[3].integer, 1);
  const auto& bob = Field(fg[1], "consumers")->elements[1];
  EXPECT_EQ(Field(bob, "active-time")->integer, -1);
  const auto& bob_pel = Field(bob, "pending")->elements;
  ASSERT_EQ(bob_pel.size(), 1u);
  EXPECT_EQ(bob_pel[0].elements[0].str, "2-1");
  EXPECT_EQ(bob_pel[0].elements[2].integer, 2);

  // A deletion after the group's position makes the counter unusable.
  Cmd({"xdel", "s", "3-1"});
  groups = Parse(Read({"xinfo", "groups", "s"}));
  EXPECT_EQ(Field(groups.elements[1], "lag")->type, resp::Value::Type::kNull);
}

}  // namespace
}  // namespace shoal::storage
