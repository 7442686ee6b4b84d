#include "storage/cmd_zset_util.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>

#include "core/strutil.h"

namespace shoal::storage::coll::zset {

bool ItemLess(const Item& a, const Item& b) {
  if (a.score != b.score) return a.score < b.score;
  return a.member < b.member;
}

std::string MemberKey(const Handle& h, std::string_view member) {
  return SubKey(h, kTagMember, member);
}

std::string ScoreKey(const Handle& h, double score, std::string_view member) {
  std::string rest = EncodeScore(score);
  rest.append(member);
  return SubKey(h, kTagScore, rest);
}

bool GetScore(Env& env, const Handle& h, std::string_view member, std::optional<double>* score) {
  std::optional<std::string> v;
  if (!GetSub(env, MemberKey(h, member), &v)) return false;
  *score = v ? std::optional<double>(BytesDouble(*v)) : std::nullopt;
  return true;
}

void PutMember(WriteTxn& txn, const Handle& h, std::string_view member, double score,
               std::optional<double> old) {
  score = Normalize(score);
  if (old) {
    if (EncodeScore(*old) == EncodeScore(score)) return;
    txn.DeleteSub(ScoreKey(h, *old, member));
  }
  txn.PutSub(MemberKey(h, member), DoubleBytes(score));
  txn.PutSub(ScoreKey(h, score, member), std::string());
}

void DeleteMember(WriteTxn& txn, const Handle& h, std::string_view member, double score) {
  txn.DeleteSub(MemberKey(h, member));
  txn.DeleteSub(ScoreKey(h, score, member));
}

void DeleteItems(WriteTxn& txn, const Handle& h, const std::vector<Item>& items) {
  if (h.meta.count == 0) return;
  for (const auto& it : items) DeleteMember(txn, h, it.member, it.score);
}

namespace {

// One end of a score range as Redis's zslParseRange reads it: strtod over
// the whole item, so "" means 0 and leading spaces are allowed.
bool ParseScoreItem(std::string_view s, double* v, bool* ex) {
  *ex = !s.empty() && s[0] == '(';
  if (*ex) s.remove_prefix(1);
  if (s.size() > 5000 || s.find('\0') != std::string_view::npos) return false;
  std::string buf(s);
  char* end = nullptr;
  *v = std::strtod(buf.c_str(), &end);
  return end == buf.c_str() + buf.size() && !std::isnan(*v);
}

bool ParseLexItem(std::string_view s, LexBound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return false;
      b->kind = LexBound::kPosInf;
      return true;
    case '-':
      if (s.size() != 1) return false;
      b->kind = LexBound::kNegInf;
      return true;
    case '(':
      b->kind = LexBound::kExclusive;
      b->value.assign(s.substr(1));
      return true;
    case '[':
      b->kind = LexBound::kInclusive;
      b->value.assign(s.substr(1));
      return true;
    default:
      return false;
  }
}

// -inf < every string < +inf.
int CompareBounds(const LexBound& a, const LexBound& b) {
  auto rank = [](const LexBound& x) {
    return x.kind == LexBound::kNegInf ? 0 : x.kind == LexBound::kPosInf ? 2 : 1;
  };
  int ra = rank(a), rb = rank(b);
  if (ra != rb || ra != 1) return ra < rb ? -1 : ra > rb ? 1 : 0;
  int c = a.value.compare(b.value);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

}  // namespace

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseScoreItem(min, &r->min, &r->minex) && ParseScoreItem(max, &r->max, &r->maxex);
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexItem(min, &r->min) && ParseLexItem(max, &r->max);
}

bool LexRange::GteMin(std::string_view m) const {
  switch (min.kind) {
    case LexBound::kNegInf:
      return true;
    case LexBound::kPosInf:
      return false;
    case LexBound::kInclusive:
      return m >= std::string_view(min.value);
    case LexBound::kExclusive:
      return m > std::string_view(min.value);
  }
  return false;
}

bool LexRange::LteMax(std::string_view m) const {
  switch (max.kind) {
    case LexBound::kNegInf:
      return false;
    case LexBound::kPosInf:
      return true;
    case LexBound::kInclusive:
      return m <= std::string_view(max.value);
    case LexBound::kExclusive:
      return m < std::string_view(max.value);
  }
  return false;
}

bool LexRange::Empty() const {
  int c = CompareBounds(min, max);
  // "-" and "+" count as exclusive, as in Redis.
  bool minex = min.kind != LexBound::kInclusive;
  bool maxex = max.kind != LexBound::kInclusive;
  return c > 0 || (c == 0 && (minex || maxex));
}

namespace {

// Makes sure the rank index of h exists (big zsets only); its prefix.
std::optional<std::string> RankIndexPrefix(Env& env, const Handle& h) {
  std::string prefix = SubPrefix(h, kTagScore);
  bool ok = env.ks.rank_indexes().Ensure(prefix, h.meta.count,
                                         [&](const std::function<void(std::string_view)>& add) {
                                           Cursor c(env, prefix, PrefixEnd(prefix), false);
                                           for (; c.Valid(); c.Next()) add(c.suffix(prefix.size()));
                                           return c.Ok(env);
                                         });
  if (!ok) return std::nullopt;
  return prefix;
}

}  // namespace

std::optional<std::string> EntryAtRank(Env& env, const Handle& h, uint64_t rank) {
  auto prefix = RankIndexPrefix(env, h);
  if (!prefix) return std::nullopt;
  return env.ks.rank_indexes().At(*prefix, rank);
}

std::optional<uint64_t> RankOfEntry(Env& env, const Handle& h, std::string_view entry) {
  auto prefix = RankIndexPrefix(env, h);
  if (!prefix) return std::nullopt;
  return env.ks.rank_indexes().Rank(*prefix, entry);
}

ScoreWalk::ScoreWalk(Env& env, const Handle& h, bool reverse)
    : prefix_(SubPrefix(h, kTagScore)), c_(env, prefix_, PrefixEnd(prefix_), reverse) {}

bool CollectScoreRange(Env& env, const Handle& h, const ScoreRange& r, bool reverse, int64_t offset,
                       int64_t limit, std::vector<Item>* out) {
  if (r.Empty() || offset < 0 || limit == 0) return true;
  return VisitScoreRange(env, h, r, reverse, offset, [&](std::string_view m, double s) {
    out->push_back(Item{std::string(m), s});
    return limit < 0 || static_cast<int64_t>(out->size()) < limit;
  });
}

bool CollectLexRange(Env& env, const Handle& h, const LexRange& r, bool reverse, int64_t offset,
                     int64_t limit, std::vector<Item>* out) {
  if (r.Empty() || offset < 0 || limit == 0) return true;
  return VisitLexRange(env, h, r, reverse, offset, [&](std::string_view m, double s) {
    out->push_back(Item{std::string(m), s});
    return limit < 0 || static_cast<int64_t>(out->size()) < limit;
  });
}

bool CollectRankRange(Env& env, const Handle& h, int64_t start, int64_t end, bool reverse,
                      std::vector<Item>* out) {
  auto len = static_cast<int64_t>(h.meta.count);
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return true;
  if (end >= len) end = len - 1;
  int64_t want = end - start + 1;
  out->reserve(static_cast<size_t>(want));
  return VisitRank(env, h, start, reverse, [&](std::string_view m, double s) {
    out->push_back(Item{std::string(m), s});
    return static_cast<int64_t>(out->size()) < want;
  });
}

bool ParseBounds(Env& env, RangeType type, std::string_view min, std::string_view max, Bounds* b) {
  b->type = type;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank: {
      auto s = Int(env, min);
      if (!s) return false;
      auto e = Int(env, max);
      if (!e) return false;
      b->start = *s;
      b->end = *e;
      return true;
    }
    case RangeType::kScore:
      if (ParseScoreRange(min, max, &b->score)) return true;
      env.out.Error("ERR min or max is not a float");
      return false;
    case RangeType::kLex:
      if (ParseLexRange(min, max, &b->lex)) return true;
      env.out.Error("ERR min or max not valid string range item");
      return false;
  }
  return false;
}

bool CollectBounds(Env& env, const Handle& h, const Bounds& b, bool reverse, int64_t offset,
                   int64_t limit, std::vector<Item>* out) {
  switch (b.type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      return CollectRankRange(env, h, b.start, b.end, reverse, out);
    case RangeType::kScore:
      return CollectScoreRange(env, h, b.score, reverse, offset, limit, out);
    case RangeType::kLex:
      return CollectLexRange(env, h, b.lex, reverse, offset, limit, out);
  }
  return false;
}

void ReplyItems(Env& env, const std::vector<Item>& items, bool withscores) {
  auto n = static_cast<int64_t>(items.size());
  bool pairs = withscores && env.out.resp3();
  env.out.ArrayHeader(withscores && !pairs ? 2 * n : n);
  for (const auto& it : items) {
    if (pairs) env.out.ArrayHeader(2);
    env.out.Bulk(it.member);
    if (withscores) ReplyScore(env, it.score);
  }
}

void StoreItems(Env& env, std::string_view dst, const std::vector<Item>& items) {
  Handle h;
  if (!OpenAny(env, dst, &h)) return;
  WriteTxn txn(&env.ks);
  if (items.empty()) {
    h.meta.count = 0;
    SaveMeta(env, txn, &h);  // deletes whatever was there
  } else {
    Create(env, &h, ValueType::kZset);
    for (const auto& it : items) PutMember(txn, h, it.member, it.score, std::nullopt);
    h.meta.count = items.size();
    SaveMeta(env, txn, &h);
  }
  if (!env.Commit(txn)) return;
  if (!items.empty()) env.NoteReady(dst);
  env.out.Integer(static_cast<int64_t>(items.size()));
}

}  // namespace shoal::storage::coll::zset
