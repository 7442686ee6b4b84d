#include "storage/engine.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/table.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "storage/format.h"

namespace shoal::storage {
namespace {

const char* const kCfNames[kCfCount] = {"default", "meta", "sub", "expire", "raft"};

Status FromRocks(const rocksdb::Status& s) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(s.ToString());
  if (s.IsCorruption()) return Status::Corruption(s.ToString());
  if (s.IsBusy() || s.IsTryAgain()) return Status::Busy(s.ToString());
  return Status::IoError(s.ToString());
}

// Drops the sub-records of collections that no longer exist or were
// overwritten: a sub-record is live only while its key's metadata names
// its version (storage/coll.h). Metadata and members are written in one
// batch, so a compaction never sees members newer than their metadata.
class StaleMemberFilter final : public rocksdb::CompactionFilter {
 public:
  StaleMemberFilter(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* meta) : db_(db), meta_(meta) {}
  const char* Name() const override { return "shoal.StaleMemberFilter"; }

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/,
              std::string* /*new_value*/, bool* /*value_changed*/) const override {
    auto parts = DecodeSubKey(std::string_view(key.data(), key.size()));
    if (!parts) return false;  // not ours to judge
    std::string meta_key = EncodeMetaKey(parts->slot, parts->key);
    if (meta_key != last_key_) {
      last_key_ = std::move(meta_key);
      last_version_ = 0;
      last_known_ = false;
      std::string raw;
      auto s = db_->Get(rocksdb::ReadOptions(), meta_, last_key_, &raw);
      if (s.ok()) {
        auto meta = DecodeMetaValue(raw);
        if (meta && IsCollection(meta->type)) {
          if (auto cm = DecodeCollMeta(meta->payload)) {
            last_version_ = cm->version;
            last_known_ = true;
          }
        }
      } else if (!s.IsNotFound()) {
        keep_all_ = true;  // cannot tell: keep everything of this compaction
      }
    }
    if (keep_all_) return false;
    return !last_known_ || last_version_ != parts->version;
  }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* meta_;
  // One filter per compaction, used by one thread: a cache of the last key.
  mutable std::string last_key_;
  mutable uint64_t last_version_ = 0;
  mutable bool last_known_ = false;
  mutable bool keep_all_ = false;
};

class StaleMemberFilterFactory final : public rocksdb::CompactionFilterFactory {
 public:
  explicit StaleMemberFilterFactory(std::shared_ptr<std::atomic<Engine*>> engine)
      : engine_(std::move(engine)) {}
  const char* Name() const override { return "shoal.StaleMemberFilterFactory"; }
  std::unique_ptr<rocksdb::CompactionFilter> CreateCompactionFilter(
      const rocksdb::CompactionFilter::Context& /*context*/) override {
    Engine* e = engine_->load();
    if (e == nullptr || e->db() == nullptr) return nullptr;
    return std::make_unique<StaleMemberFilter>(e->db(), e->cf(Cf::kMeta));
  }

 private:
  std::shared_ptr<std::atomic<Engine*>> engine_;
};

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Open(const EngineOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::IoError("cannot create dir " + options.dir + ": " + ec.message());

  std::unique_ptr<Engine> e(new Engine());
  e->options_ = options;
  // Few shards: a shard must hold the biggest metadata block, or that block
  // is evicted as soon as it is read and every lookup reads it again.
  e->block_cache_ = rocksdb::NewLRUCache(options.block_cache_bytes, /*num_shard_bits=*/4,
                                         /*strict_capacity_limit=*/false,
                                         /*high_pri_pool_ratio=*/0.5);

  rocksdb::DBOptions db_opts;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  // The WAL is buffered in memory and handed to the OS by FlushWal() once
  // per group of writes: one write(2) (and one fsync with `always`) for
  // many commands.
  db_opts.manual_wal_flush = true;
  // Writers are serialized by the keyspace's flush anyway; the vector
  // memtable of CF raft does not take concurrent inserts.
  db_opts.allow_concurrent_memtable_write = false;
  db_opts.max_background_jobs = options.max_background_jobs;
  db_opts.bytes_per_sync = 1 << 20;
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.keep_log_file_num = 3;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = e->block_cache_;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filters are partitioned into small blocks that live in the
  // block cache (bounded memory however large the data), with the top
  // level pinned and the rest cached at high priority. One big filter
  // block per file would instead be read, checksummed and evicted again on
  // every lookup of a key that is not in memory.
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.metadata_block_size = 4096;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_top_level_index_and_filter = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.optimize_filters_for_memory = true;

  auto self = std::make_shared<std::atomic<Engine*>>(nullptr);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : kCfNames) {
    rocksdb::ColumnFamilyOptions cf_opts;
    cf_opts.write_buffer_size = options.write_buffer_bytes;
    cf_opts.max_write_buffer_number = 3;
    cf_opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_opts.compression = rocksdb::kLZ4Compression;
    cf_opts.bottommost_compression = rocksdb::kZSTD;
    // Point lookups dominate: whole-key bloom filters in memtables too.
    cf_opts.memtable_whole_key_filtering = true;
    cf_opts.memtable_prefix_bloom_size_ratio = 0.02;
    if (std::string_view(name) == kCfNames[static_cast<int>(Cf::kRaft)]) {
      // The Raft log is appended, read back only at start-up (the host
      // keeps the live log in memory), and deleted after compaction: an
      // append-only vector memtable spares a skiplist insert per entry.
      cf_opts.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
      cf_opts.memtable_whole_key_filtering = false;
      cf_opts.memtable_prefix_bloom_size_ratio = 0;
      cf_opts.compression = rocksdb::kNoCompression;
    }
    if (std::string_view(name) == kCfNames[static_cast<int>(Cf::kSub)]) {
      cf_opts.compaction_filter_factory = std::make_shared<StaleMemberFilterFactory>(self);
    }
    cfs.emplace_back(name, cf_opts);
  }
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_opts, options.dir, cfs, &e->handles_, &raw);
  if (!s.ok())
    return Status::IoError("cannot open RocksDB at " + options.dir + ": " + s.ToString());
  e->db_.reset(raw);
  self->store(e.get());
  e->self_ = self;
  return e;
}

Engine::~Engine() {
  if (self_) self_->store(nullptr);
  if (db_) {
    (void)db_->FlushWAL(true);
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    auto s = db_->Close();
    if (!s.ok()) spdlog::warn("RocksDB close: {}", s.ToString());
  }
}

Status Engine::Get(Cf c, std::string_view key, std::string* value) {
  return FromRocks(
      db_->Get(rocksdb::ReadOptions(), cf(c), rocksdb::Slice(key.data(), key.size()), value));
}

Status Engine::Write(rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions wo;
  wo.sync = false;
  dirty_.store(true, std::memory_order_relaxed);
  return FromRocks(db_->Write(wo, batch));
}

Status Engine::FlushWal() {
  return FromRocks(db_->FlushWAL(options_.fsync == FsyncPolicy::kAlways));
}

Status Engine::SyncWal() {
  dirty_.store(false, std::memory_order_relaxed);
  auto s = db_->FlushWAL(false);
  if (!s.ok()) return FromRocks(s);
  return FromRocks(db_->SyncWAL());
}

Status Engine::DeleteRange(Cf c, std::string_view begin, std::string_view end) {
  rocksdb::WriteBatch batch;
  auto s = batch.DeleteRange(cf(c), rocksdb::Slice(begin.data(), begin.size()),
                             rocksdb::Slice(end.data(), end.size()));
  if (!s.ok()) return FromRocks(s);
  return Write(&batch);
}

std::unique_ptr<rocksdb::Iterator> Engine::NewIterator(Cf c) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ro, cf(c)));
}

Status Engine::DeleteAll() {
  rocksdb::WriteBatch batch;
  for (int i = 0; i < kDataCfCount; ++i) {
    auto it = NewIterator(static_cast<Cf>(i));
    it->SeekToFirst();
    if (!it->Valid()) continue;
    std::string first = it->key().ToString();
    it->SeekToLast();
    std::string last = it->key().ToString();
    last.push_back('\0');  // end is exclusive
    auto s = batch.DeleteRange(handles_[i], first, last);
    if (!s.ok()) return FromRocks(s);
  }
  auto s = Write(&batch);
  if (!s.ok()) return s;
  return FlushWal();
}

uint64_t Engine::MemoryUsageBytes() {
  uint64_t total = block_cache_ ? block_cache_->GetUsage() : 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v)) total += v;
  }
  return total;
}

uint64_t Engine::DiskUsageBytes() {
  uint64_t total = 0;
  for (auto* h : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v)) total += v;
  }
  return total;
}

uint64_t Engine::EstimateRecords(Cf c) {
  uint64_t n = 0;
  db_->GetIntProperty(cf(c), "rocksdb.estimate-num-keys", &n);
  return n;
}

Status Engine::CompactAll() {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  for (Cf c : {Cf::kMeta, Cf::kSub, Cf::kExpire}) {
    auto s = db_->CompactRange(o, cf(c), nullptr, nullptr);
    if (!s.ok()) return FromRocks(s);
  }
  return Status::Ok();
}

}  // namespace shoal::storage
