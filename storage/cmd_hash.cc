// Hash commands over the sub-key encoding (storage/coll.h): a field is the
// sub-record SubKey(h, kTagMember, field) holding the value.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/strutil.h"
#include "storage/coll.h"
#include "storage/coll_members.h"

namespace shoal::storage::coll {
namespace {

// False after replying (WRONGTYPE, storage error).
bool OpenHash(Env& env, std::string_view key, Handle* h) {
  return Open(env, key, ValueType::kHash, h);
}

void Hset(Env& env, Argv argv) {
  if (argv.size() % 2 == 1) return WrongArity(env, argv[0]);
  const bool hmset = Is(argv[0], "hmset");
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  const bool existed = h.live;
  if (!existed) Create(env, &h, ValueType::kHash);
  // A field given twice counts once and keeps its last value.
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  std::unordered_map<std::string_view, size_t> index;
  for (size_t i = 2; i + 1 < argv.size(); i += 2) {
    auto [it, fresh] = index.emplace(argv[i], pairs.size());
    if (fresh) {
      pairs.emplace_back(argv[i], argv[i + 1]);
    } else {
      pairs[it->second].second = argv[i + 1];
    }
  }
  WriteTxn txn(&env.ks);
  int64_t added = 0;
  for (const auto& [field, value] : pairs) {
    std::string sk = SubKey(h, kTagMember, field);
    if (existed) {
      std::optional<std::string> old;
      if (!GetSub(env, sk, &old)) return;
      if (!old) ++added;
    } else {
      ++added;
    }
    txn.PutSub(std::move(sk), std::string(value));
  }
  h.meta.count += static_cast<uint64_t>(added);
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  if (hmset) return env.out.Ok();
  env.out.Integer(added);
}

void Hsetnx(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  if (h.live) {
    std::optional<std::string> old;
    if (!GetSub(env, SubKey(h, kTagMember, argv[2]), &old)) return;
    if (old) return env.out.Integer(0);
  } else {
    Create(env, &h, ValueType::kHash);
  }
  WriteTxn txn(&env.ks);
  txn.PutSub(SubKey(h, kTagMember, argv[2]), std::string(argv[3]));
  ++h.meta.count;
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.out.Integer(1);
}

void Hget(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  if (!h.live) return env.out.Null();
  std::optional<std::string> v;
  if (!GetSub(env, SubKey(h, kTagMember, argv[2]), &v)) return;
  if (!v) return env.out.Null();
  env.out.Bulk(*v);
}

void Hmget(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  std::vector<std::optional<std::string>> values(argv.size() - 2);
  if (h.live) {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (!GetSub(env, SubKey(h, kTagMember, argv[i]), &values[i - 2])) return;
    }
  }
  env.out.ArrayHeader(static_cast<int64_t>(values.size()));
  for (const auto& v : values) {
    if (v) {
      env.out.Bulk(*v);
    } else {
      env.out.Null();
    }
  }
}

// HGETALL (map), HKEYS, HVALS.
void ReplyAll(Env& env, Argv argv, bool keys, bool values) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  std::vector<SampledMember> all;
  if (h.live && !AllMembers(env, h, values, &all)) return;
  auto n = static_cast<int64_t>(all.size());
  if (keys && values) {
    env.out.MapHeader(n);
  } else {
    env.out.ArrayHeader(n);
  }
  for (const auto& m : all) {
    if (keys) env.out.Bulk(m.member);
    if (values) env.out.Bulk(m.value);
  }
}

void Hgetall(Env& env, Argv argv) { ReplyAll(env, argv, true, true); }
void Hkeys(Env& env, Argv argv) { ReplyAll(env, argv, true, false); }
void Hvals(Env& env, Argv argv) { ReplyAll(env, argv, false, true); }

void Hdel(Env& env, Argv argv) { RemoveMembers(env, argv, ValueType::kHash); }
void Hlen(Env& env, Argv argv) { ReplyCount(env, argv, ValueType::kHash); }

// HEXISTS and HSTRLEN.
void FieldInfo(Env& env, Argv argv, bool length) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::optional<std::string> v;
  if (!GetSub(env, SubKey(h, kTagMember, argv[2]), &v)) return;
  if (!v) return env.out.Integer(0);
  env.out.Integer(length ? static_cast<int64_t>(v->size()) : 1);
}

void Hexists(Env& env, Argv argv) { FieldInfo(env, argv, false); }
void Hstrlen(Env& env, Argv argv) { FieldInfo(env, argv, true); }

// Stores `value` in field argv[2] of the hash `h` (created if absent).
bool PutField(Env& env, Handle* h, std::string_view field, bool existed_field, std::string value) {
  if (!h->live) Create(env, h, ValueType::kHash);
  WriteTxn txn(&env.ks);
  txn.PutSub(SubKey(*h, kTagMember, field), std::move(value));
  if (!existed_field) ++h->meta.count;
  SaveMeta(env, txn, h);
  return env.Commit(txn);
}

void Hincrby(Env& env, Argv argv) {
  auto incr = Int(env, argv[3]);
  if (!incr) return;
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  std::optional<std::string> old;
  if (h.live && !GetSub(env, SubKey(h, kTagMember, argv[2]), &old)) return;
  int64_t value = 0;
  if (old) {
    auto v = ParseInt64(*old);
    if (!v) return env.out.Error("ERR hash value is not an integer");
    value = *v;
  }
  int64_t result = 0;
  if (__builtin_add_overflow(value, *incr, &result)) return env.out.Error(errors::kOverflow);
  if (!PutField(env, &h, argv[2], old.has_value(), std::to_string(result))) return;
  env.out.Integer(result);
}

void Hincrbyfloat(Env& env, Argv argv) {
  auto incr = ParseLongDouble(argv[3]);
  if (!incr) return env.out.Error(errors::kNotFloat);
  if (std::isnan(*incr) || std::isinf(*incr)) return env.out.Error("ERR value is NaN or Infinity");
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenHash(env, argv[1], &h)) return;
  std::optional<std::string> old;
  if (h.live && !GetSub(env, SubKey(h, kTagMember, argv[2]), &old)) return;
  long double value = 0;
  if (old) {
    auto v = ParseLongDouble(*old);
    if (!v) return env.out.Error("ERR hash value is not a float");
    value = *v;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) return env.out.Error(errors::kNanOrInf);
  std::string formatted = FormatLongDoubleHuman(value);
  if (!PutField(env, &h, argv[2], old.has_value(), formatted)) return;
  env.out.Bulk(formatted);
}

void Hscan(Env& env, Argv argv) { ScanHashOrSet(env, argv, ValueType::kHash); }

void Hrandfield(Env& env, Argv argv) {
  if (argv.size() == 2) return RandomMembers(env, argv[1], ValueType::kHash, std::nullopt, false);
  auto count = RandomCountArg(env, argv[2]);
  if (!count) return;
  if (argv.size() > 4 || (argv.size() == 4 && !Is(argv[3], "WITHVALUES"))) {
    return env.out.Error(errors::kSyntax);
  }
  const bool with_values = argv.size() == 4;
  constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
  if (with_values && (*count < -kHalf || *count > kHalf)) {
    return env.out.Error("ERR value is out of range");
  }
  RandomMembers(env, argv[1], ValueType::kHash, count, with_values);
}

constexpr CmdImpl kImpls[] = {
    {"hset", Hset},       {"hmset", Hset},
    {"hsetnx", Hsetnx},   {"hget", Hget},
    {"hmget", Hmget},     {"hgetall", Hgetall},
    {"hkeys", Hkeys},     {"hvals", Hvals},
    {"hdel", Hdel},       {"hlen", Hlen},
    {"hexists", Hexists}, {"hstrlen", Hstrlen},
    {"hincrby", Hincrby}, {"hincrbyfloat", Hincrbyfloat},
    {"hscan", Hscan},     {"hrandfield", Hrandfield},
};

}  // namespace

std::span<const CmdImpl> HashImpls() { return kImpls; }

}  // namespace shoal::storage::coll
