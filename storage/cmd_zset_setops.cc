// Sorted sets: ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
// Inputs may be sorted sets or plain sets (members score 1), as in Redis.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/strutil.h"
#include "storage/cmd_zset_util.h"

namespace shoal::storage::coll::zset {
namespace {

enum class SetOp : uint8_t { kUnion, kInter, kDiff };
enum class Aggregate : uint8_t { kSum, kMin, kMax };

struct Source {
  Handle h;  // not moved: its record views its own scratch buffer
  double weight = 1;
  bool is_set = false;
  uint64_t size() const { return h.live ? h.meta.count : 0; }
};

void Combine(double* target, double value, Aggregate agg) {
  switch (agg) {
    case Aggregate::kSum:
      *target += value;
      if (std::isnan(*target)) *target = 0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = std::min(*target, value);
      break;
    case Aggregate::kMax:
      *target = std::max(*target, value);
      break;
  }
}

double Weighted(double score, double weight) {
  double v = score * weight;
  return std::isnan(v) ? 0 : v;  // inf * 0
}

// Visits every member of a source in member order: fn(member, score).
template <typename Fn>
bool ForEachMember(Env& env, const Source& s, Fn&& fn) {
  if (!s.h.live) return true;
  std::string lo = SubPrefix(s.h, kTagMember);
  Cursor c(env, lo, PrefixEnd(lo), false);
  for (; c.Valid(); c.Next()) {
    if (!fn(c.suffix(lo.size()), s.is_set ? 1.0 : BytesDouble(c.value()))) break;
  }
  return c.Ok(env);
}

// A member's score in a source (1 for a set member); false after a reply.
bool Find(Env& env, const Source& s, std::string_view member, std::optional<double>* score) {
  *score = std::nullopt;
  if (!s.h.live) return true;
  std::optional<std::string> v;
  if (!GetSub(env, MemberKey(s.h, member), &v)) return false;
  if (v) *score = s.is_set ? 1.0 : BytesDouble(*v);
  return true;
}

void SetOpGeneric(Env& env, Argv argv, bool store, SetOp op, bool card_only) {
  size_t numkeys_at = store ? 2 : 1;
  auto setnum = Int(env, argv[numkeys_at]);
  if (!setnum) return;
  if (*setnum < 1) {
    return env.out.Error("ERR at least 1 input key is needed for '" + ToLower(argv[0]) +
                         "' command");
  }
  if (*setnum > static_cast<int64_t>(argv.size() - numkeys_at - 1)) {
    return env.out.Error(errors::kSyntax);
  }
  auto n = static_cast<size_t>(*setnum);
  auto keys = argv.subspan(numkeys_at + 1, n);

  std::vector<KeyRef> refs;
  refs.reserve(n + 1);
  for (auto k : keys) refs.push_back(Keyspace::Ref(k));
  if (store) refs.push_back(Keyspace::Ref(argv[1]));
  auto lock = env.ks.LockKeys(refs);

  // Redis looks the keys up (WRONGTYPE) before parsing the options.
  std::vector<Source> srcs(n);
  for (size_t i = 0; i < n; ++i) {
    Source& s = srcs[i];
    if (!OpenAny(env, keys[i], &s.h)) return;
    if (s.h.live && s.h.type != ValueType::kZset && s.h.type != ValueType::kSet) {
      return env.out.Error(errors::kWrongType);
    }
    s.is_set = s.h.live && s.h.type == ValueType::kSet;
  }

  Aggregate agg = Aggregate::kSum;
  bool withscores = false;
  int64_t limit = 0;  // ZINTERCARD: 0 = no limit
  for (size_t j = numkeys_at + 1 + n; j < argv.size();) {
    size_t remaining = argv.size() - j;
    if (op != SetOp::kDiff && !card_only && remaining >= n + 1 && Is(argv[j], "WEIGHTS")) {
      ++j;
      for (size_t i = 0; i < n; ++i, ++j) {
        auto w = Double(env, argv[j], "ERR weight value is not a float");
        if (!w) return;
        srcs[i].weight = *w;
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 && Is(argv[j], "AGGREGATE")) {
      std::string_view a = argv[j + 1];
      if (Is(a, "SUM")) {
        agg = Aggregate::kSum;
      } else if (Is(a, "MIN")) {
        agg = Aggregate::kMin;
      } else if (Is(a, "MAX")) {
        agg = Aggregate::kMax;
      } else {
        return env.out.Error(errors::kSyntax);
      }
      j += 2;
    } else if (!store && !card_only && Is(argv[j], "WITHSCORES")) {
      withscores = true;
      ++j;
    } else if (card_only && remaining >= 2 && Is(argv[j], "LIMIT")) {
      auto l = ParseInt64(argv[j + 1]);
      if (!l || *l < 0) return env.out.Error("ERR LIMIT can't be negative");
      limit = *l;
      j += 2;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }

  // Smallest inputs first, as Redis orders them (fewer lookups for ZINTER).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (op != SetOp::kDiff) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return srcs[a].size() < srcs[b].size(); });
  }

  std::vector<Item> result;
  int64_t cardinality = 0;
  if (op == SetOp::kUnion) {
    std::map<std::string, double, std::less<>> acc;
    for (size_t i : order) {
      const Source& s = srcs[i];
      bool ok = ForEachMember(env, s, [&](std::string_view m, double score) {
        double v = Weighted(score, s.weight);
        auto it = acc.find(m);
        if (it == acc.end()) {
          acc.emplace(std::string(m), v);
        } else {
          Combine(&it->second, v, agg);
        }
        return true;
      });
      if (!ok) return;
    }
    result.reserve(acc.size());
    for (auto& [m, score] : acc) result.push_back(Item{m, score});
  } else {
    const Source& first = srcs[order[0]];
    bool failed = false;
    bool ok = ForEachMember(env, first, [&](std::string_view m, double score) {
      double total = op == SetOp::kInter ? Weighted(score, first.weight) : score;
      for (size_t j = 1; j < n; ++j) {
        const Source& other = srcs[order[j]];
        std::optional<double> v;
        if (!Find(env, other, m, &v)) {
          failed = true;
          return false;
        }
        if (op == SetOp::kDiff) {
          if (v) return true;  // in a later set: not in the difference
        } else {
          if (!v) return true;  // missing from one input: not in the intersection
          Combine(&total, Weighted(*v, other.weight), agg);
        }
      }
      if (card_only) {
        ++cardinality;
        return limit == 0 || cardinality < limit;
      }
      result.push_back(Item{std::string(m), total});
      return true;
    });
    if (!ok || failed) return;
  }

  if (card_only) return env.out.Integer(cardinality);
  std::sort(result.begin(), result.end(), ItemLess);
  if (store) return StoreItems(env, argv[1], result);
  ReplyItems(env, result, withscores);
}

}  // namespace

void Zunion(Env& env, Argv argv) { SetOpGeneric(env, argv, false, SetOp::kUnion, false); }
void Zinter(Env& env, Argv argv) { SetOpGeneric(env, argv, false, SetOp::kInter, false); }
void Zdiff(Env& env, Argv argv) { SetOpGeneric(env, argv, false, SetOp::kDiff, false); }
void Zunionstore(Env& env, Argv argv) { SetOpGeneric(env, argv, true, SetOp::kUnion, false); }
void Zinterstore(Env& env, Argv argv) { SetOpGeneric(env, argv, true, SetOp::kInter, false); }
void Zdiffstore(Env& env, Argv argv) { SetOpGeneric(env, argv, true, SetOp::kDiff, false); }
void Zintercard(Env& env, Argv argv) { SetOpGeneric(env, argv, false, SetOp::kInter, true); }

}  // namespace shoal::storage::coll::zset
