// Set commands over the sub-key encoding (storage/coll.h): a member is the
// sub-record SubKey(h, kTagMember, member) with an empty value. Members sit
// in byte order, so multi-set results come out sorted.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/strutil.h"
#include "storage/coll.h"
#include "storage/coll_members.h"

namespace shoal::storage::coll {

namespace {

bool OpenSet(Env& env, std::string_view key, Handle* h) {
  return Open(env, key, ValueType::kSet, h);
}

void ReplyMembers(Env& env, const std::vector<std::string>& members) {
  env.out.SetHeader(static_cast<int64_t>(members.size()));
  for (const auto& m : members) env.out.Bulk(m);
}

void Sadd(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenSet(env, argv[1], &h)) return;
  const bool existed = h.live;
  if (!existed) Create(env, &h, ValueType::kSet);
  WriteTxn txn(&env.ks);
  std::unordered_set<std::string_view> seen;
  int64_t added = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (!seen.insert(argv[i]).second) continue;
    std::string sk = SubKey(h, kTagMember, argv[i]);
    if (existed) {
      std::optional<std::string> old;
      if (!GetSub(env, sk, &old)) return;
      if (old) continue;
    }
    txn.PutSub(std::move(sk), std::string());
    ++added;
  }
  if (added > 0) {
    h.meta.count += static_cast<uint64_t>(added);
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.Integer(added);
}

void Srem(Env& env, Argv argv) { RemoveMembers(env, argv, ValueType::kSet); }

void Smembers(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenSet(env, argv[1], &h)) return;
  std::vector<SampledMember> all;
  if (h.live && !AllMembers(env, h, false, &all)) return;
  env.out.SetHeader(static_cast<int64_t>(all.size()));
  for (const auto& m : all) env.out.Bulk(m.member);
}

void Sismember(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenSet(env, argv[1], &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::optional<std::string> v;
  if (!GetSub(env, SubKey(h, kTagMember, argv[2]), &v)) return;
  env.out.Integer(v ? 1 : 0);
}

void Smismember(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenSet(env, argv[1], &h)) return;
  std::vector<bool> found(argv.size() - 2, false);
  if (h.live) {
    for (size_t i = 2; i < argv.size(); ++i) {
      std::optional<std::string> v;
      if (!GetSub(env, SubKey(h, kTagMember, argv[i]), &v)) return;
      found[i - 2] = v.has_value();
    }
  }
  env.out.ArrayHeader(static_cast<int64_t>(found.size()));
  for (bool f : found) env.out.Integer(f ? 1 : 0);
}

void Scard(Env& env, Argv argv) { ReplyCount(env, argv, ValueType::kSet); }

void Spop(Env& env, Argv argv) {
  if (argv.size() > 3) return env.out.Error(errors::kSyntax);
  const bool with_count = argv.size() == 3;
  uint64_t count = 1;
  if (with_count) {
    auto n = PositiveInt(env, argv[2]);
    if (!n) return;
    count = static_cast<uint64_t>(*n);
  }
  Locked l(env, argv[1]);
  Handle h;
  if (!OpenSet(env, argv[1], &h)) return;
  if (!h.live) return with_count ? env.out.SetHeader(0) : env.out.Null();
  if (count == 0) return env.out.SetHeader(0);
  std::vector<SampledMember> popped;
  WriteTxn txn(&env.ks);
  if (count >= h.meta.count) {
    // The whole set: dropping the metadata drops every member with it.
    if (!AllMembers(env, h, false, &popped)) return;
    h.meta.count = 0;
  } else {
    Rng rng(env.seed);
    if (!SampleHashOrSet(env, h, count, true, false, rng, &popped)) return;
    for (const auto& m : popped) txn.DeleteSub(SubKey(h, kTagMember, m.member));
    h.meta.count -= std::min<uint64_t>(h.meta.count, popped.size());
  }
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  if (!with_count) return popped.empty() ? env.out.Null() : env.out.Bulk(popped[0].member);
  env.out.SetHeader(static_cast<int64_t>(popped.size()));
  for (const auto& m : popped) env.out.Bulk(m.member);
}

void Srandmember(Env& env, Argv argv) {
  if (argv.size() > 3) return env.out.Error(errors::kSyntax);
  std::optional<int64_t> count;
  if (argv.size() == 3) {
    count = RandomCountArg(env, argv[2]);
    if (!count) return;
  }
  RandomMembers(env, argv[1], ValueType::kSet, count, false);
}

void Smove(Env& env, Argv argv) {
  KeyRef refs[2] = {Keyspace::Ref(argv[1]), Keyspace::Ref(argv[2])};
  auto lock = env.ks.LockKeys(refs);
  Handle src;
  if (!OpenSet(env, argv[1], &src)) return;
  // As Redis: a missing source answers 0 before the destination's type is
  // looked at.
  if (!src.live) return env.out.Integer(0);
  std::string src_key = SubKey(src, kTagMember, argv[3]);
  if (argv[1] == argv[2]) {
    std::optional<std::string> v;
    if (!GetSub(env, src_key, &v)) return;
    return env.out.Integer(v ? 1 : 0);
  }
  Handle dst;
  if (!OpenSet(env, argv[2], &dst)) return;
  std::optional<std::string> in_src;
  if (!GetSub(env, src_key, &in_src)) return;
  if (!in_src) return env.out.Integer(0);
  std::optional<std::string> in_dst;
  if (dst.live && !GetSub(env, SubKey(dst, kTagMember, argv[3]), &in_dst)) return;
  WriteTxn txn(&env.ks);
  txn.DeleteSub(std::move(src_key));
  --src.meta.count;
  SaveMeta(env, txn, &src);
  if (!in_dst) {
    if (!dst.live) Create(env, &dst, ValueType::kSet);
    txn.PutSub(SubKey(dst, kTagMember, argv[3]), std::string());
    ++dst.meta.count;
    SaveMeta(env, txn, &dst);
  }
  if (!env.Commit(txn)) return;
  env.out.Integer(1);
}

// ---- SINTER / SUNION / SDIFF and their CARD/STORE forms ----

enum class SetOp : uint8_t { kInter, kUnion, kDiff };

// Opens every key of `keys` as a set into `hs` (sized to match). Like
// Redis, every key's type is checked before anything is computed. False
// after replying.
bool OpenSets(Env& env, std::span<const std::string_view> keys, std::vector<Handle>* hs) {
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!OpenSet(env, keys[i], &(*hs)[i])) return false;
  }
  return true;
}

// The intersection: the smallest set's members found in every other set.
// Counts up to `limit` (0: no limit) and keeps the members when `out`.
bool Intersect(Env& env, std::vector<Handle>& hs, uint64_t limit, std::vector<std::string>* out,
               uint64_t* card) {
  *card = 0;
  for (const auto& h : hs) {
    if (!h.live) return true;
  }
  std::vector<const Handle*> order;
  order.reserve(hs.size());
  for (const auto& h : hs) order.push_back(&h);
  std::stable_sort(order.begin(), order.end(),
                   [](const Handle* a, const Handle* b) { return a->meta.count < b->meta.count; });
  const Handle& base = *order[0];
  std::string prefix = SubPrefix(base, kTagMember);
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) {
    std::string_view member = c.suffix(prefix.size());
    bool everywhere = true;
    for (size_t i = 1; i < order.size() && everywhere; ++i) {
      if (order[i]->ref.key == base.ref.key) continue;
      std::optional<std::string> v;
      if (!GetSub(env, SubKey(*order[i], kTagMember, member), &v)) return false;
      everywhere = v.has_value();
    }
    if (!everywhere) continue;
    ++*card;
    if (out) out->emplace_back(member);
    if (limit != 0 && *card >= limit) break;
  }
  return c.Ok(env);
}

// The union, merging the sets' sorted members.
bool Unite(Env& env, std::vector<Handle>& hs, std::vector<std::string>* out) {
  std::vector<std::string> prefixes;
  std::vector<std::unique_ptr<Cursor>> cursors;
  for (const auto& h : hs) {
    if (!h.live) continue;
    prefixes.push_back(SubPrefix(h, kTagMember));
    cursors.push_back(
        std::make_unique<Cursor>(env, prefixes.back(), PrefixEnd(prefixes.back()), false));
  }
  while (true) {
    std::optional<std::string> least;
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (!cursors[i]->Valid()) continue;
      std::string_view m = cursors[i]->suffix(prefixes[i].size());
      if (!least || m < *least) least = std::string(m);
    }
    if (!least) break;
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i]->Valid() && cursors[i]->suffix(prefixes[i].size()) == *least) {
        cursors[i]->Next();
      }
    }
    out->push_back(std::move(*least));
  }
  for (auto& c : cursors) {
    if (!c->Ok(env)) return false;
  }
  return true;
}

// The first set's members that no other set holds.
bool Subtract(Env& env, std::vector<Handle>& hs, std::vector<std::string>* out) {
  const Handle& first = hs[0];
  if (!first.live) return true;
  std::vector<const Handle*> others;
  for (size_t i = 1; i < hs.size(); ++i) {
    if (!hs[i].live) continue;
    if (hs[i].ref.key == first.ref.key) return true;  // a set minus itself
    others.push_back(&hs[i]);
  }
  // Larger sets first: a member is likelier to be found early.
  std::stable_sort(others.begin(), others.end(),
                   [](const Handle* a, const Handle* b) { return a->meta.count > b->meta.count; });
  std::string prefix = SubPrefix(first, kTagMember);
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) {
    std::string_view member = c.suffix(prefix.size());
    bool elsewhere = false;
    for (const Handle* o : others) {
      std::optional<std::string> v;
      if (!GetSub(env, SubKey(*o, kTagMember, member), &v)) return false;
      if (v) {
        elsewhere = true;
        break;
      }
    }
    if (!elsewhere) out->emplace_back(member);
  }
  return c.Ok(env);
}

bool Compute(Env& env, SetOp op, std::vector<Handle>& hs, std::vector<std::string>* out) {
  uint64_t card = 0;
  switch (op) {
    case SetOp::kInter:
      return Intersect(env, hs, 0, out, &card);
    case SetOp::kUnion:
      return Unite(env, hs, out);
    case SetOp::kDiff:
      return Subtract(env, hs, out);
  }
  return false;
}

// SINTER / SUNION / SDIFF key [key ...]
void SetOpReply(Env& env, Argv argv, SetOp op) {
  auto keys = argv.subspan(1);
  auto lock = LockKeys(env, keys);
  std::vector<Handle> hs(keys.size());
  if (!OpenSets(env, keys, &hs)) return;
  std::vector<std::string> result;
  if (!Compute(env, op, hs, &result)) return;
  ReplyMembers(env, result);
}

// SINTERSTORE / SUNIONSTORE / SDIFFSTORE destination key [key ...]: the
// result replaces the destination, whatever it held (it may be a source).
void SetOpStore(Env& env, Argv argv, SetOp op) {
  auto keys = argv.subspan(2);
  auto lock = LockKeys(env, argv.subspan(1));
  std::vector<Handle> hs(keys.size());
  if (!OpenSets(env, keys, &hs)) return;
  std::vector<std::string> result;
  if (!Compute(env, op, hs, &result)) return;
  Handle dst;
  if (!OpenAny(env, argv[1], &dst)) return;
  if (result.empty() && !dst.rec) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  if (result.empty()) {
    dst.meta.count = 0;  // deletes what was there
  } else {
    Create(env, &dst, ValueType::kSet);
    for (const auto& m : result) txn.PutSub(SubKey(dst, kTagMember, m), std::string());
    dst.meta.count = result.size();
  }
  SaveMeta(env, txn, &dst);
  if (!env.Commit(txn)) return;
  env.out.Integer(static_cast<int64_t>(result.size()));
}

void Sinter(Env& env, Argv argv) { SetOpReply(env, argv, SetOp::kInter); }
void Sunion(Env& env, Argv argv) { SetOpReply(env, argv, SetOp::kUnion); }
void Sdiff(Env& env, Argv argv) { SetOpReply(env, argv, SetOp::kDiff); }
void Sinterstore(Env& env, Argv argv) { SetOpStore(env, argv, SetOp::kInter); }
void Sunionstore(Env& env, Argv argv) { SetOpStore(env, argv, SetOp::kUnion); }
void Sdiffstore(Env& env, Argv argv) { SetOpStore(env, argv, SetOp::kDiff); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void Sintercard(Env& env, Argv argv) {
  auto numkeys = ParseInt64(argv[1]);
  if (!numkeys || *numkeys < 1) return env.out.Error("ERR numkeys should be greater than 0");
  if (*numkeys > static_cast<int64_t>(argv.size()) - 2) {
    return env.out.Error("ERR Number of keys can't be greater than number of args");
  }
  const size_t nkeys = static_cast<size_t>(*numkeys);
  uint64_t limit = 0;
  for (size_t i = 2 + nkeys; i < argv.size(); ++i) {
    if (Is(argv[i], "LIMIT") && i + 1 < argv.size()) {
      auto v = ParseInt64(argv[++i]);
      if (!v || *v < 0) return env.out.Error("ERR LIMIT can't be negative");
      limit = static_cast<uint64_t>(*v);
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  auto keys = argv.subspan(2, nkeys);
  auto lock = LockKeys(env, keys);
  std::vector<Handle> hs(keys.size());
  if (!OpenSets(env, keys, &hs)) return;
  uint64_t card = 0;
  if (!Intersect(env, hs, limit, nullptr, &card)) return;
  env.out.Integer(static_cast<int64_t>(card));
}

void Sscan(Env& env, Argv argv) { ScanHashOrSet(env, argv, ValueType::kSet); }

constexpr CmdImpl kImpls[] = {
    {"sadd", Sadd},
    {"srem", Srem},
    {"smembers", Smembers},
    {"sismember", Sismember},
    {"smismember", Smismember},
    {"scard", Scard},
    {"spop", Spop},
    {"srandmember", Srandmember},
    {"smove", Smove},
    {"sinter", Sinter},
    {"sintercard", Sintercard},
    {"sinterstore", Sinterstore},
    {"sunion", Sunion},
    {"sunionstore", Sunionstore},
    {"sdiff", Sdiff},
    {"sdiffstore", Sdiffstore},
    {"sscan", Sscan},
};

}  // namespace

std::span<const CmdImpl> SetImpls() { return kImpls; }

}  // namespace shoal::storage::coll
