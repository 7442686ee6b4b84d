// Test fixture for keyspace and state-machine tests: a Keyspace on a fresh
// directory under the system temp dir (removed afterwards), a StateMachine
// over it, and helpers that apply ops and run reads with their RESP replies
// captured as bytes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/resp/value.h"
#include "core/resp/writer.h"
#include "storage/keyspace.h"
#include "storage/op.h"
#include "storage/reads.h"
#include "storage/state_machine.h"

namespace shoal::storage::test_util {

// A fresh directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<uint64_t> counter{0};
    const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() /
            ("shoal-storage-test-" + std::to_string(getpid()) + "-" +
             std::to_string(counter.fetch_add(1)) + "-" + std::to_string(ns));
    std::error_code ec;
    std::filesystem::create_directories(path_, ec);
    EXPECT_FALSE(ec) << ec.message();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// RESP2 reply bytes, for comparing replies exactly.
inline std::string Ok() { return "+OK\r\n"; }
inline std::string Nil() { return "$-1\r\n"; }
inline std::string Int(int64_t v) { return ":" + std::to_string(v) + "\r\n"; }
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }

class KeyspaceTest : public ::testing::Test {
 protected:
  // An arbitrary fixed "now"; every op and read passes its time explicitly.
  static constexpr int64_t kNow = 1'700'000'000'000;

  void SetUp() override { Open(); }
  void TearDown() override { Close(); }

  KeyspaceOptions Options() const {
    KeyspaceOptions o;
    o.engine.dir = dir_.path();
    o.engine.fsync = FsyncPolicy::kNo;
    o.engine.block_cache_bytes = 1 << 20;
    o.engine.write_buffer_bytes = 1 << 20;
    o.engine.max_background_jobs = 1;
    o.maxmemory_bytes = maxmemory_bytes_;
    o.policy = policy_;
    return o;
  }

  void Open() {
    auto ks = Keyspace::Open(Options());
    ASSERT_TRUE(ks.ok()) << ks.status().ToString();
    ks_ = std::move(ks).value();
    sm_ = std::make_unique<StateMachine>(ks_.get(), sm_options_);
  }

  // Makes pending writes durable, then closes.
  void Close() {
    if (ks_) {
      Status s = ks_->FlushPending();
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
    sm_.reset();
    ks_.reset();
  }

  void Reopen() {
    Close();
    Open();
  }

  void Flush() {
    Status s = ks_->FlushPending();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Applies an op the way a replica does: encoded for the log, decoded, then
  // applied. Returns the reply bytes (RESP2).
  std::string Apply(OpCode code, std::vector<std::string> args, uint32_t flags = 0, int64_t num = 0,
                    int64_t now_ms = kNow) {
    Op op;
    op.code = code;
    op.flags = flags;
    op.num = num;
    op.now_ms = now_ms;
    for (const auto& a : args) op.args.emplace_back(a);
    const std::string entry = EncodeOp(op);
    auto decoded = DecodeOp(entry);
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    if (!decoded.ok()) return "<undecodable op>";
    std::string out;
    resp::Writer w(&out);
    sm_->Apply(*decoded, &w);
    return out;
  }

  std::string Set(const std::string& key, const std::string& value, uint32_t flags = 0,
                  int64_t expire_at_ms = 0, int64_t now_ms = kNow) {
    return Apply(OpCode::kSet, {key, value}, flags, expire_at_ms, now_ms);
  }

  std::string Get(std::string_view key, int64_t now_ms = kNow) {
    std::string out;
    resp::Writer w(&out);
    reads::Get(*ks_, key, now_ms, w);
    return out;
  }

  // PTTL-style reply: -2 missing, -1 no expiry, else ms left.
  std::string PTtl(std::string_view key, int64_t now_ms = kNow) {
    std::string out;
    resp::Writer w(&out);
    reads::Ttl(*ks_, key, reads::TtlForm::kRelativeMs, now_ms, w);
    return out;
  }

  // PEXPIRETIME-style reply: the absolute expire-at in ms.
  std::string PExpireTime(std::string_view key, int64_t now_ms = kNow) {
    std::string out;
    resp::Writer w(&out);
    reads::Ttl(*ks_, key, reads::TtlForm::kAbsoluteMs, now_ms, w);
    return out;
  }

  std::string Exists(std::vector<std::string_view> keys, int64_t now_ms = kNow) {
    std::string out;
    resp::Writer w(&out);
    reads::Exists(*ks_, keys, now_ms, w);
    return out;
  }

  // Writes a record of any type directly (the ops only create strings).
  void PutRecord(std::string_view key, ValueType type, int64_t expire_at_ms,
                 std::string_view value) {
    const KeyRef ref = Keyspace::Ref(key);
    auto lock = ks_->LockKey(ref);
    std::string scratch;
    auto old = ks_->Read(ref, kNow, &scratch, /*touch=*/false);
    ASSERT_TRUE(old.ok()) << old.status().ToString();
    WriteTxn txn(ks_.get());
    txn.Put(ref, type, expire_at_ms, value, old->has_value() ? &**old : nullptr);
    Status s = txn.Commit(kNow);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Every live key (KEYS *), sorted. Flushes first: iterators read RocksDB.
  std::set<std::string> AllKeys(int64_t now_ms = kNow) {
    Flush();
    std::string out;
    resp::Writer w(&out);
    reads::Keys(*ks_, "*", now_ms, w);
    resp::Value v;
    size_t consumed = 0;
    std::set<std::string> keys;
    EXPECT_EQ(resp::ReplyParser::Parse(out, &v, &consumed), resp::ReplyParser::Outcome::kValue)
        << out;
    for (const auto& e : v.elements) keys.insert(e.str);
    return keys;
  }

  TempDir dir_;
  uint64_t maxmemory_bytes_ = 0;
  EvictionPolicy policy_ = EvictionPolicy::kNoEviction;
  StateMachineOptions sm_options_;
  std::unique_ptr<Keyspace> ks_;
  std::unique_ptr<StateMachine> sm_;
};

}  // namespace shoal::storage::test_util
