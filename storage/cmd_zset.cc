// Sorted sets: the registry and the single-key commands (adds, removes,
// point reads, counts, ZSCAN, ZRANDMEMBER). Ranges, pops and set
// operations live in cmd_zset_range.cc, cmd_zset_pop.cc, cmd_zset_setops.cc.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/strutil.h"
#include "storage/cmd_zset_util.h"

namespace shoal::storage::coll {
namespace zset {
namespace {

constexpr const char* kNanScore = "ERR resulting score is not a number (NaN)";

struct AddFlags {
  bool nx = false, xx = false, gt = false, lt = false, ch = false, incr = false;
};

// ZADD and ZINCRBY: the score-member pairs start at argv[first].
void AddGeneric(Env& env, Argv argv, size_t first, AddFlags f) {
  size_t elements = argv.size() - first;
  if (elements == 0 || elements % 2 != 0) return env.out.Error(errors::kSyntax);
  elements /= 2;
  if (f.nx && f.xx) {
    return env.out.Error("ERR XX and NX options at the same time are not compatible");
  }
  if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    return env.out.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (f.incr && elements > 1) {
    return env.out.Error("ERR INCR option supports a single increment-element pair");
  }
  std::vector<double> scores(elements);
  for (size_t j = 0; j < elements; ++j) {
    auto d = Double(env, argv[first + 2 * j]);
    if (!d) return;
    scores[j] = *d;
  }

  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  auto reply = [&](int64_t added, int64_t updated, std::optional<double> incr_result) {
    if (f.incr) {
      if (incr_result) return ReplyScore(env, *incr_result);
      return env.out.Null();
    }
    env.out.Integer(f.ch ? added + updated : added);
  };
  if (!h.live) {
    if (f.xx) return reply(0, 0, std::nullopt);
    Create(env, &h, ValueType::kZset);
  }

  // This command's reads cannot see its own writes: track members here.
  struct State {
    std::optional<double> stored;  // as on disk before the command
    std::optional<double> now;
  };
  std::map<std::string_view, State> seen;
  int64_t added = 0, updated = 0;
  std::optional<double> incr_result;
  for (size_t j = 0; j < elements; ++j) {
    std::string_view member = argv[first + 2 * j + 1];
    double score = scores[j];
    auto it = seen.find(member);
    if (it == seen.end()) {
      State st;
      if (!GetScore(env, h, member, &st.stored)) return;
      st.now = st.stored;
      it = seen.emplace(member, st).first;
    }
    State& st = it->second;
    if (st.now) {
      if (f.nx) continue;
      double cur = *st.now;
      if (f.incr) {
        score += cur;
        if (std::isnan(score)) return env.out.Error(kNanScore);
      }
      if ((f.lt && score >= cur) || (f.gt && score <= cur)) continue;
      incr_result = score;
      if (score != cur) {
        st.now = score;
        ++updated;
      }
    } else if (!f.xx) {
      st.now = score;
      incr_result = score;
      ++added;
    }
  }

  WriteTxn txn(&env.ks);
  for (const auto& [member, st] : seen) {
    if (st.now && st.now != st.stored) PutMember(txn, h, member, *st.now, st.stored);
  }
  if (!txn.empty()) {
    h.meta.count += static_cast<uint64_t>(added);
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
    env.NoteReady(argv[1]);
  }
  if (incr_result) incr_result = Normalize(*incr_result);
  reply(added, updated, incr_result);
}

// Redis's rank walk: count entries before (reverse: after) the member's
// score-index entry.
void RankGeneric(Env& env, Argv argv, bool reverse) {
  if (argv.size() > 4) {
    return WrongArity(env, argv[0]);
  }
  bool withscore = false;
  if (argv.size() == 4) {
    if (!Is(argv[3], "WITHSCORE")) return env.out.Error(errors::kSyntax);
    withscore = true;
  }
  auto null = [&] { withscore ? env.out.NullArray() : env.out.Null(); };
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return null();
  std::optional<double> score;
  if (!GetScore(env, h, argv[2], &score)) return;
  if (!score) return null();
  std::string target = ScoreKey(h, *score, argv[2]);
  if (auto asc =
          RankOfEntry(env, h, std::string_view(target).substr(SubPrefix(h, kTagScore).size()))) {
    if (withscore) env.out.ArrayHeader(2);
    env.out.Integer(static_cast<int64_t>(reverse ? h.meta.count - 1 - *asc : *asc));
    if (withscore) ReplyScore(env, *score);
    return;
  }
  ScoreWalk w(env, h, reverse);
  Cursor& c = w.cursor();
  int64_t rank = 0;
  for (; c.Valid() && c.key() != target; c.Next()) ++rank;
  if (!c.Ok(env)) return;
  if (!c.Valid()) return null();  // cannot happen while both indexes agree
  if (withscore) env.out.ArrayHeader(2);
  env.out.Integer(rank);
  if (withscore) ReplyScore(env, *score);
}

// ZCOUNT and ZLEXCOUNT key min max.
void CountInRange(Env& env, Argv argv, RangeType type) {
  Bounds b;
  if (!ParseBounds(env, type, argv[2], argv[3], &b)) return;
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  int64_t n = 0;
  auto count = [&](std::string_view, double) {
    ++n;
    return true;
  };
  if (h.live) {
    const bool ok = type == RangeType::kScore
                        ? b.score.Empty() || VisitScoreRange(env, h, b.score, false, 0, count)
                        : b.lex.Empty() || VisitLexRange(env, h, b.lex, false, 0, count);
    if (!ok) return;
  }
  env.out.Integer(n);
}

// ---- ZSCAN cursors ----
// A cursor names the next member to return by the shortest part of it that
// sorts after the member before it. Members of a set usually share a long
// prefix ("user:1...", "user:2..."), so that part is taken after the
// prefix P common to the whole set: the cursor holds |P| and up to
// kCursorBytes bytes after it. Seeking to P + bytes lands exactly on the
// next member if nothing changed, and never after a member not yet
// returned, so every member present for the whole scan is returned (if the
// set's common prefix got shorter meanwhile, the call restarts at P: some
// members come twice, none is skipped). A call stops only at a boundary
// that such a cursor can name, so it may return more than COUNT members.
//   bits 0..2: byte count (1..6), 3..50: the bytes, 51..58: |P| (<= 255).
constexpr size_t kCursorBytes = 6;
constexpr size_t kCursorMaxCommon = 255;

size_t CommonPrefix(std::string_view a, std::string_view b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

// Where to resume, given the set's current common prefix.
std::string CursorTarget(uint64_t cursor, std::string_view common) {
  size_t common_len = (cursor >> 51) & 0xff;
  if (common_len > common.size()) return std::string(common);
  std::string out(common.substr(0, common_len));
  size_t len = std::min<size_t>(cursor & 7, kCursorBytes);
  uint64_t bytes = (cursor >> 3) & ((uint64_t{1} << (8 * kCursorBytes)) - 1);
  for (size_t i = 0; i < len; ++i) {
    out.push_back(static_cast<char>((bytes >> (8 * (kCursorBytes - 1 - i))) & 0xff));
  }
  return out;
}

// The cursor naming `next` after `prev` (both start with the common prefix
// of length common_len); 0 when it does not fit.
uint64_t CursorBetween(std::string_view prev, std::string_view next, size_t common_len) {
  prev.remove_prefix(common_len);
  next.remove_prefix(common_len);
  size_t len = CommonPrefix(prev, next) + 1;
  if (len > kCursorBytes || len > next.size()) return 0;
  uint64_t bytes = 0;
  for (size_t i = 0; i < kCursorBytes; ++i) {
    bytes = (bytes << 8) | (i < len ? static_cast<uint8_t>(next[i]) : 0);
  }
  return (static_cast<uint64_t>(common_len) << 51) | (bytes << 3) | len;
}

// The prefix shared by every member: that of the first and the last.
bool MembersCommonPrefix(Env& env, const Handle& h, std::string* common) {
  std::string lo = SubPrefix(h, kTagMember);
  std::string hi = PrefixEnd(lo);
  Cursor first(env, lo, hi, false);
  Cursor last(env, lo, hi, true);
  if (!first.Ok(env) || !last.Ok(env)) return false;
  if (!first.Valid() || !last.Valid()) return true;
  std::string_view a = first.suffix(lo.size()), b = last.suffix(lo.size());
  common->assign(a.substr(0, std::min(CommonPrefix(a, b), kCursorMaxCommon)));
  return true;
}

// One ZSCAN call: members and scores from the cursor on.
void ScanPage(Env& env, Argv, const Handle& h, const ScanArgs& args) {
  std::string common;
  if (!MembersCommonPrefix(env, h, &common)) return;
  std::string lo = SubPrefix(h, kTagMember);
  Cursor c(env, lo, PrefixEnd(lo), false);
  if (args.cursor != 0) c.Seek(lo + CursorTarget(args.cursor, common));
  std::vector<Item> items;
  std::string prev;
  int64_t visited = 0;
  uint64_t next = 0;
  for (; c.Valid(); c.Next()) {
    std::string_view m = c.suffix(lo.size());
    if (visited >= args.count) {
      next = CursorBetween(prev, m, common.size());
      if (next != 0) break;
    }
    ++visited;
    prev.assign(m);
    if (args.pattern && !GlobMatch(*args.pattern, m)) continue;
    items.push_back(Item{std::string(m), BytesDouble(c.value())});
  }
  if (!c.Ok(env)) return;
  if (!c.Valid()) next = 0;
  env.out.ArrayHeader(2);
  env.out.Bulk(std::to_string(next));
  env.out.ArrayHeader(static_cast<int64_t>(items.size()) * 2);
  for (const auto& it : items) {
    env.out.Bulk(it.member);
    env.out.Bulk(FormatDouble(it.score));
  }
}

// ---- ZRANDMEMBER ----
// Redis has no bound on a negative count; one keeps a single request from
// exhausting memory (about 1 GB of reply).
constexpr uint64_t kMaxRandCount = uint64_t{1} << 26;

// The members at the given ranks of the member index (sorted, unique).
bool FetchRanks(Env& env, const Handle& h, const std::vector<uint64_t>& ranks,
                std::vector<Item>* out) {
  std::string lo = SubPrefix(h, kTagMember);
  Cursor c(env, lo, PrefixEnd(lo), false);
  uint64_t pos = 0;
  for (uint64_t want : ranks) {
    for (; c.Valid() && pos < want; ++pos) c.Next();
    if (!c.Valid()) break;
    out->push_back(Item{std::string(c.suffix(lo.size())), BytesDouble(c.value())});
  }
  return c.Ok(env);
}

void RandMemberWithCount(Env& env, Argv argv, int64_t count, bool withscores) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live || count == 0) return env.out.ArrayHeader(0);
  uint64_t size = h.meta.count;
  Rng rng(env.seed);
  std::vector<Item> items;
  if (count > 0 && static_cast<uint64_t>(count) >= size) {
    // The whole set, in order.
    if (!CollectRankRange(env, h, 0, -1, false, &items)) return;
    return ReplyItems(env, items, withscores);
  }
  if (count < 0) {
    auto n = static_cast<uint64_t>(-count);
    if (n > kMaxRandCount) return env.out.Error("ERR value is out of range");
    auto emit_all = [&](const std::vector<Item>& pool, auto pick) {
      bool pairs = withscores && env.out.resp3();
      auto total = static_cast<int64_t>(n);
      env.out.ArrayHeader(withscores && !pairs ? 2 * total : total);
      for (uint64_t i = 0; i < n; ++i) {
        const Item& it = pool[pick(i)];
        if (pairs) env.out.ArrayHeader(2);
        env.out.Bulk(it.member);
        if (withscores) ReplyScore(env, it.score);
      }
    };
    if (n >= size) {
      // Cheaper to hold the set than the picks.
      if (!CollectRankRange(env, h, 0, -1, false, &items)) return;
      if (items.empty()) return env.out.ArrayHeader(0);
      return emit_all(items, [&](uint64_t) { return rng.Below(items.size()); });
    }
    std::vector<uint64_t> picks(n);
    for (auto& p : picks) p = rng.Below(size);
    std::vector<uint64_t> ranks = picks;
    std::sort(ranks.begin(), ranks.end());
    ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
    if (!FetchRanks(env, h, ranks, &items)) return;
    if (items.size() != ranks.size()) return env.out.ArrayHeader(0);  // count was stale
    return emit_all(items, [&](uint64_t i) {
      return static_cast<size_t>(std::lower_bound(ranks.begin(), ranks.end(), picks[i]) -
                                 ranks.begin());
    });
  }
  // Distinct ranks (Floyd's sampling), then a random order.
  auto n = static_cast<uint64_t>(count);
  std::set<uint64_t> chosen;
  for (uint64_t j = size - n; j < size; ++j) {
    uint64_t t = rng.Below(j + 1);
    if (!chosen.insert(t).second) chosen.insert(j);
  }
  std::vector<uint64_t> ranks(chosen.begin(), chosen.end());
  if (!FetchRanks(env, h, ranks, &items)) return;
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.Below(i)]);
  ReplyItems(env, items, withscores);
}

}  // namespace

void Zadd(Env& env, Argv argv) {
  AddFlags f;
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    std::string_view o = argv[i];
    if (Is(o, "NX")) {
      f.nx = true;
    } else if (Is(o, "XX")) {
      f.xx = true;
    } else if (Is(o, "CH")) {
      f.ch = true;
    } else if (Is(o, "INCR")) {
      f.incr = true;
    } else if (Is(o, "GT")) {
      f.gt = true;
    } else if (Is(o, "LT")) {
      f.lt = true;
    } else {
      break;
    }
  }
  AddGeneric(env, argv, i, f);
}

void Zincrby(Env& env, Argv argv) {
  AddFlags f;
  f.incr = true;
  AddGeneric(env, argv, 2, f);
}

void Zrem(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::map<std::string_view, double> removed;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (removed.count(argv[i])) continue;
    std::optional<double> score;
    if (!GetScore(env, h, argv[i], &score)) return;
    if (score) removed.emplace(argv[i], *score);
  }
  if (!removed.empty()) {
    WriteTxn txn(&env.ks);
    h.meta.count -= std::min<uint64_t>(h.meta.count, removed.size());
    if (h.meta.count > 0) {
      for (const auto& [member, score] : removed) DeleteMember(txn, h, member, score);
    }
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
    if (h.meta.count > 0) env.NoteReady(argv[1]);
  }
  env.out.Integer(static_cast<int64_t>(removed.size()));
}

void Zcard(Env& env, Argv argv) { ReplyCount(env, argv, ValueType::kZset); }

void Zscore(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return env.out.Null();
  std::optional<double> score;
  if (!GetScore(env, h, argv[2], &score)) return;
  if (!score) return env.out.Null();
  ReplyScore(env, *score);
}

void Zmscore(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  std::vector<std::optional<double>> scores(argv.size() - 2);
  if (h.live) {
    for (size_t i = 2; i < argv.size(); ++i) {
      if (!GetScore(env, h, argv[i], &scores[i - 2])) return;
    }
  }
  env.out.ArrayHeader(static_cast<int64_t>(scores.size()));
  for (const auto& s : scores) {
    if (s) {
      ReplyScore(env, *s);
    } else {
      env.out.Null();
    }
  }
}

void Zrank(Env& env, Argv argv) { RankGeneric(env, argv, false); }
void Zrevrank(Env& env, Argv argv) { RankGeneric(env, argv, true); }

void Zcount(Env& env, Argv argv) { CountInRange(env, argv, RangeType::kScore); }
void Zlexcount(Env& env, Argv argv) { CountInRange(env, argv, RangeType::kLex); }

void Zscan(Env& env, Argv argv) { ScanKey(env, argv, ValueType::kZset, ScanPage); }

void Zrandmember(Env& env, Argv argv) {
  if (argv.size() >= 3) {
    auto l = Int(env, argv[2]);
    if (!l) return;
    if (*l == std::numeric_limits<int64_t>::min()) {
      return env.out.Error(
          "ERR value is out of range, must be between -9223372036854775807 and "
          "9223372036854775807");
    }
    if (argv.size() > 4 || (argv.size() == 4 && !Is(argv[3], "WITHSCORES"))) {
      return env.out.Error(errors::kSyntax);
    }
    bool withscores = argv.size() == 4;
    constexpr int64_t kHalf = std::numeric_limits<int64_t>::max() / 2;
    if (withscores && (*l < -kHalf || *l > kHalf)) {
      return env.out.Error("ERR value is out of range");
    }
    return RandMemberWithCount(env, argv, *l, withscores);
  }
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return env.out.Null();
  Rng rng(env.seed);
  std::vector<Item> items;
  if (!FetchRanks(env, h, {rng.Below(h.meta.count)}, &items)) return;
  if (items.empty()) return env.out.Null();
  env.out.Bulk(items[0].member);
}

}  // namespace zset

namespace {

constexpr CmdImpl kImpls[] = {
    {"zadd", zset::Zadd},
    {"zincrby", zset::Zincrby},
    {"zrem", zset::Zrem},
    {"zcard", zset::Zcard},
    {"zscore", zset::Zscore},
    {"zmscore", zset::Zmscore},
    {"zrank", zset::Zrank},
    {"zrevrank", zset::Zrevrank},
    {"zcount", zset::Zcount},
    {"zlexcount", zset::Zlexcount},
    {"zscan", zset::Zscan},
    {"zrandmember", zset::Zrandmember},
    {"zrange", zset::Zrange},
    {"zrangestore", zset::Zrangestore},
    {"zrangebyscore", zset::Zrangebyscore},
    {"zrevrangebyscore", zset::Zrevrangebyscore},
    {"zrangebylex", zset::Zrangebylex},
    {"zrevrangebylex", zset::Zrevrangebylex},
    {"zrevrange", zset::Zrevrange},
    {"zremrangebyrank", zset::Zremrangebyrank},
    {"zremrangebyscore", zset::Zremrangebyscore},
    {"zremrangebylex", zset::Zremrangebylex},
    {"zpopmin", zset::Zpopmin},
    {"zpopmax", zset::Zpopmax},
    {"zmpop", zset::Zmpop},
    {"bzpopmin", zset::Bzpopmin},
    {"bzpopmax", zset::Bzpopmax},
    {"bzmpop", zset::Bzmpop},
    {"zunion", zset::Zunion},
    {"zinter", zset::Zinter},
    {"zdiff", zset::Zdiff},
    {"zunionstore", zset::Zunionstore},
    {"zinterstore", zset::Zinterstore},
    {"zdiffstore", zset::Zdiffstore},
    {"zintercard", zset::Zintercard},
};

}  // namespace

std::span<const CmdImpl> ZsetImpls() { return kImpls; }

}  // namespace shoal::storage::coll
