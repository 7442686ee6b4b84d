#include "storage/reads.h"

#include <algorithm>
#include <bit>

#include "core/coding.h"
#include "core/keyslot.h"
#include "core/strutil.h"
#include "storage/errors.h"

namespace shoal::storage::reads {
namespace {

// Reads a live record. Returns false after replying on a storage error.
bool Lookup(Keyspace& ks, const KeyRef& k, int64_t now_ms, std::string* scratch,
            std::optional<Record>* out, resp::Writer& w, bool touch = true) {
  auto r = ks.Read(k, now_ms, scratch, touch);
  if (!r.ok()) {
    w.Error(std::string(errors::kStoragePrefix) + r.status().message());
    return false;
  }
  *out = *r;
  if (*out && (*out)->expired(now_ms)) {
    ks.NoteExpired(k.key);
    out->reset();
  }
  ks.CountLookup(out->has_value());
  return true;
}

// A string's live value under its stripe lock; replies WRONGTYPE/errors.
template <typename Fn>
void WithString(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w, Fn&& fn) {
  KeyRef k = Keyspace::Ref(key);
  auto lock = ks.LockKey(k);
  std::string scratch;
  std::optional<Record> rec;
  if (!Lookup(ks, k, now_ms, &scratch, &rec, w)) return;
  if (rec && rec->type != ValueType::kString) return w.Error(errors::kWrongType);
  fn(rec ? std::optional<std::string_view>(rec->value) : std::nullopt);
}

// Redis's index normalisation for GETRANGE/BITCOUNT/BITPOS ranges over a
// sequence of `len` units. Returns false if the range is empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* end) {
  if (*start < 0) *start = len + *start;
  if (*end < 0) *end = len + *end;
  if (*start < 0) *start = 0;
  if (*end < 0) *end = 0;
  if (*end >= len) *end = len - 1;
  return len > 0 && *start <= *end;
}

int BitAt(std::string_view s, int64_t bit) {
  return (static_cast<uint8_t>(s[static_cast<size_t>(bit >> 3)]) >> (7 - (bit & 7))) & 1;
}

}  // namespace

std::optional<ValueType> LiveType(Keyspace& ks, std::string_view key, int64_t now_ms) {
  KeyRef k = Keyspace::Ref(key);
  auto lock = ks.LockKey(k);
  std::string scratch;
  auto r = ks.Read(k, now_ms, &scratch, /*touch=*/false);
  if (!r.ok() || !*r || (*r)->expired(now_ms)) return std::nullopt;
  return (*r)->type;
}

void Get(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    if (v) {
      w.Bulk(*v);
    } else {
      w.Null();
    }
  });
}

void MGet(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w) {
  w.ArrayHeader(static_cast<int64_t>(keys.size()));
  for (auto key : keys) {
    KeyRef k = Keyspace::Ref(key);
    auto lock = ks.LockKey(k);
    std::string scratch;
    auto r = ks.Read(k, now_ms, &scratch);
    // MGET never fails per key: wrong types and errors read as nil.
    if (!r.ok() || !*r || (*r)->type != ValueType::kString || (*r)->expired(now_ms)) {
      if (r.ok() && *r && (*r)->expired(now_ms)) ks.NoteExpired(key);
      ks.CountLookup(false);
      w.Null();
      continue;
    }
    ks.CountLookup(true);
    w.Bulk((*r)->value);
  }
}

void StrLen(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    w.Integer(v ? static_cast<int64_t>(v->size()) : 0);
  });
}

void GetRange(Keyspace& ks, std::string_view key, int64_t start, int64_t end, int64_t now_ms,
              resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    if (!v) return w.Bulk("");
    if (start < 0 && end < 0 && start > end) return w.Bulk("");
    auto len = static_cast<int64_t>(v->size());
    if (!NormalizeRange(len, &start, &end)) return w.Bulk("");
    w.Bulk(v->substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
  });
}

void GetBit(Keyspace& ks, std::string_view key, uint64_t offset, int64_t now_ms, resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    if (!v || (offset >> 3) >= v->size()) return w.Integer(0);
    w.Integer(BitAt(*v, static_cast<int64_t>(offset)));
  });
}

void BitCount(Keyspace& ks, std::string_view key, std::optional<std::pair<int64_t, int64_t>> range,
              RangeUnit unit, int64_t now_ms, resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    if (!v) return w.Integer(0);
    auto bytes = static_cast<int64_t>(v->size());
    int64_t total_units = unit == RangeUnit::kBit ? bytes * 8 : bytes;
    int64_t start = 0, end = total_units - 1;
    if (range) {
      start = range->first;
      end = range->second;
    }
    if (!NormalizeRange(total_units, &start, &end)) return w.Integer(0);
    int64_t count = 0;
    if (unit == RangeUnit::kByte) {
      for (int64_t i = start; i <= end; ++i) {
        count += std::popcount(static_cast<uint8_t>((*v)[static_cast<size_t>(i)]));
      }
    } else {
      for (int64_t b = start; b <= end; ++b) count += BitAt(*v, b);
    }
    w.Integer(count);
  });
}

void BitPos(Keyspace& ks, std::string_view key, int bit, std::optional<int64_t> start_arg,
            std::optional<int64_t> end_arg, RangeUnit unit, int64_t now_ms, resp::Writer& w) {
  WithString(ks, key, now_ms, w, [&](std::optional<std::string_view> v) {
    if (!v) return w.Integer(bit ? -1 : 0);
    auto bytes = static_cast<int64_t>(v->size());
    int64_t total_units = unit == RangeUnit::kBit ? bytes * 8 : bytes;
    int64_t start = start_arg.value_or(0);
    int64_t end = end_arg.value_or(total_units - 1);
    if (!NormalizeRange(total_units, &start, &end)) return w.Integer(-1);
    int64_t first_bit = unit == RangeUnit::kBit ? start : start * 8;
    int64_t last_bit = unit == RangeUnit::kBit ? end : end * 8 + 7;
    for (int64_t b = first_bit; b <= last_bit; ++b) {
      // Skip whole bytes that cannot contain the bit sought.
      if ((b & 7) == 0 && b + 7 <= last_bit) {
        auto byte = static_cast<uint8_t>((*v)[static_cast<size_t>(b >> 3)]);
        if ((bit && byte == 0) || (!bit && byte == 0xff)) {
          b += 7;
          continue;
        }
      }
      if (BitAt(*v, b) == bit) return w.Integer(b);
    }
    // Looking for a 0 with no explicit end: the string is as if padded
    // with zeros on the right, so the answer is the first bit past it.
    if (bit == 0 && !end_arg) return w.Integer(last_bit + 1);
    w.Integer(-1);
  });
}

void Exists(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w) {
  int64_t n = 0;
  for (auto key : keys) {
    KeyRef k = Keyspace::Ref(key);
    auto lock = ks.LockKey(k);
    std::string scratch;
    std::optional<Record> rec;
    if (!Lookup(ks, k, now_ms, &scratch, &rec, w)) return;
    if (rec) ++n;
  }
  w.Integer(n);
}

void Touch(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w) {
  Exists(ks, keys, now_ms, w);
}

void Type(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w) {
  KeyRef k = Keyspace::Ref(key);
  auto lock = ks.LockKey(k);
  std::string scratch;
  std::optional<Record> rec;
  if (!Lookup(ks, k, now_ms, &scratch, &rec, w)) return;
  w.Simple(rec ? TypeName(rec->type) : "none");
}

void Ttl(Keyspace& ks, std::string_view key, TtlForm form, int64_t now_ms, resp::Writer& w) {
  KeyRef k = Keyspace::Ref(key);
  auto lock = ks.LockKey(k);
  std::string scratch;
  std::optional<Record> rec;
  if (!Lookup(ks, k, now_ms, &scratch, &rec, w, /*touch=*/false)) return;
  if (!rec) return w.Integer(-2);
  if (rec->expire_at_ms == 0) return w.Integer(-1);
  bool absolute = form == TtlForm::kAbsoluteSec || form == TtlForm::kAbsoluteMs;
  bool ms = form == TtlForm::kRelativeMs || form == TtlForm::kAbsoluteMs;
  int64_t t = absolute ? rec->expire_at_ms : rec->expire_at_ms - now_ms;
  if (t < 0) t = 0;
  w.Integer(ms ? t : (t + 500) / 1000);
}

namespace {
constexpr uint64_t kListpackMaxEntries = 128;
}  // namespace

void Object(Keyspace& ks, ObjectField field, std::string_view key, int64_t now_ms,
            resp::Writer& w) {
  KeyRef k = Keyspace::Ref(key);
  auto lock = ks.LockKey(k);
  std::string scratch;
  std::optional<Record> rec;
  if (!Lookup(ks, k, now_ms, &scratch, &rec, w, /*touch=*/false)) return;
  if (!rec) return w.Null();
  auto policy = ks.cache_settings()->policy.load();
  switch (field) {
    case ObjectField::kEncoding: {
      if (rec->type != ValueType::kString) {
        // Redis's names for the small and the large representation; the
        // threshold is its default *-max-listpack-entries.
        auto cm = DecodeCollMeta(rec->value);
        const bool small = cm && cm->count <= kListpackMaxEntries;
        switch (rec->type) {
          case ValueType::kList:
            return w.Bulk(small ? "listpack" : "quicklist");
          case ValueType::kZset:
            return w.Bulk(small ? "listpack" : "skiplist");
          case ValueType::kStream:
            return w.Bulk("stream");
          default:
            return w.Bulk(small ? "listpack" : "hashtable");
        }
      }
      if (rec->value.size() <= 20 && ParseInt64(rec->value)) return w.Bulk("int");
      return w.Bulk(rec->value.size() <= 44 ? "embstr" : "raw");
    }
    case ObjectField::kRefCount: {
      // Redis shares the integers 0..9999 and reports them as immortal.
      auto v = rec->type == ValueType::kString ? ParseInt64(rec->value) : std::nullopt;
      return w.Integer(v && *v >= 0 && *v < 10000 ? 2147483647 : 1);
    }
    case ObjectField::kIdleTime:
      if (IsLfu(policy)) {
        return w.Error(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when "
            "switching between policies at runtime LRU and LFU data will take some time to "
            "adjust.");
      }
      return w.Integer(static_cast<int64_t>(ks.IdleMs(k, now_ms).value_or(0) / 1000));
    case ObjectField::kFreq:
      if (!IsLfu(policy)) {
        return w.Error(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note "
            "that when switching between policies at runtime LRU and LFU data will take some time "
            "to adjust.");
      }
      return w.Integer(ks.Frequency(k, now_ms).value_or(0));
  }
}

// Iterator-based reads see RocksDB only: first make this thread's own
// writes (earlier commands of the same pipeline) land there.
bool FlushOwnWrites(Keyspace& ks, resp::Writer& w) {
  auto s = ks.FlushPending();
  if (s.ok()) return true;
  w.Error(std::string(errors::kStoragePrefix) + s.message());
  return false;
}

void Scan(Keyspace& ks, const ScanArgs& args, int64_t now_ms, resp::Writer& w) {
  if (!FlushOwnWrites(ks, w)) return;
  std::vector<std::string> found;
  uint64_t next = 0;
  if (args.cursor < kSlotCount) {
    auto it = ks.engine()->NewIterator(Cf::kMeta);
    std::string start;
    PutFixed16BE(&start, static_cast<uint16_t>(args.cursor));
    it->Seek(start);
    int64_t current_slot = -1;
    for (; it->Valid(); it->Next()) {
      std::string_view ek(it->key().data(), it->key().size());
      auto dk = DecodeMetaKey(ek);
      if (!dk) continue;
      // Stop only at a slot boundary, so a slot is never split over calls.
      if (dk->first != current_slot) {
        if (static_cast<int64_t>(found.size()) >= args.count) {
          next = dk->first;
          break;
        }
        current_slot = dk->first;
      }
      auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
      if (!meta || meta->expired(now_ms)) continue;
      if (args.type && !EqualsIgnoreCase(*args.type, TypeName(meta->type))) continue;
      if (args.pattern && !GlobMatch(*args.pattern, dk->second)) continue;
      found.emplace_back(dk->second);
    }
    if (!it->status().ok()) {
      return w.Error(std::string(errors::kStoragePrefix) + it->status().ToString());
    }
  }
  w.ArrayHeader(2);
  w.Bulk(std::to_string(next));
  w.BulkArray(found);
}

void Keys(Keyspace& ks, std::string_view pattern, int64_t now_ms, resp::Writer& w) {
  if (!FlushOwnWrites(ks, w)) return;
  std::vector<std::string> found;
  auto it = ks.engine()->NewIterator(Cf::kMeta);
  bool all = pattern == "*";
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto dk = DecodeMetaKey(std::string_view(it->key().data(), it->key().size()));
    if (!dk) continue;
    if (!all && !GlobMatch(pattern, dk->second)) continue;
    auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
    if (!meta || meta->expired(now_ms)) continue;
    found.emplace_back(dk->second);
  }
  if (!it->status().ok()) {
    return w.Error(std::string(errors::kStoragePrefix) + it->status().ToString());
  }
  w.BulkArray(found);
}

Result<std::vector<std::string>> KeysInSlot(Keyspace& ks, uint16_t slot, size_t max,
                                            int64_t now_ms) {
  auto s = ks.FlushPending();
  if (!s.ok()) return s;
  std::vector<std::string> found;
  auto it = ks.engine()->NewIterator(Cf::kMeta);
  std::string start;
  PutFixed16BE(&start, slot);
  for (it->Seek(start); it->Valid() && found.size() < max; it->Next()) {
    auto dk = DecodeMetaKey(std::string_view(it->key().data(), it->key().size()));
    if (!dk || dk->first != slot) break;
    auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
    if (!meta || meta->expired(now_ms)) continue;
    found.emplace_back(dk->second);
  }
  if (!it->status().ok()) return Status::IoError(it->status().ToString());
  return found;
}

void RandomKey(Keyspace& ks, uint64_t seed, int64_t now_ms, resp::Writer& w) {
  if (ks.key_count() <= 0) return w.Null();
  if (!FlushOwnWrites(ks, w)) return;
  auto it = ks.engine()->NewIterator(Cf::kMeta);
  // Start at a random slot and take the first live key at or after it,
  // wrapping around; bounded so a keyspace of expired keys ends quickly.
  std::string start;
  PutFixed16BE(&start, static_cast<uint16_t>(seed % kSlotCount));
  it->Seek(start);
  for (int visited = 0; visited < 1000; ++visited) {
    if (!it->Valid()) {
      it->SeekToFirst();
      if (!it->Valid()) break;
    }
    auto dk = DecodeMetaKey(std::string_view(it->key().data(), it->key().size()));
    auto meta = DecodeMetaValue(std::string_view(it->value().data(), it->value().size()));
    if (dk && meta && !meta->expired(now_ms)) return w.Bulk(dk->second);
    it->Next();
  }
  w.Null();
}

}  // namespace shoal::storage::reads
