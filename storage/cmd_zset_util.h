// Shared pieces of the sorted-set commands (storage/cmd_zset*.cc).
//
// A sorted set keeps two sub-record families that always change together:
//   member index: SubKey(h, kTagMember, member)                -> DoubleBytes(score)
//   score index:  SubKey(h, kTagScore, EncodeScore(score) + member) -> ""
// The score index orders entries as Redis's skiplist does (score, then
// member bytes), so ranges by score, by rank and by lex are walks over it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/coll.h"
#include "storage/coll_members.h"

namespace shoal::storage::coll::zset {

inline constexpr size_t kScoreBytes = 8;

struct Item {
  std::string member;
  double score;
};

// (score, member) order, the order of the score index.
bool ItemLess(const Item& a, const Item& b);

std::string MemberKey(const Handle& h, std::string_view member);
std::string ScoreKey(const Handle& h, double score, std::string_view member);

// A member's score: nullopt when absent. False after replying a storage error.
bool GetScore(Env& env, const Handle& h, std::string_view member, std::optional<double>* score);

// Adds `member` with `score` to txn, replacing its old score-index entry
// when it had one (`old`).
void PutMember(WriteTxn& txn, const Handle& h, std::string_view member, double score,
               std::optional<double> old);
void DeleteMember(WriteTxn& txn, const Handle& h, std::string_view member, double score);
// Deletes removed `items` from h, whose meta.count is already the count
// after removal. When that is 0 the sub-records are left alone: SaveMeta
// drops the key and the compaction filter collects the old version's
// records, so emptying a big set costs one write.
void DeleteItems(WriteTxn& txn, const Handle& h, const std::vector<Item>& items);

// Scores are normalised on write: -0 is stored as 0, so the member index
// and the score index always agree.
inline double Normalize(double d) { return d == 0 ? 0.0 : d; }

// ---- ranges ----
struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double s) const { return minex ? s > min : s >= min; }
  bool LteMax(double s) const { return maxex ? s < max : s <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};
// Redis's "(1.5" / "2" / "-inf" syntax. False on a bad item (no reply).
bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r);

struct LexBound {
  enum Kind : uint8_t { kNegInf, kPosInf, kInclusive, kExclusive } kind = kNegInf;
  std::string value;
};
struct LexRange {
  LexBound min, max;
  bool GteMin(std::string_view m) const;
  bool LteMax(std::string_view m) const;
  bool Empty() const;
};
// "-", "+", "[x", "(x". False on a bad item (no reply).
bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r);

// ---- walks over the score index (caller holds the key's lock) ----
// Each visits entries in order (reverse: descending), skips `offset` of
// them, and calls fn(member, score) until it returns false. They return
// false after replying a storage error.
// Ranks past this are found through the zset's rank index (built on demand
// for big zsets, storage/rank_index.h) rather than by walking.
inline constexpr int64_t kRankWalkLimit = 256;
// The score-index entry ([score:8][member]) at ascending rank `rank`, from
// the rank index; nullopt when the zset has none (small) or on a failure.
std::optional<std::string> EntryAtRank(Env& env, const Handle& h, uint64_t rank);
// The ascending rank of `entry`, from the rank index; nullopt without one.
std::optional<uint64_t> RankOfEntry(Env& env, const Handle& h, std::string_view entry);

class ScoreWalk {
 public:
  ScoreWalk(Env& env, const Handle& h, bool reverse);
  Cursor& cursor() { return c_; }
  size_t prefix_len() const { return prefix_.size(); }
  const std::string& prefix() const { return prefix_; }
  std::string_view member() const { return c_.key().substr(prefix_.size() + kScoreBytes); }
  double score() const { return DecodeScore(c_.key().substr(prefix_.size(), kScoreBytes)); }

 private:
  std::string prefix_;
  Cursor c_;
};

template <typename Fn>
bool VisitScoreRange(Env& env, const Handle& h, const ScoreRange& r, bool reverse, int64_t offset,
                     Fn&& fn) {
  ScoreWalk w(env, h, reverse);
  Cursor& c = w.cursor();
  std::string bound = w.prefix();
  bound += EncodeScore(reverse ? r.max : r.min);
  // Every entry with score s starts with prefix + EncodeScore(s): past
  // PrefixEnd of that are only greater scores.
  bool past = reverse ? !r.maxex : r.minex;
  c.Seek(past ? PrefixEnd(bound) : bound);
  for (; c.Valid(); c.Next()) {
    double s = w.score();
    if (reverse ? !r.LteMax(s) : !r.GteMin(s)) continue;  // at most one seek overshoot
    if (reverse ? !r.GteMin(s) : !r.LteMax(s)) break;
    if (offset > 0) {
      --offset;
      continue;
    }
    if (!fn(w.member(), s)) break;
  }
  return c.Ok(env);
}

// Lex ranges assume equal scores, as Redis does: the walk seeks within the
// score of the first (reverse: last) entry, then compares members only.
template <typename Fn>
bool VisitLexRange(Env& env, const Handle& h, const LexRange& r, bool reverse, int64_t offset,
                   Fn&& fn) {
  ScoreWalk w(env, h, reverse);
  Cursor& c = w.cursor();
  if (!c.Valid()) return c.Ok(env);
  const LexBound& start = reverse ? r.max : r.min;
  if (start.kind == LexBound::kInclusive || start.kind == LexBound::kExclusive) {
    std::string target(c.key().substr(0, w.prefix_len() + kScoreBytes));
    target += start.value;
    c.Seek(target);
  }
  bool started = false;
  for (; c.Valid(); c.Next()) {
    std::string_view m = w.member();
    if (!started) {
      if (reverse ? !r.LteMax(m) : !r.GteMin(m)) continue;
      started = true;
    }
    if (reverse ? !r.GteMin(m) : !r.LteMax(m)) break;
    if (offset > 0) {
      --offset;
      continue;
    }
    if (!fn(m, w.score())) break;
  }
  return c.Ok(env);
}

// Entries from rank `start` (0 = lowest score; reverse: highest).
template <typename Fn>
bool VisitRank(Env& env, const Handle& h, int64_t start, bool reverse, Fn&& fn) {
  ScoreWalk w(env, h, reverse);
  Cursor& c = w.cursor();
  if (start >= kRankWalkLimit) {
    // Jump straight to the start through the rank index, when there is one.
    auto count = static_cast<int64_t>(h.meta.count);
    auto at =
        start < count ? EntryAtRank(env, h, reverse ? count - 1 - start : start) : std::nullopt;
    if (at) {
      c.Seek(w.prefix() + *at);
      start = 0;
    }
  }
  for (; c.Valid() && start > 0; --start) c.Next();
  for (; c.Valid(); c.Next()) {
    if (!fn(w.member(), w.score())) break;
  }
  return c.Ok(env);
}

// Collect helpers on top of the visitors; limit < 0 means no limit.
bool CollectScoreRange(Env& env, const Handle& h, const ScoreRange& r, bool reverse, int64_t offset,
                       int64_t limit, std::vector<Item>* out);
bool CollectLexRange(Env& env, const Handle& h, const LexRange& r, bool reverse, int64_t offset,
                     int64_t limit, std::vector<Item>* out);
// Ranks as ZRANGE takes them (negative from the end), clamped as Redis does.
bool CollectRankRange(Env& env, const Handle& h, int64_t start, int64_t end, bool reverse,
                      std::vector<Item>* out);

// A range of any type: ZRANGE's, ZCOUNT's and ZLEXCOUNT's, ZREMRANGEBY*'s.
enum class RangeType : uint8_t {
  kAuto,  // ZRANGE and ZRANGESTORE: chosen (with the direction) by options
  kRank,
  kScore,
  kLex,
};
struct Bounds {
  RangeType type = RangeType::kRank;
  int64_t start = 0, end = 0;  // kRank
  ScoreRange score;            // kScore
  LexRange lex;                // kLex
};
// <min> <max> as `type` reads them (kAuto as kRank). False after replying
// "not an integer", "min or max is not a float" or "min or max not valid
// string range item".
bool ParseBounds(Env& env, RangeType type, std::string_view min, std::string_view max, Bounds* b);
// The entries of `h` within `b`; offset and limit (as for
// CollectScoreRange) apply to score and lex ranges only.
bool CollectBounds(Env& env, const Handle& h, const Bounds& b, bool reverse, int64_t offset,
                   int64_t limit, std::vector<Item>* out);

// ---- replies ----
// Members, with scores: a flat array in RESP2, [member, score] pairs in RESP3.
void ReplyItems(Env& env, const std::vector<Item>& items, bool withscores);

// Replaces `dst` (any type; the caller holds its lock) by a sorted set of
// `items` (unique members), or deletes it when `items` is empty; replies
// the new cardinality. Used by the *STORE commands.
void StoreItems(Env& env, std::string_view dst, const std::vector<Item>& items);

// The commands, one per Redis command (cmd_zset*.cc).
void Zadd(Env& env, Argv argv);
void Zincrby(Env& env, Argv argv);
void Zrem(Env& env, Argv argv);
void Zcard(Env& env, Argv argv);
void Zscore(Env& env, Argv argv);
void Zmscore(Env& env, Argv argv);
void Zrank(Env& env, Argv argv);
void Zrevrank(Env& env, Argv argv);
void Zcount(Env& env, Argv argv);
void Zlexcount(Env& env, Argv argv);
void Zscan(Env& env, Argv argv);
void Zrandmember(Env& env, Argv argv);

void Zrange(Env& env, Argv argv);
void Zrangestore(Env& env, Argv argv);
void Zrangebyscore(Env& env, Argv argv);
void Zrevrangebyscore(Env& env, Argv argv);
void Zrangebylex(Env& env, Argv argv);
void Zrevrangebylex(Env& env, Argv argv);
void Zrevrange(Env& env, Argv argv);
void Zremrangebyrank(Env& env, Argv argv);
void Zremrangebyscore(Env& env, Argv argv);
void Zremrangebylex(Env& env, Argv argv);

void Zpopmin(Env& env, Argv argv);
void Zpopmax(Env& env, Argv argv);
void Zmpop(Env& env, Argv argv);
void Bzpopmin(Env& env, Argv argv);
void Bzpopmax(Env& env, Argv argv);
void Bzmpop(Env& env, Argv argv);

void Zunion(Env& env, Argv argv);
void Zinter(Env& env, Argv argv);
void Zdiff(Env& env, Argv argv);
void Zunionstore(Env& env, Argv argv);
void Zinterstore(Env& env, Argv argv);
void Zdiffstore(Env& env, Argv argv);
void Zintercard(Env& env, Argv argv);

}  // namespace shoal::storage::coll::zset
