#include "storage/coll.h"

#include <bit>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/coding.h"
#include "core/strutil.h"

namespace shoal::storage::coll {

bool Env::Failed(const Status& s) {
  if (s.ok()) return false;
  out.Error(std::string(errors::kStoragePrefix) + s.message());
  return true;
}

bool Env::Commit(WriteTxn& txn) {
  if (txn.empty()) return true;
  if (Failed(txn.Commit(now_ms))) return false;
  changed = true;
  return true;
}

bool OpenAny(Env& env, std::string_view key, Handle* h) {
  h->ref = Keyspace::Ref(key);
  auto r = env.ks.Read(h->ref, env.now_ms, &h->scratch, /*touch=*/!env.write);
  if (env.Failed(r.status())) return false;
  h->rec = *r;
  h->live = h->rec && !h->rec->expired(env.now_ms);
  if (h->rec && !h->live && !env.write) env.ks.NoteExpired(key);
  if (!h->live) return true;
  h->type = h->rec->type;
  h->expire_at_ms = h->rec->expire_at_ms;
  if (IsCollection(h->type)) {
    auto m = DecodeCollMeta(h->rec->value);
    if (!m) {
      env.out.Error("ERR storage error: bad collection metadata");
      return false;
    }
    h->meta = *m;
  }
  return true;
}

bool Open(Env& env, std::string_view key, ValueType type, Handle* h) {
  if (!OpenAny(env, key, h)) return false;
  if (h->live && h->type != type) {
    env.out.Error(errors::kWrongType);
    return false;
  }
  return true;
}

void Create(Env& env, Handle* h, ValueType type) {
  h->type = type;
  h->live = true;
  h->expire_at_ms = 0;
  h->meta = CollMeta{};
  h->meta.version = env.ks.NewVersion();
  // The op's seed: the same on every replica, and another value than any
  // earlier incarnation's counter (WATCH sees a delete + recreate, even
  // within one millisecond, as a change).
  h->meta.mod = env.seed ^ (static_cast<uint64_t>(env.now_ms) << 20);
  h->meta.head = uint64_t{1} << 63;
}

std::string SubPrefix(const Handle& h, char tag) {
  std::string out = EncodeSubPrefix(h.ref.slot, h.ref.key, h.meta.version);
  out.push_back(tag);
  return out;
}

std::string SubKey(const Handle& h, char tag, std::string_view rest) {
  std::string out = SubPrefix(h, tag);
  out.append(rest);
  return out;
}

std::string PrefixEnd(std::string_view prefix) {
  std::string out(prefix);
  while (!out.empty()) {
    auto c = static_cast<uint8_t>(out.back());
    if (c != 0xff) {
      out.back() = static_cast<char>(c + 1);
      return out;
    }
    out.pop_back();
  }
  // All 0xff: no key is greater; callers use prefixes with a slot first,
  // which never get here. Return a key above every real one.
  return std::string(64, '\xff');
}

bool GetSub(Env& env, std::string_view subkey, std::optional<std::string>* value) {
  auto r = env.ks.GetSub(subkey);
  if (env.Failed(r.status())) return false;
  *value = std::move(*r);
  return true;
}

Cursor::Cursor(Env& env, std::string lo, std::string hi, bool reverse)
    : it_(std::make_unique<Keyspace::SubIterator>(&env.ks, std::move(lo), std::move(hi), reverse)) {
}
Cursor::~Cursor() = default;
bool Cursor::Valid() const { return it_->Valid(); }
std::string_view Cursor::key() const { return it_->key(); }
std::string_view Cursor::value() const { return it_->value(); }
void Cursor::Next() { it_->Next(); }
void Cursor::Seek(std::string_view target) { it_->Seek(target); }
bool Cursor::Ok(Env& env) { return !env.Failed(it_->status()); }

void SaveMeta(Env& env, WriteTxn& txn, Handle* h) {
  // A stream stays when its last entry goes (Redis); the others vanish.
  if (h->meta.count == 0 && h->type != ValueType::kStream) {
    if (h->rec) txn.Delete(h->ref, *h->rec);
    return;
  }
  ++h->meta.mod;
  txn.Put(h->ref, h->type, h->expire_at_ms, EncodeCollMeta(h->meta), h->rec ? &*h->rec : nullptr);
  // Any write that leaves a list or sorted set non-empty may serve a
  // blocked client, a pop that leaves elements behind included.
  if (h->type == ValueType::kList || h->type == ValueType::kZset) env.NoteReady(h->ref.key);
}

bool CopySubs(Env& env, const Handle& src, uint64_t dst_version, const KeyRef& dst, WriteTxn& txn) {
  std::string from = EncodeSubPrefix(src.ref.slot, src.ref.key, src.meta.version);
  std::string to = EncodeSubPrefix(dst.slot, dst.key, dst_version);
  Cursor c(env, from, PrefixEnd(from), false);
  for (; c.Valid(); c.Next()) {
    std::string k = to;
    k.append(c.suffix(from.size()));
    txn.PutSub(std::move(k), std::string(c.value()));
  }
  return c.Ok(env);
}

std::optional<int64_t> Int(Env& env, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v) env.out.Error(errors::kNotInteger);
  return v;
}

std::optional<double> Double(Env& env, std::string_view s, const char* error) {
  if (s.empty() || s.size() > 256 || std::isspace(static_cast<unsigned char>(s[0]))) {
    env.out.Error(error);
    return std::nullopt;
  }
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(buf.c_str(), &end);
  // As Redis: overflow and underflow are errors ("inf" spelled out is not).
  if (end != buf.c_str() + buf.size() || std::isnan(d) ||
      (errno == ERANGE && (std::isinf(d) || d == 0))) {
    env.out.Error(error);
    return std::nullopt;
  }
  return d;
}

bool Is(std::string_view arg, std::string_view word) { return EqualsIgnoreCase(arg, word); }

std::string FormatDouble(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

void ReplyScore(Env& env, double d) {
  if (env.out.resp3()) return env.out.Double(d);
  env.out.Bulk(FormatDouble(d));
}

std::string EncodeScore(double d) {
  if (d == 0) d = 0;  // -0.0 sorts as 0
  uint64_t bits = std::bit_cast<uint64_t>(d);
  bits = (bits & (uint64_t{1} << 63)) ? ~bits : bits | (uint64_t{1} << 63);
  return U64Bytes(bits);
}

double DecodeScore(std::string_view eight) {
  uint64_t bits = BytesU64(eight);
  bits = (bits & (uint64_t{1} << 63)) ? bits & ~(uint64_t{1} << 63) : ~bits;
  return std::bit_cast<double>(bits);
}

std::string DoubleBytes(double d) { return U64Bytes(std::bit_cast<uint64_t>(d)); }
double BytesDouble(std::string_view eight) { return std::bit_cast<double>(BytesU64(eight)); }

std::string U64Bytes(uint64_t v) {
  std::string out;
  PutFixed64BE(&out, v);
  return out;
}

uint64_t BytesU64(std::string_view eight) {
  return eight.size() < 8 ? 0 : DecodeFixed64BE(eight.data());
}

uint64_t Rng::Next() {
  uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace shoal::storage::coll
