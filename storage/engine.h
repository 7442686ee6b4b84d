// The RocksDB instance of a node: opening it with shoal's column families
// and options, WAL flushing for the appendfsync modes, and size figures.
// Thread-safe: RocksDB handles concurrent readers and writers.
// Only storage/ includes RocksDB headers (DESIGN.md §1).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace shoal::storage {

// Column families. The names are on disk: never change them.
enum class Cf : uint8_t {
  kSystem = 0,  // "default": node-level records (format version, ...)
  kMeta = 1,    // [slot:2][key] -> metadata (+ value for strings)
  kSub = 2,     // collection members (see docs/storage-format.md)
  kExpire = 3,  // [expire_at_ms:8][slot:2][key] -> "" : active-expiry index
  kRaft = 4,    // Raft log entries, hard states, applied indexes (raft_store.h)
};
inline constexpr int kCfCount = 5;
// Column families holding the keyspace's data (FLUSHALL empties these).
inline constexpr int kDataCfCount = 4;

enum class FsyncPolicy : uint8_t { kAlways, kEverySec, kNo };

struct EngineOptions {
  std::string dir;
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  // RocksDB block cache (uncompressed blocks read from SST files).
  size_t block_cache_bytes = 64ULL << 20;
  // Memtable size per column family before it is flushed to an SST file.
  size_t write_buffer_bytes = 32ULL << 20;
  int max_background_jobs = 2;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const EngineOptions& options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(Cf c) { return handles_[static_cast<int>(c)]; }

  Status Get(Cf c, std::string_view key, std::string* value);
  // Writes the batch into the memtables and the in-memory WAL buffer. The
  // batch reaches the OS on the next FlushWal (see below).
  Status Write(rocksdb::WriteBatch* batch);
  // Hands buffered WAL bytes to the OS (survives kill -9), and fsyncs them
  // when the policy is `always` (survives power loss). Call once per
  // group of writes, before acknowledging them: that is the group commit.
  Status FlushWal();
  // fsync of the WAL; the `everysec` background syncer calls this.
  Status SyncWal();
  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf c);
  // Removes every record of the data column families (not the Raft state).
  Status DeleteAll();
  // Deletes keys in [begin, end) of one column family.
  Status DeleteRange(Cf c, std::string_view begin, std::string_view end);

  // Bytes held by memtables and the block cache (for INFO memory).
  uint64_t MemoryUsageBytes();
  // Estimated bytes on disk (SST + WAL).
  uint64_t DiskUsageBytes();
  // Compacts the data column families now (stale collection members are
  // dropped on the way); for operators and benchmarks.
  Status CompactAll();
  // RocksDB's estimate of the records in a column family.
  uint64_t EstimateRecords(Cf c);
  const EngineOptions& options() const { return options_; }
  // Whether writes happened since the last SyncWal.
  bool dirty() const { return dirty_.load(std::memory_order_relaxed); }

 private:
  Engine() = default;
  EngineOptions options_;
  std::shared_ptr<rocksdb::Cache> block_cache_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<rocksdb::DB> db_;
  std::atomic<bool> dirty_{false};
  // What the compaction filter reads the metadata through; cleared first
  // on destruction.
  std::shared_ptr<std::atomic<Engine*>> self_;
};

}  // namespace shoal::storage
