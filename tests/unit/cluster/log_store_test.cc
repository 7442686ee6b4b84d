// The durable Raft log of a group (cluster/log_store.h) over the node's
// RocksDB: what is flushed survives a reopen, a conflicting suffix is
// replaced, compaction and snapshots move the start of the log, a gap or a
// bad entry ends the log on load, and shard snapshots move records.
#include "cluster/log_store.h"

#include <gtest/gtest.h>

#include "core/keyslot.h"
#include "storage/keyspace.h"
#include "storage/raft_store.h"
#include "tests/unit/storage/keyspace_fixture.h"

namespace shoal::cluster {
namespace {

using storage::test_util::TempDir;

raft::Entry E(raft::Term term, raft::Index index, std::string data = "x") {
  return raft::Entry{term, index, raft::EntryType::kNormal, std::move(data)};
}

raft::ConfState Voters() {
  raft::ConfState cs;
  cs.voters = {1, 2, 3};
  return cs;
}

class LogStoreTest : public ::testing::Test {
 protected:
  void Open() {
    storage::KeyspaceOptions o;
    o.engine.dir = dir_.path();
    auto ks = storage::Keyspace::Open(o);
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    ks_ = std::move(*ks);
    store_ = std::make_unique<storage::RaftStore>(ks_.get());
  }
  void Reopen() {
    store_.reset();
    ks_.reset();
    Open();
  }
  void SetUp() override { Open(); }

  TempDir dir_;
  std::unique_ptr<storage::Keyspace> ks_;
  std::unique_ptr<storage::RaftStore> store_;
};

TEST_F(LogStoreTest, FlushedEntriesAndHardStateSurviveAReopen) {
  {
    GroupLog log(7, store_.get());
    auto applied = log.Load(Voters());
    ASSERT_TRUE(applied.ok());
    EXPECT_EQ(*applied, 0u);
    log.Append({E(1, 1, "a"), E(1, 2, "b"), E(2, 3, "c")});
    log.SetHardState(raft::HardState{2, 3, 2});
    store_->StageApplied(7, 2);
    ASSERT_TRUE(store_->Flush().ok());
  }
  Reopen();
  GroupLog log(7, store_.get());
  auto applied = log.Load(Voters());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 2u);
  const auto& st = log.storage();
  EXPECT_EQ(st.FirstIndex(), 1u);
  EXPECT_EQ(st.LastIndex(), 3u);
  EXPECT_EQ(st.InitialHardState(), (raft::HardState{2, 3, 2}));
  EXPECT_EQ(st.InitialConfState(), Voters());
  std::vector<raft::Entry> got;
  ASSERT_TRUE(st.Entries(1, 4, UINT64_MAX, &got).ok());
  EXPECT_EQ(got, (std::vector<raft::Entry>{E(1, 1, "a"), E(1, 2, "b"), E(2, 3, "c")}));
}

TEST_F(LogStoreTest, UnflushedEntriesAreNotOnDisk) {
  {
    GroupLog log(1, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    log.Append({E(1, 1)});
    ASSERT_TRUE(store_->Flush().ok());
    log.Append({E(1, 2)});  // staged, never flushed
  }
  // A crash: the keyspace's pending group is lost with the process.
  store_.reset();
  ks_.reset();
  Open();
  GroupLog log(1, store_.get());
  ASSERT_TRUE(log.Load(Voters()).ok());
  EXPECT_EQ(log.storage().LastIndex(), 1u);
}

TEST_F(LogStoreTest, AShorterConflictingSuffixReplacesTheOldOne) {
  {
    GroupLog log(1, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    log.Append({E(1, 1), E(1, 2), E(1, 3), E(1, 4)});
    ASSERT_TRUE(store_->Flush().ok());
    log.Append({E(2, 2, "new")});
    ASSERT_TRUE(store_->Flush().ok());
    EXPECT_EQ(log.storage().LastIndex(), 2u);
  }
  Reopen();
  GroupLog log(1, store_.get());
  ASSERT_TRUE(log.Load(Voters()).ok());
  EXPECT_EQ(log.storage().LastIndex(), 2u);
  auto t = log.storage().TermAt(2);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 2u);
}

TEST_F(LogStoreTest, CompactionMovesTheFirstIndexAndSurvivesAReopen) {
  {
    GroupLog log(3, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    std::vector<raft::Entry> es;
    for (raft::Index i = 1; i <= 10; ++i) es.push_back(E(1, i));
    log.Append(es);
    store_->StageApplied(3, 10);
    ASSERT_TRUE(store_->Flush().ok());
    ASSERT_TRUE(log.Compact(6, Voters()).ok());
    ASSERT_TRUE(store_->Flush().ok());
    ASSERT_TRUE(log.DropCompacted().ok());
    EXPECT_EQ(log.storage().FirstIndex(), 7u);
  }
  Reopen();
  GroupLog log(3, store_.get());
  auto applied = log.Load(Voters());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 10u);
  EXPECT_EQ(log.storage().FirstIndex(), 7u);
  EXPECT_EQ(log.storage().LastIndex(), 10u);
  EXPECT_EQ(log.storage().GetSnapshot().meta.index, 6u);
  std::vector<raft::Entry> got;
  EXPECT_TRUE(raft::IsCompacted(log.storage().Entries(5, 8, UINT64_MAX, &got)));
}

TEST_F(LogStoreTest, AnInstalledSnapshotRestartsTheLogAfterIt) {
  {
    GroupLog log(2, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    log.Append({E(1, 1), E(1, 2), E(1, 3)});
    ASSERT_TRUE(store_->Flush().ok());
    raft::SnapshotMeta meta{50, 4, Voters()};
    ASSERT_TRUE(log.ApplySnapshot(meta).ok());
    ASSERT_TRUE(store_->Flush().ok());
  }
  Reopen();
  GroupLog log(2, store_.get());
  auto applied = log.Load(Voters());
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(*applied, 50u);
  EXPECT_EQ(log.storage().FirstIndex(), 51u);
  EXPECT_EQ(log.storage().LastIndex(), 50u);
}

TEST_F(LogStoreTest, AGapEndsTheLogOnLoad) {
  {
    GroupLog log(4, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    log.Append({E(1, 1), E(1, 2), E(1, 3), E(1, 4)});
    ASSERT_TRUE(store_->Flush().ok());
    // Entry 3 vanishes (a torn write that left a hole).
    store_->StageDeleteEntry(4, 3);
    ASSERT_TRUE(store_->Flush().ok());
  }
  Reopen();
  GroupLog log(4, store_.get());
  ASSERT_TRUE(log.Load(Voters()).ok());
  EXPECT_EQ(log.storage().LastIndex(), 2u);
}

TEST_F(LogStoreTest, AnUndecodableEntryEndsTheLogOnLoad) {
  {
    GroupLog log(5, store_.get());
    ASSERT_TRUE(log.Load(Voters()).ok());
    log.Append({E(1, 1), E(1, 2), E(1, 3)});
    ASSERT_TRUE(store_->Flush().ok());
    store_->StageEntry(5, 2, "\x7fgarbage");
    ASSERT_TRUE(store_->Flush().ok());
  }
  Reopen();
  GroupLog log(5, store_.get());
  ASSERT_TRUE(log.Load(Voters()).ok());
  EXPECT_EQ(log.storage().LastIndex(), 1u);
}

TEST_F(LogStoreTest, GroupsDoNotSeeEachOthersEntries) {
  GroupLog a(1, store_.get()), b(2, store_.get());
  ASSERT_TRUE(a.Load(Voters()).ok());
  ASSERT_TRUE(b.Load(Voters()).ok());
  a.Append({E(1, 1), E(1, 2)});
  b.Append({E(3, 1)});
  ASSERT_TRUE(store_->Flush().ok());
  Reopen();
  GroupLog a2(1, store_.get()), b2(2, store_.get());
  ASSERT_TRUE(a2.Load(Voters()).ok());
  ASSERT_TRUE(b2.Load(Voters()).ok());
  EXPECT_EQ(a2.storage().LastIndex(), 2u);
  EXPECT_EQ(b2.storage().LastIndex(), 1u);
  auto t = b2.storage().TermAt(1);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 3u);
}

TEST_F(LogStoreTest, EncodingsRoundTripAndRejectGarbage) {
  raft::Entry e{7, 9, raft::EntryType::kConfChange, std::string("\0\1data", 6)};
  raft::Entry back;
  ASSERT_TRUE(DecodeEntry(EncodeEntry(e), &back));
  EXPECT_EQ(back, e);
  EXPECT_FALSE(DecodeEntry("", &back));
  EXPECT_FALSE(DecodeEntry("\x02\x00", &back));
  raft::HardState hs{5, 2, 100}, hs2;
  ASSERT_TRUE(DecodeHardState(EncodeHardState(hs), &hs2));
  EXPECT_EQ(hs2, hs);
  EXPECT_FALSE(DecodeHardState(EncodeHardState(hs) + "x", &hs2));
  raft::SnapshotMeta m{10, 3, Voters()}, m2;
  m.conf.learners = {4};
  ASSERT_TRUE(DecodeSnapshotMeta(EncodeSnapshotMeta(m), &m2));
  EXPECT_EQ(m2, m);
}

TEST_F(LogStoreTest, ShardSnapshotsCarryExactlyTheShardsRecords) {
  storage::StateMachine sm(ks_.get(), {});
  auto set = [&](const std::string& k, const std::string& v) {
    storage::Op op;
    op.code = storage::OpCode::kSet;
    op.args = {k, v};
    sm.Apply(op, nullptr);
  };
  // Keys in slot ranges [0, 8191] and [8192, 16383].
  std::vector<std::string> low, high;
  for (int i = 0; low.size() < 20 || high.size() < 20; ++i) {
    std::string k = "key" + std::to_string(i);
    (KeySlot(k) < 8192 ? low : high).push_back(k);
    set(k, "v" + k);
  }
  ASSERT_TRUE(ks_->FlushPending().ok());
  storage::Keyspace::SlotRanges lo_range{{0, 8191}};
  auto data = ks_->ExportSlots(lo_range);
  ASSERT_TRUE(data.ok());

  // A second node: stale records of both halves, then the snapshot.
  TempDir other_dir;
  storage::KeyspaceOptions o;
  o.engine.dir = other_dir.path();
  auto other = storage::Keyspace::Open(o);
  ASSERT_TRUE(other.ok());
  storage::StateMachine other_sm(other->get(), {});
  for (const auto& k : {low[0], high[0]}) {
    storage::Op op;
    op.code = storage::OpCode::kSet;
    op.args = {k, "stale"};
    other_sm.Apply(op, nullptr);
  }
  storage::Op extra;
  extra.code = storage::OpCode::kSet;
  std::string gone = "only-on-the-follower";
  while (KeySlot(gone) >= 8192) gone += "x";
  extra.args = {gone, "x"};
  other_sm.Apply(extra, nullptr);
  ASSERT_TRUE((*other)->ImportSlots(lo_range, *data, 0).ok());
  ASSERT_TRUE((*other)->FlushPending().ok());

  auto get = [&](storage::Keyspace& ks, const std::string& k) -> std::optional<std::string> {
    auto ref = storage::Keyspace::Ref(k);
    auto lock = ks.LockKey(ref);
    std::string scratch;
    auto r = ks.Read(ref, 0, &scratch);
    if (!r.ok() || !*r) return std::nullopt;
    return std::string((*r)->value);
  };
  for (const auto& k : low) EXPECT_EQ(get(**other, k), "v" + k) << k;
  EXPECT_EQ(get(**other, gone), std::nullopt);
  EXPECT_EQ(get(**other, high[0]), "stale");  // other shard untouched
  EXPECT_EQ((*other)->key_count(), static_cast<int64_t>(low.size()) + 1);
}

}  // namespace
}  // namespace shoal::cluster
