#include "storage/keyspace.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <random>

#include "core/clock.h"
#include "core/coding.h"
#include "core/hash.h"
#include "core/keyslot.h"

namespace shoal::storage {
namespace {
constexpr size_t kMaxNotedExpired = 10000;
// Record tags of a shard snapshot body.
constexpr char kSnapshotMeta = 1;
constexpr char kSnapshotSub = 2;
}  // namespace

Result<std::unique_ptr<Keyspace>> Keyspace::Open(const KeyspaceOptions& options) {
  auto engine = Engine::Open(options.engine);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<Keyspace> ks(new Keyspace());
  ks->engine_ = std::move(engine).value();
  ks->cache_settings_.policy = options.policy;
  for (auto& s : ks->stripes_) s.cache = std::make_unique<CacheShard>(&ks->cache_settings_);
  ks->SetMaxMemory(options.maxmemory_bytes, 0);
  std::random_device rd;
  ks->version_base_ = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(SystemClock::Get()->NowMs());
  auto s = ks->CountKeys();
  if (!s.ok()) return s;
  return ks;
}

Keyspace::~Keyspace() = default;

Status Keyspace::CountKeys() {
  int64_t keys = 0, expires = 0;
  // With an unbounded cache every record is loaded now, as Redis loads its
  // data set: from then on a cache miss means the key does not exist, and
  // neither reads nor writes of absent keys touch RocksDB (ADR 002).
  const bool load_all = maxmemory_.load() == 0;
  const int64_t load_time_ms = SystemClock::Get()->NowMs();
  {
    auto it = engine_->NewIterator(Cf::kMeta);
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++keys;
      if (!load_all) continue;
      std::string_view k(it->key().data(), it->key().size());
      auto dk = DecodeMetaKey(k);
      auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
      if (!dk || !meta) return Status::Corruption("bad metadata record at load");
      KeyRef ref = Ref(dk->second);
      (void)stripes_[ref.stripe].cache->Put(ref.key, ref.hash, meta->type, meta->expire_at_ms,
                                            meta->payload, load_time_ms);
    }
    if (!it->status().ok()) return Status::IoError(it->status().ToString());
  }
  complete_ = load_all;
  {
    auto it = engine_->NewIterator(Cf::kExpire);
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++expires;
    if (!it->status().ok()) return Status::IoError(it->status().ToString());
  }
  key_count_ = keys;
  expires_count_ = expires;
  return Status::Ok();
}

KeyRef Keyspace::Ref(std::string_view key) {
  uint16_t slot = KeySlot(key);
  return KeyRef{key, slot, Hash64(key), static_cast<uint32_t>(slot % kStripes)};
}

namespace {
// Stripes the calling thread holds, per keyspace: a transaction (EXEC)
// holds the locks of all its keys while each of its commands takes them
// again, which then costs nothing.
thread_local std::vector<std::pair<const Keyspace*, uint64_t>> t_held;

uint64_t& Held(const Keyspace* ks) {
  for (auto& [owner, mask] : t_held) {
    if (owner == ks) return mask;
  }
  return t_held.emplace_back(ks, 0).second;
}
}  // namespace

Keyspace::Lock Keyspace::LockKeys(std::span<const KeyRef> keys) {
  Lock l;
  l.ks_ = this;
  for (const auto& k : keys) l.mask_ |= uint64_t{1} << k.stripe;
  uint64_t& held = Held(this);
  l.mask_ &= ~held;
  // Ascending stripe order: two multi-key commands cannot deadlock. (A
  // thread holding some stripes takes more only inside a transaction,
  // whose keys were all locked up front.)
  for (uint64_t m = l.mask_; m != 0; m &= m - 1) stripes_[std::countr_zero(m)].mu.lock();
  held |= l.mask_;
  return l;
}

Keyspace::Lock Keyspace::LockAll() {
  Lock l;
  l.ks_ = this;
  uint64_t& held = Held(this);
  l.mask_ = ~held;
  for (uint64_t m = l.mask_; m != 0; m &= m - 1) stripes_[std::countr_zero(m)].mu.lock();
  held |= l.mask_;
  return l;
}

Keyspace::Lock::~Lock() {
  if (mask_ == 0) return;
  for (uint64_t m = mask_; m != 0; m &= m - 1) ks_->stripes_[std::countr_zero(m)].mu.unlock();
  Held(ks_) &= ~mask_;
}

Result<std::optional<Record>> Keyspace::Read(const KeyRef& key, int64_t now_ms,
                                             std::string* scratch, bool touch) {
  CacheShard& cache = *stripes_[key.stripe].cache;
  auto hit = touch ? cache.Get(key.key, key.hash, now_ms) : cache.Peek(key.key, key.hash);
  if (hit) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    if (hit->tombstone) return std::optional<Record>();
    return std::optional<Record>(Record{hit->type, hit->expire_at_ms, hit->value});
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (Complete()) return std::optional<Record>();
  std::string raw;
  auto s = engine_->Get(Cf::kMeta, EncodeMetaKey(key.slot, key.key), &raw);
  if (s.code() == Status::Code::kNotFound) {
    if (touch) cache.PutAbsent(key.key, key.hash, now_ms);
    return std::optional<Record>();
  }
  if (!s.ok()) return s;
  auto meta = DecodeMetaValue(raw);
  if (!meta) return Status::Corruption("bad metadata record");
  *scratch = std::move(meta->payload);
  if (touch) {
    // Fill the cache with what was read; a refusal (full under a policy
    // that cannot evict) only means this key stays disk-only.
    (void)cache.Put(key.key, key.hash, meta->type, meta->expire_at_ms, *scratch, now_ms);
  }
  return std::optional<Record>(Record{meta->type, meta->expire_at_ms, *scratch});
}

void Keyspace::NoteExpired(std::string_view key) {
  std::lock_guard<std::mutex> g(noted_mu_);
  if (noted_expired_.size() < kMaxNotedExpired) noted_expired_.emplace_back(key);
}

std::vector<std::string> Keyspace::TakeNotedExpired() {
  std::lock_guard<std::mutex> g(noted_mu_);
  std::vector<std::string> out;
  out.swap(noted_expired_);
  return out;
}

Result<std::vector<std::string>> Keyspace::CollectExpired(
    int64_t now_ms, size_t max, const std::function<bool(uint16_t)>& want_slot) {
  std::vector<std::string> out;
  auto it = engine_->NewIterator(Cf::kExpire);
  // Skipped entries (other nodes' business) bound the scan too.
  size_t budget = max * kExpireScanFactor;
  for (it->SeekToFirst(); it->Valid() && out.size() < max && budget > 0; it->Next(), --budget) {
    auto ek = DecodeExpireKey(std::string_view(it->key().data(), it->key().size()));
    if (!ek) return Status::Corruption("bad expire index key");
    if (ek->expire_at_ms > now_ms) break;
    if (want_slot && !want_slot(ek->slot)) continue;
    out.emplace_back(ek->key);
  }
  if (!it->status().ok()) return Status::IoError(it->status().ToString());
  return out;
}

std::optional<uint64_t> Keyspace::IdleMs(const KeyRef& key, int64_t now_ms) {
  return stripes_[key.stripe].cache->IdleMs(key.key, key.hash, now_ms);
}

std::optional<uint8_t> Keyspace::Frequency(const KeyRef& key, int64_t now_ms) {
  return stripes_[key.stripe].cache->Frequency(key.key, key.hash, now_ms);
}

bool Keyspace::Complete() const {
  // Holds while nothing ever left the cache: no bound, no eviction.
  return complete_.load(std::memory_order_relaxed) &&
         cache_settings_.evicted.load(std::memory_order_relaxed) == 0 &&
         cache_settings_.capacity_bytes_per_shard.load(std::memory_order_relaxed) == 0;
}

void Keyspace::SetMaxMemory(uint64_t bytes, int64_t now_ms) {
  if (bytes != 0) complete_ = false;  // records may leave the cache from now on
  maxmemory_ = bytes;
  cache_settings_.capacity_bytes_per_shard = bytes / kStripes;
  if (bytes == 0) return;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> g(s.mu);
    s.cache->Shrink(now_ms);
  }
}

uint64_t Keyspace::cache_bytes() {
  uint64_t total = 0;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> g(s.mu);
    total += s.cache->used_bytes();
  }
  return total;
}

uint64_t Keyspace::cache_entries() {
  uint64_t total = 0;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> g(s.mu);
    total += s.cache->size();
  }
  return total;
}

void Keyspace::ResetStats() {
  // The eviction count also proves the cache is still complete; keep that
  // fact before the counter restarts from zero.
  if (cache_settings_.evicted.load() != 0) complete_ = false;
  hits_ = 0;
  misses_ = 0;
  ks_hits_ = 0;
  ks_misses_ = 0;
  cache_settings_.evicted = 0;
}

void Keyspace::ClearCache() {
  for (auto& s : stripes_) s.cache->Clear();
  rank_.Clear();
}

namespace {
// Per keyspace, the newest generation this thread appended to;
// FlushPending flushes up to it. A connection's commands and its flush run
// on one thread. Usually one keyspace per process; tests open several.
thread_local std::vector<std::pair<const Keyspace*, uint64_t>> t_last_gen;

uint64_t& LastGen(const Keyspace* ks) {
  for (auto& [owner, gen] : t_last_gen) {
    if (owner == ks) return gen;
  }
  return t_last_gen.emplace_back(ks, 0).second;
}
}  // namespace

void WriteTxn::NoteReplaced(const KeyRef& key, const Record* old, ValueType type,
                            std::string_view value) {
  if (!old || old->type != ValueType::kZset || !ks_->rank_.active()) return;
  auto before = DecodeCollMeta(old->value);
  if (!before) return;
  if (type == ValueType::kZset) {
    auto after = DecodeCollMeta(value);
    if (after && after->version == before->version) return;
  }
  std::string prefix = EncodeSubPrefix(key.slot, key.key, before->version);
  prefix.push_back('s');
  rank_drops_.push_back(std::move(prefix));
}

void WriteTxn::Put(const KeyRef& key, ValueType type, int64_t expire_at_ms, std::string_view value,
                   const Record* old) {
  NoteReplaced(key, old, type, value);
  if (!old) ++key_delta_;
  changes_.push_back(Change{key, false, type, expire_at_ms, old ? old->expire_at_ms : 0,
                            EncodeMetaValue(type, expire_at_ms, value)});
}

void WriteTxn::Delete(const KeyRef& key, const Record& old) {
  NoteReplaced(key, &old, ValueType::kString, {});
  --key_delta_;
  changes_.push_back(Change{key, true, ValueType::kString, 0, old.expire_at_ms, {}});
}

Status WriteTxn::Commit(int64_t now_ms) {
  if (ks_->write_failed()) {
    return Status::IoError("writes refused after a storage failure; see the server log");
  }
  if (delete_all_) {
    // Everything pending goes first, so the range deletion lands after it.
    uint64_t open = 0;
    {
      std::lock_guard<std::mutex> g(ks_->pending_mu_);
      open = ks_->open_gen_;
    }
    auto s = ks_->FlushUpTo(open);
    if (!s.ok()) return s;
    s = ks_->engine_->DeleteAll();
    if (!s.ok()) return s;
    ks_->ClearCache();
    ks_->key_count_ = 0;
    ks_->expires_count_ = 0;
  }
  if (changes_.empty() && subs_.empty()) return Status::Ok();
  if (ks_->rank_.active()) {
    for (const auto& [k, v] : subs_) ks_->rank_.OnSubWrite(k, v.has_value());
    for (const auto& p : rank_drops_) ks_->rank_.Drop(p);
  }
  int64_t expires_delta = 0;
  uint64_t gen = 0;
  auto record_key = [](Cf cf, const KeyRef& k) {
    std::string out;
    out.reserve(3 + k.key.size());
    out.push_back(static_cast<char>(cf));
    out.push_back(static_cast<char>(k.slot >> 8));
    out.push_back(static_cast<char>(k.slot & 0xff));
    out.append(k.key);
    return out;
  };
  auto expire_key = [](const KeyRef& k, int64_t at) {
    return static_cast<char>(Cf::kExpire) + EncodeExpireKey(at, k.slot, k.key);
  };
  {
    std::lock_guard<std::mutex> g(ks_->pending_mu_);
    gen = ks_->open_gen_;
    auto& pending = ks_->pending_;
    for (auto& c : changes_) {
      CacheShard& cache = *ks_->stripes_[c.key.stripe].cache;
      if (c.del) {
        cache.PutTombstone(c.key.key, c.key.hash, now_ms, gen);
        pending[record_key(Cf::kMeta, c.key)] = std::nullopt;
      } else {
        (void)cache.Put(c.key.key, c.key.hash, c.type, c.expire_at_ms,
                        std::string_view(c.encoded).substr(kMetaHeaderBytes), now_ms, gen);
        pending[record_key(Cf::kMeta, c.key)] = std::move(c.encoded);
      }
      int64_t new_expire = c.del ? 0 : c.expire_at_ms;
      if (c.old_expire_at_ms != new_expire) {
        if (c.old_expire_at_ms != 0) {
          pending[expire_key(c.key, c.old_expire_at_ms)] = std::nullopt;
          --expires_delta;
        }
        if (new_expire != 0) {
          pending[expire_key(c.key, new_expire)] = std::string();
          ++expires_delta;
        }
      }
    }
    for (auto& [k, v] : subs_) {
      k.insert(k.begin(), static_cast<char>(Cf::kSub));
      pending.insert_or_assign(std::move(k), std::move(v));
    }
  }
  uint64_t& last = LastGen(ks_);
  if (gen > last) last = gen;
  ks_->key_count_.fetch_add(key_delta_, std::memory_order_relaxed);
  ks_->expires_count_.fetch_add(expires_delta, std::memory_order_relaxed);
  return Status::Ok();
}

Status Keyspace::FlushPending() { return FlushUpTo(LastGen(this)); }

Status Keyspace::FlushEverything() {
  uint64_t open = 0;
  {
    std::lock_guard<std::mutex> g(pending_mu_);
    open = open_gen_;
  }
  return FlushUpTo(open);
}

void Keyspace::StageRaw(Cf cf, std::string key, std::optional<std::string> value) {
  key.insert(key.begin(), static_cast<char>(cf));
  uint64_t gen = 0;
  {
    std::lock_guard<std::mutex> g(pending_mu_);
    gen = open_gen_;
    pending_[std::move(key)] = std::move(value);
  }
  uint64_t& last = LastGen(this);
  if (gen > last) last = gen;
}

Result<std::string> Keyspace::ExportSlots(const SlotRanges& ranges) {
  auto s = FlushEverything();
  if (!s.ok()) return s;
  std::string out;
  auto put = [&out](char tag, const rocksdb::Slice& k, const rocksdb::Slice& v) {
    out.push_back(tag);
    PutVarint64(&out, k.size());
    out.append(k.data(), k.size());
    PutVarint64(&out, v.size());
    out.append(v.data(), v.size());
  };
  auto it = engine_->NewIterator(Cf::kMeta);
  auto sub = engine_->NewIterator(Cf::kSub);
  for (const auto& [first, last] : ranges) {
    std::string begin = EncodeMetaKey(first, "");
    for (it->Seek(begin); it->Valid(); it->Next()) {
      auto k = it->key();
      auto decoded = DecodeMetaKey(std::string_view(k.data(), k.size()));
      if (!decoded || decoded->first > last) break;
      put(kSnapshotMeta, k, it->value());
      auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
      if (!meta || !IsCollection(meta->type)) continue;
      auto cm = DecodeCollMeta(meta->payload);
      if (!cm) return Status::Corruption("bad collection metadata");
      // Only the live version's members: stale ones stay behind.
      std::string prefix = EncodeSubPrefix(decoded->first, decoded->second, cm->version);
      for (sub->Seek(prefix); sub->Valid() && sub->key().starts_with(prefix); sub->Next()) {
        put(kSnapshotSub, sub->key(), sub->value());
      }
      if (!sub->status().ok()) return Status::IoError(sub->status().ToString());
    }
    if (!it->status().ok()) return Status::IoError(it->status().ToString());
  }
  return out;
}

Status Keyspace::ImportSlots(const SlotRanges& ranges, std::string_view data, int64_t now_ms) {
  auto s = FlushEverything();
  if (!s.ok()) return s;
  auto lock = LockAll();
  // Keys of the old records must outlive the transaction (KeyRef views).
  std::vector<std::string> old_keys;
  std::vector<int64_t> old_expires;
  {
    auto it = engine_->NewIterator(Cf::kMeta);
    for (const auto& [first, last] : ranges) {
      for (it->Seek(EncodeMetaKey(first, "")); it->Valid(); it->Next()) {
        auto k = it->key();
        auto decoded = DecodeMetaKey(std::string_view(k.data(), k.size()));
        if (!decoded || decoded->first > last) break;
        auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
        old_keys.emplace_back(decoded->second);
        old_expires.push_back(meta ? meta->expire_at_ms : 0);
      }
      if (!it->status().ok()) return Status::IoError(it->status().ToString());
    }
  }
  // Members change wholesale: no rank index stays right.
  rank_.Clear();
  WriteTxn txn(this);
  for (size_t i = 0; i < old_keys.size(); ++i) {
    Record old{ValueType::kString, old_expires[i], {}};
    txn.Delete(Ref(old_keys[i]), old);
  }
  std::vector<Meta> metas;
  std::vector<std::string_view> keys;
  std::string_view in = data;
  while (!in.empty()) {
    const char tag = in[0];
    in.remove_prefix(1);
    if (tag != kSnapshotMeta && tag != kSnapshotSub) return Status::Corruption("bad snapshot");
    auto klen = GetVarint64(&in);
    if (!klen || *klen > in.size()) return Status::Corruption("bad snapshot");
    std::string_view k = in.substr(0, *klen);
    in.remove_prefix(*klen);
    auto vlen = GetVarint64(&in);
    if (!vlen || *vlen > in.size()) return Status::Corruption("bad snapshot");
    std::string_view v = in.substr(0, *vlen);
    in.remove_prefix(*vlen);
    if (tag == kSnapshotSub) {
      // The old records' versions are dropped with their metadata; the
      // imported ones are unrelated 64-bit random values.
      txn.PutSub(std::string(k), std::string(v));
      continue;
    }
    auto decoded = DecodeMetaKey(k);
    auto meta = DecodeMetaValue(v);
    if (!decoded || !meta) return Status::Corruption("bad snapshot record");
    keys.push_back(decoded->second);
    metas.push_back(std::move(*meta));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    txn.Put(Ref(keys[i]), metas[i].type, metas[i].expire_at_ms, metas[i].payload, nullptr);
  }
  return txn.Commit(now_ms);
}

Status Keyspace::FlushUpTo(uint64_t want) {
  auto& durable = cache_settings_.durable_gen;
  if (want == 0 || durable.load(std::memory_order_acquire) >= want) return Status::Ok();
  if (write_failed_) return Status::IoError("writes refused after a storage failure");
  Status s;
  {
    std::lock_guard<std::mutex> flush(flush_mu_);
    // Another thread's flush may have carried our writes while we waited.
    if (durable.load(std::memory_order_acquire) >= want) return Status::Ok();
    uint64_t gen = 0;
    {
      std::lock_guard<std::mutex> g(pending_mu_);
      flushing_.swap(pending_);
      gen = open_gen_++;
    }
    if (!flushing_.empty()) {
      rocksdb::WriteBatch batch;
      for (const auto& [k, v] : flushing_) {
        auto* cf = engine_->cf(static_cast<Cf>(k[0]));
        rocksdb::Slice key(k.data() + 1, k.size() - 1);
        if (v) {
          (void)batch.Put(cf, key, *v);
        } else {
          (void)batch.Delete(cf, key);
        }
      }
      s = engine_->Write(&batch);
      // Now in the memtable: readers may stop looking for it here.
      std::lock_guard<std::mutex> g(pending_mu_);
      if (s.ok()) flushing_.clear();
    }
    if (s.ok()) s = engine_->FlushWal();
    if (s.ok()) {
      durable.store(gen, std::memory_order_release);
      return s;
    }
  }
  OnFlushFailure(s);
  return s;
}

void Keyspace::OnFlushFailure(const Status& s) {
  // The cache holds records RocksDB never got. Drop them all so that what
  // is served equals what is stored, and refuse further writes.
  spdlog::critical("storage write failed, refusing writes until restart: {}", s.ToString());
  write_failed_ = true;
  complete_ = false;
  auto lock = LockAll();
  {
    std::lock_guard<std::mutex> g(pending_mu_);
    pending_.clear();
    flushing_.clear();
  }
  ClearCache();
}

uint64_t Keyspace::NewVersion() {
  // splitmix64 of a per-process random base plus a counter: distinct within
  // a process, 64 random-looking bits across processes.
  uint64_t z = version_base_ + 0x9e3779b97f4a7c15ULL * (version_seq_.fetch_add(1) + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

Result<std::optional<std::string>> Keyspace::GetSub(std::string_view key) {
  std::string full;
  full.reserve(key.size() + 1);
  full.push_back(static_cast<char>(Cf::kSub));
  full.append(key);
  {
    std::lock_guard<std::mutex> g(pending_mu_);
    for (const PendingMap* m : {&pending_, &flushing_}) {
      auto it = m->find(full);
      if (it != m->end()) return it->second;
    }
  }
  std::string value;
  auto s = engine_->Get(Cf::kSub, key, &value);
  if (s.code() == Status::Code::kNotFound) return std::optional<std::string>();
  if (!s.ok()) return s;
  return std::optional<std::string>(std::move(value));
}

Keyspace::SubIterator::SubIterator(Keyspace* ks, std::string lo, std::string hi, bool reverse)
    : lo_(std::move(lo)), hi_(std::move(hi)), reverse_(reverse) {
  {
    // Older group first, so the newer one's entries replace them.
    std::string flo = static_cast<char>(Cf::kSub) + lo_;
    std::string fhi = static_cast<char>(Cf::kSub) + hi_;
    std::map<std::string_view, const std::optional<std::string>*> merged;
    std::lock_guard<std::mutex> g(ks->pending_mu_);
    for (const PendingMap* m : {&ks->flushing_, &ks->pending_}) {
      for (auto it = m->lower_bound(flo); it != m->end() && it->first < fhi; ++it) {
        merged[std::string_view(it->first).substr(1)] = &it->second;
      }
    }
    overlay_.reserve(merged.size());
    for (const auto& [k, v] : merged) overlay_.emplace_back(std::string(k), *v);
  }
  lo_slice_ = rocksdb::Slice(lo_);
  hi_slice_ = rocksdb::Slice(hi_);
  rocksdb::ReadOptions ro;
  ro.iterate_lower_bound = &lo_slice_;
  ro.iterate_upper_bound = &hi_slice_;
  it_.reset(ks->engine_->db()->NewIterator(ro, ks->engine_->cf(Cf::kSub)));
  Seek(reverse_ ? std::string_view(hi_) : std::string_view(lo_));
}

void Keyspace::SubIterator::Seek(std::string_view target) {
  rocksdb::Slice t(target.data(), target.size());
  auto less = [](const auto& e, std::string_view k) { return std::string_view(e.first) < k; };
  if (!reverse_) {
    it_->Seek(t);
    pos_ = static_cast<size_t>(std::lower_bound(overlay_.begin(), overlay_.end(), target, less) -
                               overlay_.begin());
  } else {
    if (target >= std::string_view(hi_)) {
      it_->SeekToLast();
    } else {
      it_->SeekForPrev(t);
    }
    // pos_ counts entries still to visit: those <= target.
    auto ub = std::upper_bound(overlay_.begin(), overlay_.end(), target,
                               [](std::string_view k, const auto& e) { return k < e.first; });
    pos_ = static_cast<size_t>(ub - overlay_.begin());
  }
  Settle();
}

void Keyspace::SubIterator::Settle() {
  for (;;) {
    const bool have_db = it_->Valid();
    const bool have_ov = reverse_ ? pos_ > 0 : pos_ < overlay_.size();
    if (!have_db && !have_ov) {
      valid_ = false;
      return;
    }
    const auto* ov = have_ov ? &overlay_[reverse_ ? pos_ - 1 : pos_] : nullptr;
    std::string_view dbk =
        have_db ? std::string_view(it_->key().data(), it_->key().size()) : std::string_view();
    bool take_ov = false;
    if (have_ov && have_db) {
      int c = std::string_view(ov->first).compare(dbk);
      if (c == 0) {
        // The pending write replaces the stored record.
        if (reverse_) {
          it_->Prev();
        } else {
          it_->Next();
        }
        continue;
      }
      take_ov = reverse_ ? c > 0 : c < 0;
    } else {
      take_ov = have_ov;
    }
    if (take_ov) {
      if (!ov->second) {  // deleted
        if (reverse_) {
          --pos_;
        } else {
          ++pos_;
        }
        continue;
      }
      from_overlay_ = true;
      key_ = ov->first;
      value_ = *ov->second;
    } else {
      from_overlay_ = false;
      key_ = dbk;
      value_ = std::string_view(it_->value().data(), it_->value().size());
    }
    valid_ = true;
    return;
  }
}

void Keyspace::SubIterator::Next() {
  if (!valid_) return;
  if (from_overlay_) {
    if (reverse_) {
      --pos_;
    } else {
      ++pos_;
    }
  } else if (reverse_) {
    it_->Prev();
  } else {
    it_->Next();
  }
  Settle();
}

Status Keyspace::SubIterator::status() const {
  if (!it_->status().ok()) return Status::IoError(it_->status().ToString());
  return Status::Ok();
}

uint64_t Keyspace::Digest(const KeyRef& key, int64_t now_ms) {
  std::string scratch;
  auto r = Read(key, now_ms, &scratch, /*touch=*/false);
  if (!r.ok() || !*r || (*r)->expired(now_ms)) return 0;
  const Record& rec = **r;
  std::string buf;
  buf.push_back(static_cast<char>(rec.type));
  PutFixed64BE(&buf, static_cast<uint64_t>(rec.expire_at_ms));
  if (IsCollection(rec.type)) {
    auto cm = DecodeCollMeta(rec.value);
    if (cm) {
      PutFixed64BE(&buf, cm->count);
      PutFixed64BE(&buf, cm->mod);
      PutFixed64BE(&buf, cm->head);
    }
  } else {
    buf.append(rec.value);
  }
  uint64_t h = Hash64(buf);
  return h == 0 ? 1 : h;
}

}  // namespace shoal::storage
