#include "storage/cache.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/check.h"

namespace shoal::storage {

struct CacheShard::Entry {
  Entry* chain;
  uint64_t hash;
  int64_t expire_at_ms;
  uint32_t key_len;
  uint32_t val_len;
  uint32_t val_cap;      // bytes allocated for the value (>= val_len)
  uint32_t access_s;     // last access, seconds (OBJECT IDLETIME)
  uint32_t access_seq;   // shard's access counter at the last access (LRU)
  uint64_t gen;          // pending group-commit generation; 0 = clean
  uint16_t lfu_ldt_min;  // minutes at the last LFU decrement
  uint8_t lfu;           // logarithmic access counter (Redis's LFU)
  ValueType type;
  bool tombstone;
  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_len}; }
  std::string_view value() const { return {data() + key_len, val_len}; }
};

namespace {

constexpr uint8_t kLfuInit = 5;
constexpr size_t kMallocOverhead = 16;
constexpr size_t kBucketSlotBytes = sizeof(void*);
// A shard this small is searched whole; a larger one is sampled.
constexpr size_t kMaxSample = 64;
constexpr size_t kSampleSize = 16;
// Bucket probes per sample, bounding the search when pinned entries crowd.
constexpr size_t kMaxProbes = 256;

uint64_t NextRandom(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

}  // namespace

const char* EvictionPolicyName(EvictionPolicy p) {
  switch (p) {
    case EvictionPolicy::kNoEviction:
      return "noeviction";
    case EvictionPolicy::kAllKeysLru:
      return "allkeys-lru";
    case EvictionPolicy::kAllKeysLfu:
      return "allkeys-lfu";
    case EvictionPolicy::kAllKeysRandom:
      return "allkeys-random";
    case EvictionPolicy::kVolatileLru:
      return "volatile-lru";
    case EvictionPolicy::kVolatileLfu:
      return "volatile-lfu";
    case EvictionPolicy::kVolatileRandom:
      return "volatile-random";
    case EvictionPolicy::kVolatileTtl:
      return "volatile-ttl";
  }
  return "noeviction";
}

std::optional<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(EvictionPolicy::kVolatileTtl); ++i) {
    auto p = static_cast<EvictionPolicy>(i);
    if (name == EvictionPolicyName(p)) return p;
  }
  return std::nullopt;
}

CacheShard::CacheShard(CacheSettings* settings) : settings_(settings), buckets_(16, nullptr) {}

CacheShard::~CacheShard() { Clear(); }

size_t CacheShard::Charge(size_t key_len, size_t val_len) {
  // Plus about one hash bucket slot per entry (the table doubles at 1.0).
  return sizeof(Entry) + key_len + val_len + kMallocOverhead + kBucketSlotBytes;
}

CacheShard::Entry* CacheShard::Find(std::string_view key, uint64_t hash) const {
  for (Entry* e = buckets_[hash & (buckets_.size() - 1)]; e != nullptr; e = e->chain) {
    if (e->hash == hash && e->key() == key) return e;
  }
  return nullptr;
}

void CacheShard::Unlink(Entry* e) {
  Entry** pp = &buckets_[e->hash & (buckets_.size() - 1)];
  while (*pp != e) pp = &(*pp)->chain;
  *pp = e->chain;
  used_bytes_ -= Charge(e->key_len, e->val_cap);
  --count_;
  if (e->tombstone) --tombstones_;
  std::free(e);
}

uint8_t CacheShard::DecayedLfu(const Entry* e, int64_t now_ms) const {
  int decay = settings_->lfu_decay_time_min.load(std::memory_order_relaxed);
  if (decay <= 0) return e->lfu;
  auto now_min = static_cast<uint16_t>((now_ms / 60000) & 0xffff);
  auto elapsed = static_cast<uint16_t>(now_min - e->lfu_ldt_min);
  int periods = elapsed / decay;
  return periods >= e->lfu ? 0 : static_cast<uint8_t>(e->lfu - periods);
}

void CacheShard::Touch(Entry* e, int64_t now_ms) {
  e->access_s = static_cast<uint32_t>(now_ms / 1000);
  e->access_seq = ++access_clock_;
  if (IsLfu(settings_->policy.load(std::memory_order_relaxed))) {
    // Redis's logarithmic counter: the higher it is, the less likely an
    // access increments it.
    uint8_t c = DecayedLfu(e, now_ms);
    if (c < 255) {
      double base = c > kLfuInit ? c - kLfuInit : 0;
      double p = 1.0 / (base * settings_->lfu_log_factor.load(std::memory_order_relaxed) + 1);
      double r = static_cast<double>(NextRandom(&rng_) >> 11) / static_cast<double>(1ULL << 53);
      if (r < p) ++c;
    }
    e->lfu = c;
    e->lfu_ldt_min = static_cast<uint16_t>((now_ms / 60000) & 0xffff);
  }
}

std::optional<CacheShard::View> CacheShard::Get(std::string_view key, uint64_t hash,
                                                int64_t now_ms) {
  Entry* e = Find(key, hash);
  if (!e) return std::nullopt;
  Touch(e, now_ms);
  return View{e->type, e->expire_at_ms, e->value(), e->tombstone};
}

std::optional<CacheShard::View> CacheShard::Peek(std::string_view key, uint64_t hash) const {
  const Entry* e = Find(key, hash);
  if (!e) return std::nullopt;
  return View{e->type, e->expire_at_ms, e->value(), e->tombstone};
}

void CacheShard::Rehash(size_t n) {
  std::vector<Entry*> nb(n, nullptr);
  for (Entry* head : buckets_) {
    while (head) {
      Entry* next = head->chain;
      Entry*& slot = nb[head->hash & (n - 1)];
      head->chain = slot;
      slot = head;
      head = next;
    }
  }
  buckets_.swap(nb);
}

bool CacheShard::Pinned(const Entry* e) const {
  return e->gen > settings_->durable_gen.load(std::memory_order_acquire);
}

CacheShard::Entry* CacheShard::PickVictim(int64_t now_ms) {
  if (count_ == 0) return nullptr;
  // Candidates: every entry of a small shard (so small caches evict
  // exactly), else a random sample, as Redis's approximated LRU/LFU does.
  // Pinned entries are never candidates.
  Entry* cands[kMaxSample];
  size_t n = 0;
  if (count_ <= kMaxSample) {
    for (Entry* head : buckets_) {
      for (Entry* e = head; e && n < kMaxSample; e = e->chain) {
        if (!Pinned(e)) cands[n++] = e;
      }
    }
  } else {
    for (size_t probes = 0; probes < kMaxProbes && n < kSampleSize; ++probes) {
      for (Entry* e = buckets_[NextRandom(&rng_) & (buckets_.size() - 1)]; e && n < kSampleSize;
           e = e->chain) {
        if (!Pinned(e)) cands[n++] = e;
      }
    }
  }
  if (n == 0) return nullptr;
  auto policy = settings_->policy.load(std::memory_order_relaxed);
  // Tombstones that reached RocksDB are the cheapest thing to drop.
  for (size_t i = 0; i < n; ++i) {
    if (cands[i]->tombstone) return cands[i];
  }
  if (policy == EvictionPolicy::kAllKeysRandom || policy == EvictionPolicy::kVolatileRandom) {
    size_t start = NextRandom(&rng_) % n;
    for (size_t k = 0; k < n; ++k) {
      Entry* e = cands[(start + k) % n];
      if (policy == EvictionPolicy::kAllKeysRandom || e->expire_at_ms != 0) return e;
    }
  }
  const bool volatile_only = policy == EvictionPolicy::kVolatileLru ||
                             policy == EvictionPolicy::kVolatileLfu ||
                             policy == EvictionPolicy::kVolatileTtl;
  const bool by_lfu = IsLfu(policy);
  auto age = [&](const Entry* e) { return access_clock_ - e->access_seq; };
  Entry* best = nullptr;
  Entry* oldest = nullptr;
  for (size_t i = 0; i < n; ++i) {
    Entry* e = cands[i];
    if (!oldest || age(e) > age(oldest)) oldest = e;
    if (volatile_only && e->expire_at_ms == 0) continue;
    bool better;
    if (best == nullptr) {
      better = true;
    } else if (policy == EvictionPolicy::kVolatileTtl) {
      better = e->expire_at_ms < best->expire_at_ms;
    } else if (by_lfu) {
      uint8_t fe = DecayedLfu(e, now_ms), fb = DecayedLfu(best, now_ms);
      better = fe < fb || (fe == fb && age(e) > age(best));
    } else {
      better = age(e) > age(best);
    }
    if (better) best = e;
  }
  // noeviction, and the volatile-* policies with no volatile candidate,
  // fall back to LRU: leaving the cache deletes nothing, so the cache
  // always keeps within its bound (docs/adr/002-cache-and-group-commit.md).
  return best ? best : oldest;
}

bool CacheShard::MakeRoom(size_t need, int64_t now_ms) {
  uint64_t cap = settings_->capacity_bytes_per_shard.load(std::memory_order_relaxed);
  if (cap == 0) return true;
  while (used_bytes_ + need > cap) {
    Entry* victim = PickVictim(now_ms);
    if (!victim) return false;
    Unlink(victim);
    settings_->evicted.fetch_add(1, std::memory_order_relaxed);
  }
  return true;
}

bool CacheShard::Put(std::string_view key, uint64_t hash, ValueType type, int64_t expire_at_ms,
                     std::string_view value, int64_t now_ms, uint64_t gen) {
  Entry* old = Find(key, hash);
  uint8_t lfu = kLfuInit;
  if (old && value.size() <= old->val_cap) {
    // Overwrite in place (counters, same-size values): no allocation.
    old->val_len = static_cast<uint32_t>(value.size());
    if (!value.empty()) std::memcpy(old->data() + old->key_len, value.data(), value.size());
    old->type = type;
    old->expire_at_ms = expire_at_ms;
    old->gen = std::max(old->gen, gen);
    if (old->tombstone) --tombstones_;
    old->tombstone = false;
    Touch(old, now_ms);
    return true;
  }
  if (old) {
    lfu = old->lfu;
    Unlink(old);
  }
  size_t charge = Charge(key.size(), value.size());
  uint64_t cap = settings_->capacity_bytes_per_shard.load(std::memory_order_relaxed);
  // A record bigger than the whole shard is not worth evicting for.
  bool fits = (cap == 0 || charge <= cap) && MakeRoom(charge, now_ms);
  if (!fits && gen == 0) return false;
  void* mem = std::malloc(sizeof(Entry) + key.size() + value.size());
  CHECK(mem != nullptr);
  auto* e = new (mem) Entry{};
  e->hash = hash;
  e->expire_at_ms = expire_at_ms;
  e->key_len = static_cast<uint32_t>(key.size());
  e->val_len = static_cast<uint32_t>(value.size());
  e->val_cap = e->val_len;
  e->type = type;
  e->gen = gen;
  e->tombstone = false;
  e->lfu = lfu;
  e->access_s = static_cast<uint32_t>(now_ms / 1000);
  e->access_seq = ++access_clock_;
  e->lfu_ldt_min = static_cast<uint16_t>((now_ms / 60000) & 0xffff);
  if (!key.empty()) std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->data() + key.size(), value.data(), value.size());
  Entry*& slot = buckets_[hash & (buckets_.size() - 1)];
  e->chain = slot;
  slot = e;
  ++count_;
  used_bytes_ += charge;
  if (count_ > buckets_.size()) Rehash(buckets_.size() * 2);
  return true;
}

void CacheShard::PutTombstone(std::string_view key, uint64_t hash, int64_t now_ms, uint64_t gen) {
  CHECK(gen > 0);  // a pending deletion; PutAbsent is for clean ones
  (void)Put(key, hash, ValueType::kString, 0, {}, now_ms, gen);
  MarkTombstone(Find(key, hash));
}

void CacheShard::PutAbsent(std::string_view key, uint64_t hash, int64_t now_ms) {
  if (tombstones_ >= kMaxTombstones) return;
  if (!Put(key, hash, ValueType::kString, 0, {}, now_ms, 0)) return;
  MarkTombstone(Find(key, hash));
}

void CacheShard::MarkTombstone(Entry* e) {
  if (!e->tombstone) {
    e->tombstone = true;
    ++tombstones_;
  }
}

void CacheShard::SetExpire(std::string_view key, uint64_t hash, int64_t expire_at_ms) {
  if (Entry* e = Find(key, hash)) e->expire_at_ms = expire_at_ms;
}

void CacheShard::Erase(std::string_view key, uint64_t hash) {
  if (Entry* e = Find(key, hash)) Unlink(e);
}

void CacheShard::Clear() {
  for (Entry*& head : buckets_) {
    while (head) {
      Entry* next = head->chain;
      std::free(head);
      head = next;
    }
  }
  count_ = 0;
  tombstones_ = 0;
  used_bytes_ = 0;
}

void CacheShard::Shrink(int64_t now_ms) { (void)MakeRoom(0, now_ms); }

std::optional<uint64_t> CacheShard::IdleMs(std::string_view key, uint64_t hash,
                                           int64_t now_ms) const {
  const Entry* e = Find(key, hash);
  if (!e) return std::nullopt;
  int64_t idle = now_ms - static_cast<int64_t>(e->access_s) * 1000;
  return idle < 0 ? 0 : static_cast<uint64_t>(idle);
}

std::optional<uint8_t> CacheShard::Frequency(std::string_view key, uint64_t hash,
                                             int64_t now_ms) const {
  const Entry* e = Find(key, hash);
  if (!e) return std::nullopt;
  return DecayedLfu(e, now_ms);
}

}  // namespace shoal::storage
