// Collection storage under the commands: the pending-write overlay of
// Keyspace::SubIterator and Keyspace::GetSub, the compaction filter that
// drops members of deleted collections, shard snapshots carrying members,
// rank indexes not stalling other sorted sets, and re-entrant stripe locks.
#include "storage/coll.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/resp/value.h"
#include "core/resp/writer.h"
#include "storage/engine.h"
#include "storage/format.h"
#include "storage/keyspace.h"
#include "storage/op.h"
#include "storage/rank_index.h"
#include "tests/unit/storage/keyspace_fixture.h"

namespace shoal::storage {
namespace {

using test_util::Bulk;
using test_util::Int;
using test_util::Nil;
using test_util::Ok;

// Key/value pairs as an iterator yields them.
using Pairs = std::vector<std::pair<std::string, std::string>>;

class CollStorageTest : public test_util::KeyspaceTest {
 protected:
  // A collection write command (argv[0] lower case), applied as a replica
  // applies it. Returns the reply bytes.
  std::string Cmd(std::vector<std::string> argv) {
    return Apply(OpCode::kCommand, std::move(argv), 0, /*num=*/static_cast<int64_t>(++seed_));
  }

  // A collection read command on `ks` (the test's keyspace by default).
  static std::string Read(Keyspace& ks, std::vector<std::string> argv) {
    const coll::CmdImpl* impl = coll::FindImpl(argv[0]);
    EXPECT_NE(impl, nullptr) << argv[0];
    if (impl == nullptr) return "<unknown command>";
    std::vector<std::string_view> views(argv.begin(), argv.end());
    std::string out;
    resp::Writer w(&out);
    coll::Env env{ks, kNow, 0, w, /*write=*/false};
    impl->fn(env, views);
    return out;
  }
  std::string Read(std::vector<std::string> argv) { return Read(*ks_, std::move(argv)); }

  static resp::Value Parse(const std::string& reply) {
    resp::Value v;
    size_t consumed = 0;
    EXPECT_EQ(resp::ReplyParser::Parse(reply, &v, &consumed), resp::ReplyParser::Outcome::kValue)
        << reply;
    return v;
  }
  static std::vector<std::string> Strings(const std::string& reply) {
    std::vector<std::string> out;
    for (const auto& e : Parse(reply).elements) out.push_back(e.str);
    return out;
  }

  // The collection metadata of `key` in `ks`; nullopt if absent or not a
  // collection.
  static std::optional<CollMeta> MetaOf(Keyspace& ks, std::string_view key) {
    const KeyRef ref = Keyspace::Ref(key);
    auto lock = ks.LockKey(ref);
    std::string scratch;
    auto r = ks.Read(ref, kNow, &scratch, /*touch=*/false);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || !*r || !IsCollection((*r)->type)) return std::nullopt;
    return DecodeCollMeta((*r)->value);
  }

  static std::string Prefix(std::string_view key, uint64_t version) {
    return EncodeSubPrefix(Keyspace::Ref(key).slot, key, version);
  }

  // Records of CF sub starting with `prefix`, as RocksDB holds them
  // (pending writes not included).
  static size_t CountStored(Keyspace& ks, std::string_view prefix) {
    auto it = ks.engine()->NewIterator(Cf::kSub);
    size_t n = 0;
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Valid() && it->key().starts_with(rocksdb::Slice(prefix.data(), prefix.size()));
         it->Next()) {
      ++n;
    }
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
    return n;
  }

  // Writes sub-records straight into a transaction (nullopt deletes).
  void WriteSubs(const std::vector<std::pair<std::string, std::optional<std::string>>>& subs) {
    WriteTxn txn(ks_.get());
    for (const auto& [k, v] : subs) {
      if (v) {
        txn.PutSub(k, *v);
      } else {
        txn.DeleteSub(k);
      }
    }
    Status s = txn.Commit(kNow);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Everything a SubIterator over [lo, hi) yields from its first position.
  Pairs Iterate(const std::string& lo, const std::string& hi, bool reverse) {
    Keyspace::SubIterator it(ks_.get(), lo, hi, reverse);
    return Drain(it);
  }
  static Pairs Drain(Keyspace::SubIterator& it) {
    Pairs out;
    for (; it.Valid(); it.Next()) out.emplace_back(it.key(), it.value());
    EXPECT_TRUE(it.status().ok()) << it.status().ToString();
    return out;
  }

  std::optional<std::string> GetSub(std::string_view key) {
    auto r = ks_->GetSub(key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  // A keyspace of its own (a second node).
  struct OtherNode {
    test_util::TempDir dir;
    std::unique_ptr<Keyspace> ks;
    std::unique_ptr<StateMachine> sm;
  };
  static std::unique_ptr<OtherNode> OpenOther() {
    auto node = std::make_unique<OtherNode>();
    KeyspaceOptions o;
    o.engine.dir = node->dir.path();
    o.engine.fsync = FsyncPolicy::kNo;
    o.engine.block_cache_bytes = 1 << 20;
    o.engine.write_buffer_bytes = 1 << 20;
    o.engine.max_background_jobs = 1;
    auto ks = Keyspace::Open(o);
    EXPECT_TRUE(ks.ok()) << ks.status().ToString();
    if (!ks.ok()) return nullptr;
    node->ks = std::move(ks).value();
    node->sm = std::make_unique<StateMachine>(node->ks.get(), StateMachineOptions{});
    return node;
  }
  static void ApplyOn(StateMachine& sm, const std::vector<std::string>& argv, uint64_t seed) {
    Op op;
    op.code = OpCode::kCommand;
    op.now_ms = kNow;
    op.num = static_cast<int64_t>(seed);
    for (const auto& a : argv) op.args.emplace_back(a);
    std::string out;
    resp::Writer w(&out);
    sm.Apply(op, &w);
    EXPECT_NE(out.substr(0, 1), "-") << out;
  }

  // A field/value argv for HSET of `n` fields "f<i>" = "v<i>".
  static std::vector<std::string> HsetArgs(const std::string& key, int n,
                                           const std::string& tag = "") {
    std::vector<std::string> argv{"hset", key};
    for (int i = 0; i < n; ++i) {
      argv.push_back("f" + tag + std::to_string(i));
      argv.push_back("v" + tag + std::to_string(i));
    }
    return argv;
  }

  uint64_t seed_ = 0;
};

// ---- SubIterator: pending writes over flushed records ----------------------

// Keys P+"a".."h" of one fake collection; X and Y: neighbours outside it.
class CollOverlayTest : public CollStorageTest {
 protected:
  void SetUp() override {
    CollStorageTest::SetUp();
    p_ = Prefix("coll", 7);
    lo_ = p_;
    hi_ = coll::PrefixEnd(p_);
    const std::string before = Prefix("coll", 6) + "z";  // sorts before lo_
    const std::string after = Prefix("coll", 8) + "a";   // sorts after hi_
    // Flushed: a c e g, and neighbours on both sides.
    WriteSubs({{K("a"), "fa"},
               {K("c"), "fc"},
               {K("e"), "fe"},
               {K("g"), "fg"},
               {before, "x"},
               {after, "y"}});
    Flush();
    // Pending: put b, delete c, overwrite e, put h, delete an absent key,
    // and neighbours that must stay outside.
    WriteSubs({{K("b"), "pb"},
               {K("c"), std::nullopt},
               {K("e"), "pe"},
               {K("h"), "ph"},
               {K("d"), std::nullopt},
               {before + "2", "x2"},
               {after + "2", "y2"}});
  }
  std::string K(std::string_view m) const { return p_ + std::string(m); }
  Pairs Want(const std::vector<std::pair<std::string, std::string>>& members) const {
    Pairs out;
    for (const auto& [m, v] : members) out.emplace_back(K(m), v);
    return out;
  }

  std::string p_, lo_, hi_;
};

TEST_F(CollOverlayTest, ForwardMergesPendingOverFlushed) {
  EXPECT_EQ(Iterate(lo_, hi_, false),
            Want({{"a", "fa"}, {"b", "pb"}, {"e", "pe"}, {"g", "fg"}, {"h", "ph"}}));
}

TEST_F(CollOverlayTest, ReverseMergesPendingOverFlushed) {
  EXPECT_EQ(Iterate(lo_, hi_, true),
            Want({{"h", "ph"}, {"g", "fg"}, {"e", "pe"}, {"b", "pb"}, {"a", "fa"}}));
}

TEST_F(CollOverlayTest, SameViewAfterFlushAndAfterReopen) {
  const Pairs want = Want({{"a", "fa"}, {"b", "pb"}, {"e", "pe"}, {"g", "fg"}, {"h", "ph"}});
  Flush();
  EXPECT_EQ(Iterate(lo_, hi_, false), want);
  Reopen();
  EXPECT_EQ(Iterate(lo_, hi_, false), want);
  Pairs reversed(want.rbegin(), want.rend());
  EXPECT_EQ(Iterate(lo_, hi_, true), reversed);
}

TEST_F(CollOverlayTest, PendingDeletionsHideEveryFlushedRecord) {
  WriteSubs({{K("a"), std::nullopt},
             {K("e"), std::nullopt},
             {K("g"), std::nullopt},
             {K("b"), std::nullopt},
             {K("h"), std::nullopt}});
  EXPECT_EQ(Iterate(lo_, hi_, false), Pairs{});
  EXPECT_EQ(Iterate(lo_, hi_, true), Pairs{});
}

TEST_F(CollOverlayTest, BoundsInsideTheCollectionAreRespected) {
  // [b, g): g exists flushed and is excluded; so is everything before b.
  EXPECT_EQ(Iterate(K("b"), K("g"), false), Want({{"b", "pb"}, {"e", "pe"}}));
  EXPECT_EQ(Iterate(K("b"), K("g"), true), Want({{"e", "pe"}, {"b", "pb"}}));
  // [c, h): h exists only pending and is excluded; c is deleted.
  EXPECT_EQ(Iterate(K("c"), K("h"), false), Want({{"e", "pe"}, {"g", "fg"}}));
  EXPECT_EQ(Iterate(K("c"), K("h"), true), Want({{"g", "fg"}, {"e", "pe"}}));
  // An empty range.
  EXPECT_EQ(Iterate(K("c"), K("d"), false), Pairs{});
  EXPECT_EQ(Iterate(K("c"), K("d"), true), Pairs{});
}

TEST_F(CollOverlayTest, ForwardSeekFindsTheFirstKeyAtOrAfter) {
  Keyspace::SubIterator it(ks_.get(), lo_, hi_, false);
  it.Seek(K("c"));  // deleted in pending: the next live one
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), K("e"));
  EXPECT_EQ(it.value(), "pe");
  it.Seek(K("b"));  // pending only
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), K("b"));
  EXPECT_EQ(Drain(it), Want({{"b", "pb"}, {"e", "pe"}, {"g", "fg"}, {"h", "ph"}}));
  it.Seek(K("f"));  // between records
  EXPECT_EQ(Drain(it), Want({{"g", "fg"}, {"h", "ph"}}));
  it.Seek(K("i"));  // past the last one
  EXPECT_FALSE(it.Valid());
  it.Seek(Prefix("coll", 6));  // before lo: clamps to the first
  EXPECT_EQ(Drain(it), Want({{"a", "fa"}, {"b", "pb"}, {"e", "pe"}, {"g", "fg"}, {"h", "ph"}}));
  it.Seek(hi_);
  EXPECT_FALSE(it.Valid());
}

TEST_F(CollOverlayTest, ReverseSeekFindsTheLastKeyAtOrBefore) {
  Keyspace::SubIterator it(ks_.get(), lo_, hi_, true);
  it.Seek(K("d"));  // c deleted: b
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), K("b"));
  EXPECT_EQ(Drain(it), Want({{"b", "pb"}, {"a", "fa"}}));
  it.Seek(K("e"));  // exact hit, overwritten in pending
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), K("e"));
  EXPECT_EQ(it.value(), "pe");
  it.Seek(K("c"));  // exact hit on a deleted key
  EXPECT_EQ(Drain(it), Want({{"b", "pb"}, {"a", "fa"}}));
  it.Seek(K("g") + "\x01");  // just after a flushed key
  EXPECT_EQ(Drain(it), Want({{"g", "fg"}, {"e", "pe"}, {"b", "pb"}, {"a", "fa"}}));
  it.Seek(hi_ + "zzz");  // past hi: the last one
  EXPECT_EQ(Drain(it), Want({{"h", "ph"}, {"g", "fg"}, {"e", "pe"}, {"b", "pb"}, {"a", "fa"}}));
  it.Seek(K(""));  // lo itself: nothing at or before it
  EXPECT_FALSE(it.Valid());
  it.Seek(Prefix("coll", 6) + "zz");  // before lo
  EXPECT_FALSE(it.Valid());
}

TEST_F(CollOverlayTest, SeekWithinNarrowBoundsStaysInside) {
  Keyspace::SubIterator fwd(ks_.get(), K("b"), K("g"), false);
  fwd.Seek(K("a"));  // below lo
  EXPECT_EQ(Drain(fwd), Want({{"b", "pb"}, {"e", "pe"}}));
  fwd.Seek(K("g"));  // == hi
  EXPECT_FALSE(fwd.Valid());
  Keyspace::SubIterator rev(ks_.get(), K("b"), K("g"), true);
  rev.Seek(K("h"));  // above hi: g and h are outside
  EXPECT_EQ(Drain(rev), Want({{"e", "pe"}, {"b", "pb"}}));
  rev.Seek(K("a"));  // below lo
  EXPECT_FALSE(rev.Valid());
}

// ---- GetSub ----------------------------------------------------------------

TEST_F(CollStorageTest, GetSubSeesPendingPutsAndDeletesBeforeAndAfterFlush) {
  const std::string p = Prefix("g", 1);
  WriteSubs({{p + "kept", "1"}, {p + "deleted", "2"}, {p + "overwritten", "3"}});
  Flush();
  WriteSubs({{p + "new", "4"},
             {p + "deleted", std::nullopt},
             {p + "overwritten", "5"},
             {p + "never", std::nullopt}});
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round == 0 ? "pending" : round == 1 ? "flushed" : "reopened");
    EXPECT_EQ(GetSub(p + "kept"), "1");
    EXPECT_EQ(GetSub(p + "new"), "4");
    EXPECT_EQ(GetSub(p + "deleted"), std::nullopt);
    EXPECT_EQ(GetSub(p + "overwritten"), "5");
    EXPECT_EQ(GetSub(p + "never"), std::nullopt);
    if (round == 0) Flush();
    if (round == 1) Reopen();
  }
  EXPECT_EQ(CountStored(*ks_, p), 3u);  // kept, new, overwritten
}

TEST_F(CollStorageTest, CommandsReadTheirOwnUnflushedMembers) {
  EXPECT_EQ(Cmd({"hset", "h", "a", "1", "b", "2"}), Int(2));
  EXPECT_EQ(Read({"hget", "h", "a"}), Bulk("1"));
  EXPECT_EQ(Cmd({"hdel", "h", "a"}), Int(1));
  EXPECT_EQ(Read({"hget", "h", "a"}), Nil());
  EXPECT_EQ(Read({"hgetall", "h"}), "*2\r\n" + Bulk("b") + Bulk("2"));
  Flush();
  EXPECT_EQ(Cmd({"hset", "h", "c", "3"}), Int(1));
  EXPECT_EQ(Cmd({"hdel", "h", "b"}), Int(1));
  EXPECT_EQ(Read({"hgetall", "h"}), "*2\r\n" + Bulk("c") + Bulk("3"));
  auto meta = MetaOf(*ks_, "h");
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->count, 1u);
  EXPECT_EQ(GetSub(Prefix("h", meta->version) + coll::kTagMember + "c"), "3");
  EXPECT_EQ(GetSub(Prefix("h", meta->version) + coll::kTagMember + "b"), std::nullopt);
}

// ---- compaction of deleted collections -------------------------------------

TEST_F(CollStorageTest, CompactionDropsMembersOfDeletedCollectionsOnly) {
  EXPECT_EQ(Cmd(HsetArgs("gone", 1000)), Int(1000));
  EXPECT_EQ(Cmd(HsetArgs("live", 100)), Int(100));
  std::vector<std::string> rpush{"rpush", "list"};
  for (int i = 0; i < 500; ++i) rpush.push_back("e" + std::to_string(i));
  EXPECT_EQ(Cmd(rpush), Int(500));
  Flush();
  auto gone = MetaOf(*ks_, "gone");
  auto live = MetaOf(*ks_, "live");
  auto list = MetaOf(*ks_, "list");
  ASSERT_TRUE(gone && live && list);
  const std::string gone_p = Prefix("gone", gone->version);
  const std::string live_p = Prefix("live", live->version);
  const std::string list_p = Prefix("list", list->version);
  ASSERT_TRUE(ks_->engine()->CompactAll().ok());
  EXPECT_EQ(CountStored(*ks_, gone_p), 1000u);
  EXPECT_EQ(CountStored(*ks_, live_p), 100u);
  EXPECT_EQ(CountStored(*ks_, list_p), 500u);

  // DEL through the state machine; the list's metadata through WriteTxn.
  EXPECT_EQ(Apply(OpCode::kDel, {"gone"}), Int(1));
  {
    const KeyRef ref = Keyspace::Ref("list");
    auto lock = ks_->LockKey(ref);
    std::string scratch;
    auto old = ks_->Read(ref, kNow, &scratch, /*touch=*/false);
    ASSERT_TRUE(old.ok() && old->has_value());
    WriteTxn txn(ks_.get());
    txn.Delete(ref, **old);
    ASSERT_TRUE(txn.Commit(kNow).ok());
  }
  // O(1): the members are still stored until compaction.
  EXPECT_EQ(CountStored(*ks_, gone_p), 1000u);
  Flush();
  ASSERT_TRUE(ks_->engine()->CompactAll().ok());
  EXPECT_EQ(CountStored(*ks_, gone_p), 0u);
  EXPECT_EQ(CountStored(*ks_, list_p), 0u);
  EXPECT_EQ(CountStored(*ks_, live_p), 100u);
  EXPECT_EQ(Read({"hlen", "live"}), Int(100));
  EXPECT_EQ(Read({"hget", "live", "f99"}), Bulk("v99"));
  EXPECT_EQ(Read({"hlen", "gone"}), Int(0));
}

TEST_F(CollStorageTest, CompactionKeepsTheNewIncarnationOfARecreatedKey) {
  EXPECT_EQ(Cmd(HsetArgs("k", 200, "old")), Int(200));
  Flush();
  auto v1 = MetaOf(*ks_, "k");
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(Apply(OpCode::kDel, {"k"}), Int(1));
  EXPECT_EQ(Cmd(HsetArgs("k", 50, "new")), Int(50));
  auto v2 = MetaOf(*ks_, "k");
  ASSERT_TRUE(v2.has_value());
  ASSERT_NE(v1->version, v2->version);
  Flush();
  ASSERT_TRUE(ks_->engine()->CompactAll().ok());
  EXPECT_EQ(CountStored(*ks_, Prefix("k", v1->version)), 0u);
  EXPECT_EQ(CountStored(*ks_, Prefix("k", v2->version)), 50u);
  EXPECT_EQ(Read({"hlen", "k"}), Int(50));
  EXPECT_EQ(Read({"hget", "k", "fold1"}), Nil());
  EXPECT_EQ(Read({"hget", "k", "fnew1"}), Bulk("vnew1"));
}

TEST_F(CollStorageTest, CompactionDropsMembersOfACollectionOverwrittenByAString) {
  EXPECT_EQ(Cmd({"sadd", "s", "a", "b", "c"}), Int(3));
  Flush();
  auto meta = MetaOf(*ks_, "s");
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(Set("s", "now a string"), Ok());
  Flush();
  ASSERT_TRUE(ks_->engine()->CompactAll().ok());
  EXPECT_EQ(CountStored(*ks_, Prefix("s", meta->version)), 0u);
  EXPECT_EQ(Get("s"), Bulk("now a string"));
}

// ---- shard snapshots -------------------------------------------------------

TEST_F(CollStorageTest, SnapshotCarriesHashAndListMembersIntoAnotherKeyspace) {
  EXPECT_EQ(Cmd({"hset", "h", "f1", "v1", "f2", "v2"}), Int(2));
  EXPECT_EQ(Cmd({"rpush", "l", "a", "b", "c"}), Int(3));
  EXPECT_EQ(Cmd({"lpush", "l", "z"}), Int(4));
  EXPECT_EQ(Set("s", "str"), Ok());
  // Unflushed on purpose: the export flushes first.
  const Keyspace::SlotRanges all{{0, 16383}};
  auto data = ks_->ExportSlots(all);
  ASSERT_TRUE(data.ok()) << data.status().ToString();

  auto other = OpenOther();
  ASSERT_NE(other, nullptr);
  Keyspace& b = *other->ks;
  // The importer has an older "h" of its own, with other fields, and a key
  // the snapshot does not have.
  ApplyOn(*other->sm, {"hset", "h", "old1", "x", "f1", "stale"}, 1);
  ApplyOn(*other->sm, {"sadd", "only-here", "m"}, 2);
  ASSERT_TRUE(b.FlushPending().ok());
  auto old_h = MetaOf(b, "h");
  ASSERT_TRUE(old_h.has_value());

  ASSERT_TRUE(b.ImportSlots(all, *data, kNow).ok());
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    auto h = MetaOf(b, "h");
    auto src_h = MetaOf(*ks_, "h");
    ASSERT_TRUE(h && src_h);
    EXPECT_EQ(h->version, src_h->version);
    EXPECT_EQ(h->count, 2u);
    const std::string hp = Prefix("h", h->version) + coll::kTagMember;
    auto r1 = b.GetSub(hp + "f1");
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(*r1, "v1");
    auto r2 = b.GetSub(hp + "f2");
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(*r2, "v2");
    auto r3 = b.GetSub(hp + "old1");
    ASSERT_TRUE(r3.ok());
    EXPECT_EQ(*r3, std::nullopt);
    EXPECT_EQ(Read(b, {"hgetall", "h"}),
              "*4\r\n" + Bulk("f1") + Bulk("v1") + Bulk("f2") + Bulk("v2"));
    EXPECT_EQ(Read(b, {"hget", "h", "old1"}), Nil());
    EXPECT_EQ(Strings(Read(b, {"lrange", "l", "0", "-1"})),
              (std::vector<std::string>{"z", "a", "b", "c"}));
    EXPECT_EQ(Read(b, {"lindex", "l", "2"}), Bulk("b"));
    EXPECT_EQ(Read(b, {"scard", "only-here"}), Int(0));
    EXPECT_EQ(b.key_count(), 3);
  };
  check("pending");
  ASSERT_TRUE(b.FlushPending().ok());
  check("flushed");
  // The importer's old incarnation of "h" and the dropped set are garbage.
  ASSERT_TRUE(b.engine()->CompactAll().ok());
  EXPECT_EQ(CountStored(b, Prefix("h", old_h->version)), 0u);
  check("compacted");
}

TEST_F(CollStorageTest, SnapshotOfSomeSlotsLeavesOtherSlotsAlone) {
  // Two hashes in different halves of the slot space.
  std::string low = "lo", high = "hi";
  while (Keyspace::Ref(low).slot >= 8192) low += "x";
  while (Keyspace::Ref(high).slot < 8192) high += "x";
  EXPECT_EQ(Cmd({"hset", low, "f", "low"}), Int(1));
  EXPECT_EQ(Cmd({"hset", high, "f", "high"}), Int(1));
  auto data = ks_->ExportSlots({{0, 8191}});
  ASSERT_TRUE(data.ok()) << data.status().ToString();

  auto other = OpenOther();
  ASSERT_NE(other, nullptr);
  ApplyOn(*other->sm, {"hset", high, "f", "kept"}, 1);
  ASSERT_TRUE(other->ks->ImportSlots({{0, 8191}}, *data, kNow).ok());
  ASSERT_TRUE(other->ks->FlushPending().ok());
  EXPECT_EQ(Read(*other->ks, {"hget", low, "f"}), Bulk("low"));
  EXPECT_EQ(Read(*other->ks, {"hget", high, "f"}), Bulk("kept"));
}

// ExportSlots promises the records "as of the writes committed so far";
// here they were committed by another thread and not flushed yet.
TEST_F(CollStorageTest, ExportSlotsIncludesUnflushedWritesOfOtherThreads) {
  std::thread writer([&] {
    EXPECT_EQ(Cmd({"hset", "h", "f", "v"}), Int(1));
    EXPECT_EQ(Set("s", "str"), Ok());
  });
  writer.join();
  std::string data;
  std::thread exporter([&] {
    auto r = ks_->ExportSlots({{0, 16383}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    data = *r;
  });
  exporter.join();
  auto other = OpenOther();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->ks->ImportSlots({{0, 16383}}, data, kNow).ok());
  EXPECT_EQ(Read(*other->ks, {"hget", "h", "f"}), Bulk("v"));
  EXPECT_EQ(other->ks->key_count(), 2);
}

// ImportSlots replaces every record of its slots, including records another
// thread committed but has not flushed yet.
TEST_F(CollStorageTest, ImportSlotsReplacesUnflushedKeysOfOtherThreads) {
  std::thread writer([&] { EXPECT_EQ(Cmd({"sadd", "stale", "m"}), Int(1)); });
  writer.join();
  std::thread importer([&] {
    Status s = ks_->ImportSlots({{0, 16383}}, "", kNow);
    EXPECT_TRUE(s.ok()) << s.ToString();
    s = ks_->FlushPending();
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  importer.join();
  EXPECT_EQ(Read({"scard", "stale"}), Int(0));
  EXPECT_EQ(ks_->key_count(), 0);
}

// ---- rank indexes ----------------------------------------------------------

// Building one zset's rank index (a scan of up to millions of members, ~1 s)
// must not stall writes to other sorted sets, in other stripes.
TEST_F(CollStorageTest, RankIndexBuildDoesNotBlockWritesToOtherSortedSets) {
  RankIndexes& idx = ks_->rank_indexes();
  constexpr uint64_t kMembers = RankIndexes::kMinMembers;
  auto emit = [](const std::function<void(std::string_view)>& add) {
    for (uint64_t i = 0; i < kMembers; ++i) add(coll::EncodeScore(static_cast<double>(i)) + "m");
    return true;
  };
  // One index exists: member writes now consult the indexes.
  ASSERT_TRUE(idx.Ensure(Prefix("first", 1) + coll::kTagScore, kMembers, emit));
  std::promise<void> started, release;
  auto release_f = release.get_future().share();
  std::thread builder([&] {
    (void)idx.Ensure(Prefix("building", 2) + coll::kTagScore, kMembers,
                     [&](const std::function<void(std::string_view)>& add) {
                       started.set_value();
                       release_f.wait();  // a long scan
                       return emit(add);
                     });
  });
  started.get_future().wait();
  auto write = std::async(std::launch::async, [&] { return Cmd({"zadd", "other", "1", "m"}); });
  const bool done = write.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  release.set_value();
  builder.join();
  EXPECT_TRUE(done) << "ZADD of an unrelated key waited for another zset's index build";
  EXPECT_EQ(write.get(), Int(1));
}

// ---- stripe locks ----------------------------------------------------------

// Two keys in different stripes.
std::pair<std::string, std::string> TwoStripes() {
  std::string a = "a", b = "b";
  while (Keyspace::Ref(b).stripe == Keyspace::Ref(a).stripe) b += "b";
  return {a, b};
}

// True if another thread takes `key`'s lock within `wait`; the thread is
// joined either way (it gets the lock once the caller lets go).
class LockProbe {
 public:
  LockProbe(Keyspace* ks, std::string key) : key_(std::move(key)) {
    thread_ = std::thread([this, ks] {
      const KeyRef ref = Keyspace::Ref(key_);
      auto lock = ks->LockKey(ref);
      locked_ = true;
    });
  }
  ~LockProbe() {
    if (thread_.joinable()) thread_.join();
  }
  bool LockedWithin(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!locked_ && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return locked_;
  }

 private:
  std::string key_;
  std::atomic<bool> locked_{false};
  std::thread thread_;
};

TEST_F(CollStorageTest, StripeLockIsReentrantOnOneThread) {
  const KeyRef ref = Keyspace::Ref("k");
  auto outer = ks_->LockKey(ref);
  {
    auto inner = ks_->LockKey(ref);  // would deadlock on a plain mutex
    auto all = ks_->LockAll();       // so would this
  }
  // The inner locks are gone; the outer one still holds the stripe.
  LockProbe probe(ks_.get(), "k");
  EXPECT_FALSE(probe.LockedWithin(std::chrono::milliseconds(100)));
  { auto release = std::move(outer); }
  EXPECT_TRUE(probe.LockedWithin(std::chrono::seconds(10)));
}

TEST_F(CollStorageTest, AfterTheOuterLockAnotherThreadCanLock) {
  auto [a, b] = TwoStripes();
  const KeyRef ra = Keyspace::Ref(a), rb = Keyspace::Ref(b);
  {
    auto outer = ks_->LockKey(ra);
    auto again = ks_->LockKeys(std::vector<KeyRef>{ra, rb});
    auto again2 = ks_->LockKey(ra);
  }
  // Every stripe is free again, from another thread.
  auto locked = std::async(std::launch::async, [&] {
    auto l = ks_->LockKeys(std::vector<KeyRef>{ra, rb});
    return true;
  });
  ASSERT_EQ(locked.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(locked.get());
  // And this thread can take them again afterwards.
  auto all = ks_->LockAll();
}

TEST_F(CollStorageTest, InnerLockReleasesOnlyTheStripesItTook) {
  auto [a, b] = TwoStripes();
  const KeyRef ra = Keyspace::Ref(a), rb = Keyspace::Ref(b);
  auto outer = ks_->LockKey(ra);
  {
    auto inner = ks_->LockKeys(std::vector<KeyRef>{ra, rb});  // takes b only
  }
  LockProbe probe_b(ks_.get(), b);
  EXPECT_TRUE(probe_b.LockedWithin(std::chrono::seconds(10)));
  LockProbe probe_a(ks_.get(), a);
  EXPECT_FALSE(probe_a.LockedWithin(std::chrono::milliseconds(100)));
  { auto release = std::move(outer); }
  EXPECT_TRUE(probe_a.LockedWithin(std::chrono::seconds(10)));
}

TEST_F(CollStorageTest, CommandsRunWhileTheCallerHoldsTheKeysLock) {
  // A transaction holds its keys' locks while each command locks again.
  const KeyRef ref = Keyspace::Ref("h");
  auto held = ks_->LockKey(ref);
  EXPECT_EQ(Cmd({"hset", "h", "f", "v"}), Int(1));
  EXPECT_EQ(Read({"hget", "h", "f"}), Bulk("v"));
}

}  // namespace
}  // namespace shoal::storage
