#include "storage/coll_members.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/strutil.h"

namespace shoal::storage::coll {

namespace {

// HSCAN/SSCAN cursors. A cursor is (rank << kCursorIdBits) | id, where rank
// counts the members before the next one to return (>= 1) and id names an
// entry of a small process-wide table holding that next member. A hit
// resumes with one seek; a miss (entry evicted, server restarted, cursor
// from another node) skips `rank` members from the first one: slower, but
// the scan still returns every member present throughout (unless members
// before the position were deleted meanwhile, which shifts ranks).
constexpr int kCursorIdBits = 20;
constexpr uint64_t kCursorIdMask = (uint64_t{1} << kCursorIdBits) - 1;
constexpr uint64_t kCursorMaxRank = (uint64_t{1} << (63 - kCursorIdBits)) - 1;
constexpr size_t kCursorSlots = 4096;     // table entries kept, oldest dropped first
constexpr size_t kCursorMaxBytes = 1024;  // key + member above this are not kept
// Like Redis's listpack encodings: a small collection is returned whole by
// the first SCAN call, whatever COUNT says.
constexpr uint64_t kScanWholeUpTo = 128;

class CursorTable {
 public:
  uint64_t Issue(uint64_t rank, std::string_view key, std::string_view member) {
    std::lock_guard lock(mu_);
    uint64_t cursor =
        (std::min(rank, kCursorMaxRank) << kCursorIdBits) | (++next_id_ & kCursorIdMask);
    if (key.size() + member.size() > kCursorMaxBytes) return cursor;
    auto it = entries_.find(cursor);
    if (it != entries_.end()) {
      it->second = Entry{std::string(key), std::string(member)};
      return cursor;
    }
    if (entries_.size() >= kCursorSlots) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    entries_.emplace(cursor, Entry{std::string(key), std::string(member)});
    order_.push_back(cursor);
    return cursor;
  }

  std::optional<std::string> Find(uint64_t cursor, std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(cursor);
    if (it == entries_.end() || it->second.key != key) return std::nullopt;
    return it->second.member;
  }

 private:
  struct Entry {
    std::string key;
    std::string member;
  };
  std::mutex mu_;
  uint64_t next_id_ = 0;                         // guarded by mu_
  std::unordered_map<uint64_t, Entry> entries_;  // guarded by mu_
  std::deque<uint64_t> order_;                   // guarded by mu_, oldest first
};

CursorTable& Cursors() {
  static auto* table = new CursorTable();
  return *table;
}

// An unsigned 64-bit decimal, as Redis accepts cursors.
std::optional<uint64_t> ParseCursor(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// Random picks by seeking, O(log N) each and deterministic given the data
// and the seed. A random target is drawn after the members' common prefix,
// its bytes among those the first and last members use (digits for numeric
// ids, hex digits for hashes...), and the pick is the first member at or
// after it (wrapping). A member after a wide gap would be hit too often, so
// a landing is kept with probability min(1, (1/N) / P(landing there)),
// P computed exactly from the target distribution: close to uniform for
// common key shapes.
class Seeker {
 public:
  Seeker(Env& env, const Handle& h)
      : prefix_(SubPrefix(h, kTagMember)),
        cur_(env, prefix_, PrefixEnd(prefix_), false),
        back_(env, prefix_, PrefixEnd(prefix_), true),
        fair_share_(h.meta.count > 0 ? 1.0 / static_cast<double>(h.meta.count) : 1.0) {}

  // Learns the key shape from both ends; *empty when there are no members.
  // False after replying when the iterator failed.
  bool Init(Env& env, bool* empty) {
    *empty = true;
    std::vector<std::string> head, tail;
    for (; cur_.Valid() && head.size() < kShapeSample; cur_.Next()) head.emplace_back(member());
    if (!cur_.Ok(env)) return false;
    for (; back_.Valid() && tail.size() < kShapeSample; back_.Next()) {
      tail.emplace_back(back_.suffix(prefix_.size()));
    }
    if (!back_.Ok(env)) return false;
    if (head.empty() || tail.empty()) return true;
    *empty = false;
    const std::string& lo = head.front();
    const std::string& hi = tail.front();
    common_ = 0;
    while (common_ < lo.size() && common_ < hi.size() && lo[common_] == hi[common_]) ++common_;
    base_ = prefix_;
    base_.append(lo, 0, common_);
    last_ = hi.substr(common_);
    bool used[256] = {};
    for (const auto* list : {&head, &tail}) {
      for (const auto& m : *list) {
        for (size_t p = common_; p < m.size() && p < common_ + kTargetBytes; ++p) {
          used[static_cast<uint8_t>(m[p])] = true;
        }
      }
    }
    int first_lo = common_ < lo.size() ? static_cast<uint8_t>(lo[common_]) : 0;
    int first_hi = common_ < hi.size() ? static_cast<uint8_t>(hi[common_]) : 255;
    for (int b = 0; b < 256; ++b) {
      if (!used[b]) continue;
      alphabet_.push_back(static_cast<char>(b));
      if (b >= first_lo && b <= first_hi) first_.push_back(static_cast<char>(b));
    }
    return true;
  }

  // Positions on a random member for which `taken` is false, stepping
  // over at most `max_taken` taken ones; false if none was found.
  template <typename Taken>
  bool Pick(Rng& rng, const Taken& taken, size_t max_taken) {
    // When every attempt is turned down (a lopsided key space), one of the
    // landings is kept with odds inverse to their chance of being hit.
    std::vector<std::pair<std::string, double>> tried;
    bool kept = false;
    for (int attempt = 0; attempt < kMaxAttempts && !kept; ++attempt) {
      std::string target = RandomTarget(rng);
      if (!SeekWrapping(target)) return false;
      double p = std::max(LandingChance(), kMinChance);
      kept = p <= fair_share_ || Uniform(rng) * p < fair_share_;
      tried.emplace_back(std::move(target), p);
    }
    if (!kept) {
      double total = 0;
      for (const auto& t : tried) total += 1 / t.second;
      double x = Uniform(rng) * total;
      size_t i = 0;
      for (; i + 1 < tried.size() && x >= 1 / tried[i].second; ++i) x -= 1 / tried[i].second;
      if (!SeekWrapping(tried[i].first)) return false;
    }
    // Distinct picks: the next member not taken yet.
    for (size_t stepped = 0; taken(member()); ++stepped) {
      if (stepped == max_taken) return false;
      cur_.Next();
      if (!cur_.Valid()) cur_.Seek(prefix_);
      if (!cur_.Valid()) return false;
    }
    return true;
  }

  bool Valid() const { return cur_.Valid(); }
  std::string_view member() const { return cur_.suffix(prefix_.size()); }
  std::string_view value() const { return cur_.value(); }
  bool Ok(Env& env) { return cur_.Ok(env) && back_.Ok(env); }

 private:
  static constexpr size_t kShapeSample = 32;    // members read at each end
  static constexpr size_t kTargetBytes = 8;     // random bytes after the common prefix
  static constexpr int kMaxAttempts = 16;       // landings tried per pick
  static constexpr double kMinChance = 1e-300;  // rounding may give 0 or less

  // A uniform draw in [0, 1) from 53 random bits.
  static double Uniform(Rng& rng) { return static_cast<double>(rng.Next() >> 11) * 0x1.0p-53; }

  bool SeekWrapping(std::string_view target) {
    cur_.Seek(target);
    if (!cur_.Valid()) cur_.Seek(prefix_);
    return cur_.Valid();
  }

  std::string RandomTarget(Rng& rng) const {
    std::string target = base_;
    if (first_.empty()) return target;
    target.push_back(first_[rng.Below(first_.size())]);
    for (size_t i = 1; i < kTargetBytes; ++i) {
      target.push_back(alphabet_[rng.Below(alphabet_.size())]);
    }
    return target;
  }

  // P(target <= base_ + rest) under RandomTarget's distribution.
  double AtMost(std::string_view rest) const {
    if (first_.empty()) return 1.0;  // the target is base_ itself, <= every member
    double equal = 1.0;              // P(target matches rest so far)
    double below = 0.0;
    for (size_t i = 0; i < kTargetBytes; ++i) {
      if (i >= rest.size()) return below;  // rest is a proper prefix: smaller
      const std::string& bytes = i == 0 ? first_ : alphabet_;
      auto c = static_cast<uint8_t>(rest[i]);
      size_t less = 0;
      bool in = false;
      for (char b : bytes) {
        less += static_cast<uint8_t>(b) < c;
        in |= static_cast<uint8_t>(b) == c;
      }
      double n = static_cast<double>(bytes.size());
      below += equal * static_cast<double>(less) / n;
      if (!in) return below;
      equal /= n;
    }
    return below + equal;  // the target is rest or a prefix of it
  }

  // P(a random target lands on the member cur_ is at).
  double LandingChance() {
    std::string_view m = member().substr(common_);
    back_.Seek(cur_.key());
    if (back_.Valid() && back_.key() == cur_.key()) back_.Next();
    if (!back_.Valid()) {
      // The first member: targets up to it, and those past the last member.
      return AtMost(m) + (1.0 - AtMost(last_));
    }
    return AtMost(m) - AtMost(back_.suffix(prefix_.size()).substr(common_));
  }

  std::string prefix_;
  Cursor cur_;
  Cursor back_;  // reverse: finds the member before a landing
  double fair_share_;
  size_t common_ = 0;
  std::string base_;      // prefix_ + the members' common prefix
  std::string last_;      // the last member, after the common prefix
  std::string alphabet_;  // bytes the sampled members use after it
  std::string first_;     // those between the first and last member's
};

// Below this many members a random pick loads them all (exactly uniform).
constexpr uint64_t kSampleLoadAllUpTo = 512;

}  // namespace

bool AllMembers(Env& env, const Handle& h, bool with_values, std::vector<SampledMember>* out) {
  std::string prefix = SubPrefix(h, kTagMember);
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  out->reserve(out->size() + h.meta.count);
  for (; c.Valid(); c.Next()) {
    out->push_back(SampledMember{std::string(c.suffix(prefix.size())),
                                 with_values ? std::string(c.value()) : std::string()});
  }
  return c.Ok(env);
}

bool SampleHashOrSet(Env& env, const Handle& h, uint64_t n, bool distinct, bool with_values,
                     Rng& rng, std::vector<SampledMember>* out) {
  uint64_t size = h.meta.count;
  if (size == 0 || n == 0) return true;
  // Small collections, and distinct picks of a large share (the Redis
  // strategy: random seeks would mostly hit taken members), load everything.
  if (size <= kSampleLoadAllUpTo || (distinct && n * 3 > size)) {
    std::vector<SampledMember> all;
    if (!AllMembers(env, h, with_values, &all)) return false;
    if (all.empty()) return true;
    if (distinct) {
      n = std::min<uint64_t>(n, all.size());
      for (uint64_t i = 0; i < n; ++i) {
        std::swap(all[i], all[i + rng.Below(all.size() - i)]);
        out->push_back(std::move(all[i]));
      }
    } else {
      for (uint64_t i = 0; i < n; ++i) out->push_back(all[rng.Below(all.size())]);
    }
    return true;
  }
  Seeker s(env, h);
  bool empty = false;
  if (!s.Init(env, &empty)) return false;
  if (empty) return true;
  std::unordered_set<std::string> taken;
  auto is_taken = [&](std::string_view m) { return distinct && taken.count(std::string(m)) > 0; };
  for (uint64_t i = 0; i < n; ++i) {
    if (!s.Pick(rng, is_taken, taken.size())) break;
    out->push_back(SampledMember{std::string(s.member()),
                                 with_values ? std::string(s.value()) : std::string()});
    if (distinct) taken.insert(out->back().member);
  }
  return s.Ok(env);
}

namespace {

// One HSCAN / SSCAN call: members (with values for a hash) from the cursor.
void ScanMembers(Env& env, Argv argv, const Handle& h, const ScanArgs& args) {
  std::string prefix = SubPrefix(h, kTagMember);
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  uint64_t rank = args.cursor >> kCursorIdBits;
  uint64_t limit = static_cast<uint64_t>(args.count);
  if (args.cursor == 0) {
    if (h.meta.count <= kScanWholeUpTo) limit = std::numeric_limits<uint64_t>::max();
  } else if (auto member = Cursors().Find(args.cursor, argv[1])) {
    c.Seek(prefix + *member);
  } else {
    for (uint64_t i = 0; i < rank && c.Valid(); ++i) c.Next();
  }
  const bool with_values = h.type == ValueType::kHash;
  std::vector<std::string> items;
  uint64_t visited = 0;
  for (; c.Valid() && visited < limit; c.Next(), ++visited) {
    std::string_view member = c.suffix(prefix.size());
    if (args.pattern && !GlobMatch(*args.pattern, member)) continue;
    items.emplace_back(member);
    if (with_values) items.emplace_back(c.value());
  }
  if (!c.Ok(env)) return;
  uint64_t next = c.Valid() ? Cursors().Issue(rank + visited, argv[1], c.suffix(prefix.size())) : 0;
  env.out.ArrayHeader(2);
  env.out.Bulk(std::to_string(next));
  env.out.BulkArray(items);
}

}  // namespace

void ScanKey(Env& env, Argv argv, ValueType type, ScanFn scan) {
  ScanArgs args;
  auto cursor = ParseCursor(argv[2]);
  if (!cursor) return env.out.Error("ERR invalid cursor");
  args.cursor = *cursor;
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], type, &h)) return;
  if (!h.live) {
    env.out.ArrayHeader(2);
    env.out.Bulk("0");
    env.out.ArrayHeader(0);
    return;
  }
  for (size_t i = 3; i < argv.size(); i += 2) {
    if (i + 1 >= argv.size()) return env.out.Error(errors::kSyntax);
    if (Is(argv[i], "COUNT")) {
      auto n = Int(env, argv[i + 1]);
      if (!n) return;
      if (*n < 1) return env.out.Error(errors::kSyntax);
      args.count = *n;
    } else if (Is(argv[i], "MATCH")) {
      args.pattern = argv[i + 1];
      if (*args.pattern == "*") args.pattern.reset();
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  scan(env, argv, h, args);
}

void ScanHashOrSet(Env& env, Argv argv, ValueType type) { ScanKey(env, argv, type, ScanMembers); }

Keyspace::Lock LockKeys(Env& env, Argv keys) {
  std::vector<KeyRef> refs;
  refs.reserve(keys.size());
  for (auto key : keys) refs.push_back(Keyspace::Ref(key));
  return env.ks.LockKeys(refs);
}

void WrongArity(Env& env, std::string_view name) {
  env.out.Error("ERR wrong number of arguments for '" + ToLower(name) + "' command");
}

void ReplyCount(Env& env, Argv argv, ValueType type) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], type, &h)) return;
  env.out.Integer(h.live ? static_cast<int64_t>(h.meta.count) : 0);
}

void RemoveMembers(Env& env, Argv argv, ValueType type) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], type, &h)) return;
  if (!h.live) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  std::unordered_set<std::string_view> seen;
  int64_t removed = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (!seen.insert(argv[i]).second) continue;
    std::string sk = SubKey(h, kTagMember, argv[i]);
    std::optional<std::string> old;
    if (!GetSub(env, sk, &old)) return;
    if (!old) continue;
    txn.DeleteSub(std::move(sk));
    ++removed;
  }
  if (removed > 0) {
    h.meta.count -= std::min<uint64_t>(h.meta.count, static_cast<uint64_t>(removed));
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.Integer(removed);
}

bool ParseMpopArgs(Env& env, Argv argv, size_t numkeys_at, std::string_view first_end,
                   std::string_view second_end, MpopArgs* out) {
  auto numkeys = RangeInt(env, argv[numkeys_at], 1, std::numeric_limits<int64_t>::max(),
                          "ERR numkeys should be greater than 0");
  if (!numkeys) return false;
  const size_t first_key = numkeys_at + 1;
  if (static_cast<uint64_t>(*numkeys) >= argv.size() - first_key) {
    env.out.Error(errors::kSyntax);
    return false;
  }
  const size_t end_at = first_key + static_cast<size_t>(*numkeys);
  if (Is(argv[end_at], first_end)) {
    out->second_end = false;
  } else if (Is(argv[end_at], second_end)) {
    out->second_end = true;
  } else {
    env.out.Error(errors::kSyntax);
    return false;
  }
  int64_t count = -1;
  for (size_t i = end_at + 1; i < argv.size(); ++i) {
    if (count == -1 && Is(argv[i], "count") && i + 1 < argv.size()) {
      auto c = RangeInt(env, argv[++i], 1, std::numeric_limits<int64_t>::max(),
                        "ERR count should be greater than 0");
      if (!c) return false;
      count = *c;
    } else {
      env.out.Error(errors::kSyntax);
      return false;
    }
  }
  out->count = count == -1 ? 1 : count;
  out->keys = argv.subspan(first_key, static_cast<size_t>(*numkeys));
  return true;
}

std::optional<int64_t> RangeInt(Env& env, std::string_view s, int64_t min, int64_t max,
                                const char* msg) {
  auto v = ParseInt64(s);
  if (!v) {
    env.out.Error(msg ? msg : errors::kNotInteger);
    return std::nullopt;
  }
  if (*v < min || *v > max) {
    if (msg) {
      env.out.Error(msg);
    } else {
      env.out.Error("ERR value is out of range, value must between " + std::to_string(min) +
                    " and " + std::to_string(max));
    }
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> PositiveInt(Env& env, std::string_view s) {
  auto v = Int(env, s);
  if (v && *v < 0) {
    env.out.Error("ERR value is out of range, must be positive");
    return std::nullopt;
  }
  return v;
}

// As Redis takes it: LONG_MIN is refused (its absolute value overflows).
std::optional<int64_t> RandomCountArg(Env& env, std::string_view arg) {
  auto n = Int(env, arg);
  if (n && *n == std::numeric_limits<int64_t>::min()) {
    env.out.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
    return std::nullopt;
  }
  return n;
}

namespace {

// Negative counts may repeat members: a reply this long is refused rather
// than built in memory.
constexpr uint64_t kMaxRandomPicks = uint64_t{1} << 24;
// Repeated picks beyond 1/kSeekPicksPerMember of the members: one pass over
// them all is cheaper than a seek per pick.
constexpr uint64_t kSeekPicksPerMember = 16;

// HRANDFIELD/SRANDMEMBER with a count, on a live key: distinct members for
// a positive count, |count| picks that may repeat for a negative one.
void ReplyRandomMembers(Env& env, const Handle& h, int64_t count, bool with_values) {
  const bool distinct = count > 0;
  const uint64_t n = distinct ? static_cast<uint64_t>(count) : 0 - static_cast<uint64_t>(count);
  Rng rng(env.seed);
  std::vector<SampledMember> pool;
  bool draw_from_pool = false;  // picks drawn from all members while replying
  if (!distinct || n == 1) {
    if (n > kMaxRandomPicks) return env.out.Error("ERR value is out of range");
    draw_from_pool = h.meta.count <= kSampleLoadAllUpTo || n > h.meta.count / kSeekPicksPerMember;
    if (draw_from_pool) {
      if (!AllMembers(env, h, with_values, &pool)) return;
    } else if (!SampleHashOrSet(env, h, n, false, with_values, rng, &pool)) {
      return;
    }
  } else if (n >= h.meta.count) {
    if (!AllMembers(env, h, with_values, &pool)) return;
  } else if (!SampleHashOrSet(env, h, n, true, with_values, rng, &pool)) {
    return;
  }
  const uint64_t total = draw_from_pool ? (pool.empty() ? 0 : n) : pool.size();
  // RESP3 nests [field, value] pairs; RESP2 flattens them.
  const bool pairs = with_values && env.out.resp3();
  auto items = static_cast<int64_t>(total);
  env.out.ArrayHeader(with_values && !pairs ? 2 * items : items);
  for (uint64_t i = 0; i < total; ++i) {
    const SampledMember& m = draw_from_pool ? pool[rng.Below(pool.size())] : pool[i];
    if (pairs) env.out.ArrayHeader(2);
    env.out.Bulk(m.member);
    if (with_values) env.out.Bulk(m.value);
  }
}

}  // namespace

void RandomMembers(Env& env, std::string_view key, ValueType type, std::optional<int64_t> count,
                   bool with_values) {
  Locked l(env, key);
  Handle h;
  if (!Open(env, key, type, &h)) return;
  if (!count) {
    if (!h.live) return env.out.Null();
    Rng rng(env.seed);
    std::vector<SampledMember> picked;
    if (!SampleHashOrSet(env, h, 1, false, false, rng, &picked)) return;
    if (picked.empty()) return env.out.Null();
    return env.out.Bulk(picked[0].member);
  }
  if (!h.live || *count == 0) return env.out.ArrayHeader(0);
  ReplyRandomMembers(env, h, *count, with_values);
}

// A blocking command's timeout in seconds, checked as Redis checks it; the
// server does the waiting, so the value itself is not needed here.
bool BlockingTimeoutOk(Env& env, std::string_view s) {
  auto v = ParseLongDouble(s);
  if (!v) {
    env.out.Error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = std::ceil(*v * 1000.0L);
  if (ms > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    env.out.Error("ERR timeout is out of range");
    return false;
  }
  // ceil(-0.0001 s in ms) is -0: Redis takes that as 0 (wait forever).
  if (ms < 0) {
    env.out.Error("ERR timeout is negative");
    return false;
  }
  const auto tval = static_cast<int64_t>(ms);
  if (tval > 0 && tval > std::numeric_limits<int64_t>::max() - env.now_ms) {
    env.out.Error("ERR timeout is out of range");
    return false;
  }
  return true;
}

}  // namespace shoal::storage::coll
