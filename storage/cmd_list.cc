// List commands (Redis 7 semantics) over the collection encoding: element
// at position p is SubKey(h, kTagElem, U64Bytes(p)), positions run from
// meta.head to meta.head + count - 1. A new list starts in the middle of
// the position space so both ends grow without renumbering; LPUSH takes
// head - 1, RPUSH head + count. Point commands (LINDEX, LSET, pops) touch
// only the positions they need; LINSERT and LREM renumber the shorter side.
//
// The blocking commands make one non-blocking attempt; when every key is
// empty they set env.would_block and the server does the waiting.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/strutil.h"
#include "storage/coll.h"
#include "storage/coll_members.h"

namespace shoal::storage::coll {
namespace {

// The head of a new list: the middle of the position space.
constexpr uint64_t kInitialHead = uint64_t{1} << 63;

std::string ElemKey(const Handle& h, uint64_t pos) { return SubKey(h, kTagElem, U64Bytes(pos)); }

// A list whose metadata promises elements the store does not have.
void ReplyMissing(Env& env) { env.out.Error("ERR storage error: list element missing"); }

// Makes `h` a new empty list.
void CreateList(Env& env, Handle* h) {
  Create(env, h, ValueType::kList);
  h->meta.head = kInitialHead;
}

// Calls fn(pos, value) for the elements at positions [first, last] of `h`
// (inclusive), ascending or, with `reverse`, descending; fn returns false
// to stop. False after replying when the store failed.
template <typename Fn>
bool Walk(Env& env, const Handle& h, uint64_t first, uint64_t last, bool reverse, Fn&& fn) {
  const size_t prefix_len = SubPrefix(h, kTagElem).size();
  Cursor c(env, ElemKey(h, first), ElemKey(h, last + 1), reverse);
  c.Seek(ElemKey(h, reverse ? last : first));
  for (; c.Valid(); c.Next()) {
    if (!fn(BytesU64(c.suffix(prefix_len)), c.value())) break;
  }
  return c.Ok(env);
}

// Reads the elements at indexes [from, to] (0-based, inclusive, within the
// list) in order, or reversed.
bool ReadRange(Env& env, const Handle& h, uint64_t from, uint64_t to, bool reverse,
               std::vector<std::string>* out) {
  const uint64_t want = to - from + 1;
  out->reserve(out->size() + want);
  const size_t before = out->size();
  if (!Walk(env, h, h.meta.head + from, h.meta.head + to, reverse,
            [&](uint64_t, std::string_view v) {
              out->emplace_back(v);
              return true;
            })) {
    return false;
  }
  if (out->size() - before != want) {
    ReplyMissing(env);
    return false;
  }
  return true;
}

// Removes up to `n` elements from the left or right end of the live list
// `h` into `out`, in pop order; updates h->meta (the caller saves it).
bool PopN(Env& env, WriteTxn& txn, Handle* h, bool left, uint64_t n,
          std::vector<std::string>* out) {
  n = std::min(n, h->meta.count);
  if (n == 0) return true;
  const uint64_t from = left ? 0 : h->meta.count - n;
  if (!ReadRange(env, *h, from, from + n - 1, !left, out)) return false;
  // An emptied list drops its version with the metadata: no deletes needed.
  if (n < h->meta.count) {
    for (uint64_t i = from; i < from + n; ++i) txn.DeleteSub(ElemKey(*h, h->meta.head + i));
  }
  if (left) h->meta.head += n;
  h->meta.count -= n;
  return true;
}

void PushOne(WriteTxn& txn, Handle* h, bool left, std::string_view value) {
  uint64_t pos;
  if (left) {
    pos = --h->meta.head;
  } else {
    pos = h->meta.head + h->meta.count;
  }
  ++h->meta.count;
  txn.PutSub(ElemKey(*h, pos), std::string(value));
}

// LEFT or RIGHT; replies a syntax error otherwise.
bool ParseWhere(Env& env, std::string_view arg, bool* left) {
  if (Is(arg, "left")) {
    *left = true;
  } else if (Is(arg, "right")) {
    *left = false;
  } else {
    env.out.Error(errors::kSyntax);
    return false;
  }
  return true;
}

// Normalises Redis's [start, stop] (negative = from the end) over a list of
// `len`; false when the range is empty.
bool NormalizeRange(int64_t len, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += len;
  if (*stop < 0) *stop += len;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= len) return false;
  if (*stop >= len) *stop = len - 1;
  return true;
}

// ---- pushes ----

void PushGeneric(Env& env, Argv argv, bool left, bool only_existing) {
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!Open(env, key, ValueType::kList, &h)) return;
  if (!h.live) {
    if (only_existing) return env.out.Integer(0);
    CreateList(env, &h);
  }
  WriteTxn txn(&env.ks);
  for (size_t i = 2; i < argv.size(); ++i) PushOne(txn, &h, left, argv[i]);
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.NoteReady(key);
  env.out.Integer(static_cast<int64_t>(h.meta.count));
}

void Lpush(Env& env, Argv argv) { PushGeneric(env, argv, true, false); }
void Rpush(Env& env, Argv argv) { PushGeneric(env, argv, false, false); }
void Lpushx(Env& env, Argv argv) { PushGeneric(env, argv, true, true); }
void Rpushx(Env& env, Argv argv) { PushGeneric(env, argv, false, true); }

// ---- pops ----

void PopGeneric(Env& env, Argv argv, bool left) {
  if (argv.size() > 3) return WrongArity(env, argv[0]);
  const bool has_count = argv.size() == 3;
  int64_t count = 1;
  if (has_count) {
    auto c = RangeInt(env, argv[2], 0, std::numeric_limits<int64_t>::max(),
                      "ERR value is out of range, must be positive");
    if (!c) return;
    count = *c;
  }
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!Open(env, key, ValueType::kList, &h)) return;
  if (!h.live) return has_count ? env.out.NullArray() : env.out.Null();
  if (count == 0) return env.out.ArrayHeader(0);
  WriteTxn txn(&env.ks);
  std::vector<std::string> popped;
  if (!PopN(env, txn, &h, left, static_cast<uint64_t>(count), &popped)) return;
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  if (has_count) return env.out.BulkArray(popped);
  env.out.Bulk(popped.front());
}

void Lpop(Env& env, Argv argv) { PopGeneric(env, argv, true); }
void Rpop(Env& env, Argv argv) { PopGeneric(env, argv, false); }

// Pops from the first non-empty list of `keys` (a WRONGTYPE key met before
// it is an error). Replies [key, element] (`count` < 0: BLPOP's form) or
// [key, [elements]]; when all are empty replies a null array and sets
// would_block if `blocking`.
void MultiPop(Env& env, Argv keys, bool left, int64_t count, bool blocking) {
  auto lock = LockKeys(env, keys);
  for (auto key : keys) {
    Handle h;
    if (!Open(env, key, ValueType::kList, &h)) return;
    if (!h.live || h.meta.count == 0) continue;
    WriteTxn txn(&env.ks);
    std::vector<std::string> popped;
    const uint64_t n = count < 0 ? 1 : static_cast<uint64_t>(count);
    if (!PopN(env, txn, &h, left, n, &popped)) return;
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
    env.out.ArrayHeader(2);
    env.out.Bulk(key);
    if (count < 0) return env.out.Bulk(popped.front());
    return env.out.BulkArray(popped);
  }
  if (blocking) env.would_block = true;
  env.out.NullArray();
}

// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
void Lmpop(Env& env, Argv argv) {
  MpopArgs a;
  if (!ParseMpopArgs(env, argv, 1, "left", "right", &a)) return;
  MultiPop(env, a.keys, !a.second_end, a.count, false);
}

// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
void Blmpop(Env& env, Argv argv) {
  MpopArgs a;
  if (!ParseMpopArgs(env, argv, 2, "left", "right", &a)) return;
  if (!BlockingTimeoutOk(env, argv[1])) return;
  MultiPop(env, a.keys, !a.second_end, a.count, true);
}

void BpopGeneric(Env& env, Argv argv, bool left) {
  if (!BlockingTimeoutOk(env, argv.back())) return;
  MultiPop(env, argv.subspan(1, argv.size() - 2), left, -1, true);
}

void Blpop(Env& env, Argv argv) { BpopGeneric(env, argv, true); }
void Brpop(Env& env, Argv argv) { BpopGeneric(env, argv, false); }

// ---- moves ----

// Pops from one end of `src` and pushes to one end of `dst`, replying the
// element; a missing `src` replies a null (and blocks if `blocking`).
void MoveGeneric(Env& env, std::string_view src, std::string_view dst, bool from_left, bool to_left,
                 bool blocking) {
  const KeyRef refs[2] = {Keyspace::Ref(src), Keyspace::Ref(dst)};
  auto lock = env.ks.LockKeys(refs);
  Handle s;
  if (!Open(env, src, ValueType::kList, &s)) return;
  if (!s.live || s.meta.count == 0) {
    if (blocking) env.would_block = true;
    return env.out.Null();
  }
  const bool same = src == dst;
  Handle d_own;
  if (!same && !Open(env, dst, ValueType::kList, &d_own)) return;
  Handle& d = same ? s : d_own;

  const uint64_t from_pos = from_left ? s.meta.head : s.meta.head + s.meta.count - 1;
  std::optional<std::string> value;
  if (!GetSub(env, ElemKey(s, from_pos), &value)) return;
  if (!value) return ReplyMissing(env);

  WriteTxn txn(&env.ks);
  // Popping and pushing the same end of one list leaves it as it was; the
  // write still counts as a modification (WATCH), as in Redis.
  if (!(same && from_left == to_left)) {
    // Rotations never reuse from_pos: the push goes to the other end.
    txn.DeleteSub(ElemKey(s, from_pos));
    if (from_left) ++s.meta.head;
    --s.meta.count;
    if (!d.live) CreateList(env, &d);
    PushOne(txn, &d, to_left, *value);
  }
  if (!same) SaveMeta(env, txn, &s);
  SaveMeta(env, txn, &d);
  if (!env.Commit(txn)) return;
  env.NoteReady(dst);
  env.out.Bulk(*value);
}

void Lmove(Env& env, Argv argv) {
  bool from_left = true, to_left = true;
  if (!ParseWhere(env, argv[3], &from_left) || !ParseWhere(env, argv[4], &to_left)) return;
  MoveGeneric(env, argv[1], argv[2], from_left, to_left, false);
}

void Rpoplpush(Env& env, Argv argv) { MoveGeneric(env, argv[1], argv[2], false, true, false); }

void Blmove(Env& env, Argv argv) {
  bool from_left = true, to_left = true;
  if (!ParseWhere(env, argv[3], &from_left) || !ParseWhere(env, argv[4], &to_left)) return;
  if (!BlockingTimeoutOk(env, argv[5])) return;
  MoveGeneric(env, argv[1], argv[2], from_left, to_left, true);
}

void Brpoplpush(Env& env, Argv argv) {
  if (!BlockingTimeoutOk(env, argv[3])) return;
  MoveGeneric(env, argv[1], argv[2], false, true, true);
}

// ---- reads ----

void Llen(Env& env, Argv argv) { ReplyCount(env, argv, ValueType::kList); }

// LRANGE's and LTRIM's start and stop (argv[2], argv[3]), as given. False
// after replying.
bool StartStopArgs(Env& env, Argv argv, int64_t* start, int64_t* stop) {
  auto a = Int(env, argv[2]);
  if (!a) return false;
  auto b = Int(env, argv[3]);
  if (!b) return false;
  *start = *a;
  *stop = *b;
  return true;
}

void Lrange(Env& env, Argv argv) {
  int64_t from = 0, to = 0;
  if (!StartStopArgs(env, argv, &from, &to)) return;
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kList, &h)) return;
  if (!h.live || !NormalizeRange(static_cast<int64_t>(h.meta.count), &from, &to)) {
    return env.out.ArrayHeader(0);
  }
  std::vector<std::string> items;
  if (!ReadRange(env, h, static_cast<uint64_t>(from), static_cast<uint64_t>(to), false, &items)) {
    return;
  }
  env.out.BulkArray(items);
}

// The position of Redis index `index` (negative = from the end), or
// nullopt when it is outside the list.
std::optional<uint64_t> IndexPos(const Handle& h, int64_t index) {
  const auto len = static_cast<int64_t>(h.meta.count);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return std::nullopt;
  return h.meta.head + static_cast<uint64_t>(index);
}

void Lindex(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kList, &h)) return;
  if (!h.live) return env.out.Null();
  auto index = Int(env, argv[2]);
  if (!index) return;
  auto pos = IndexPos(h, *index);
  if (!pos) return env.out.Null();
  std::optional<std::string> value;
  if (!GetSub(env, ElemKey(h, *pos), &value)) return;
  if (!value) return ReplyMissing(env);
  env.out.Bulk(*value);
}

void Lpos(Env& env, Argv argv) {
  std::string_view element = argv[2];
  int64_t rank = 1, count = -1, maxlen = 0;  // count -1: no COUNT option
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (size_t i = 3; i < argv.size(); ++i) {
    const bool more = i + 1 < argv.size();
    if (Is(argv[i], "rank") && more) {
      auto v = RangeInt(env, argv[++i], -kMax, kMax, nullptr);
      if (!v) return;
      if (*v == 0) {
        return env.out.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
      }
      rank = *v;
    } else if (Is(argv[i], "count") && more) {
      auto v = RangeInt(env, argv[++i], 0, kMax, "ERR COUNT can't be negative");
      if (!v) return;
      count = *v;
    } else if (Is(argv[i], "maxlen") && more) {
      auto v = RangeInt(env, argv[++i], 0, kMax, "ERR MAXLEN can't be negative");
      if (!v) return;
      maxlen = *v;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  const bool reverse = rank < 0;
  if (reverse) rank = -rank;

  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kList, &h)) return;
  if (!h.live || h.meta.count == 0) {
    return count != -1 ? env.out.ArrayHeader(0) : env.out.Null();
  }
  std::vector<int64_t> found;
  int64_t matches = 0, scanned = 0;
  const uint64_t head = h.meta.head;
  if (!Walk(env, h, head, head + h.meta.count - 1, reverse, [&](uint64_t pos, std::string_view v) {
        if (maxlen != 0 && scanned >= maxlen) return false;
        ++scanned;
        if (v != element) return true;
        if (++matches < rank) return true;
        found.push_back(static_cast<int64_t>(pos - head));
        // Without COUNT one match answers; COUNT 0 means all.
        if (count == -1) return false;
        return count == 0 || static_cast<int64_t>(found.size()) < count;
      })) {
    return;
  }
  if (count != -1) {
    env.out.ArrayHeader(static_cast<int64_t>(found.size()));
    for (int64_t i : found) env.out.Integer(i);
    return;
  }
  if (found.empty()) return env.out.Null();
  env.out.Integer(found.front());
}

// ---- in-place changes ----

void Lset(Env& env, Argv argv) {
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kList, &h)) return;
  if (!h.live) return env.out.Error(errors::kNoSuchKey);
  auto index = Int(env, argv[2]);
  if (!index) return;
  auto pos = IndexPos(h, *index);
  if (!pos) return env.out.Error("ERR index out of range");
  WriteTxn txn(&env.ks);
  txn.PutSub(ElemKey(h, *pos), std::string(argv[3]));
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.out.Ok();
}

void Linsert(Env& env, Argv argv) {
  bool before = false;
  if (Is(argv[2], "before")) {
    before = true;
  } else if (!Is(argv[2], "after")) {
    return env.out.Error(errors::kSyntax);
  }
  std::string_view key = argv[1], pivot = argv[3], element = argv[4];
  Locked l(env, key);
  Handle h;
  if (!Open(env, key, ValueType::kList, &h)) return;
  if (!h.live || h.meta.count == 0) return env.out.Integer(0);
  const uint64_t head = h.meta.head, len = h.meta.count;
  std::optional<uint64_t> pivot_index;
  if (!Walk(env, h, head, head + len - 1, false, [&](uint64_t pos, std::string_view v) {
        if (v != pivot) return true;
        pivot_index = pos - head;
        return false;
      })) {
    return;
  }
  if (!pivot_index) return env.out.Integer(-1);

  // The new element takes index `at`; the shorter side moves by one.
  const uint64_t at = before ? *pivot_index : *pivot_index + 1;
  WriteTxn txn(&env.ks);
  bool ok;
  if (at < len - at) {
    ok = at == 0 || Walk(env, h, head, head + at - 1, false, [&](uint64_t pos, std::string_view v) {
           txn.PutSub(ElemKey(h, pos - 1), std::string(v));
           return true;
         });
    h.meta.head = head - 1;
    txn.PutSub(ElemKey(h, head + at - 1), std::string(element));
  } else {
    ok = at == len ||
         Walk(env, h, head + at, head + len - 1, false, [&](uint64_t pos, std::string_view v) {
           txn.PutSub(ElemKey(h, pos + 1), std::string(v));
           return true;
         });
    txn.PutSub(ElemKey(h, head + at), std::string(element));
  }
  if (!ok) return;
  ++h.meta.count;
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.NoteReady(key);
  env.out.Integer(static_cast<int64_t>(h.meta.count));
}

void Lrem(Env& env, Argv argv) {
  auto limit = Int(env, argv[2]);
  if (!limit) return;
  std::string_view key = argv[1], element = argv[3];
  Locked l(env, key);
  Handle h;
  if (!Open(env, key, ValueType::kList, &h)) return;
  if (!h.live || h.meta.count == 0) return env.out.Integer(0);
  const uint64_t head = h.meta.head, len = h.meta.count;
  const bool from_tail = *limit < 0;
  // |limit| without overflowing on INT64_MIN; 0 removes every match.
  const uint64_t want =
      from_tail ? uint64_t{0} - static_cast<uint64_t>(*limit) : static_cast<uint64_t>(*limit);
  std::vector<uint64_t> gone;  // indexes of the removed elements
  if (!Walk(env, h, head, head + len - 1, from_tail, [&](uint64_t pos, std::string_view v) {
        if (v == element) gone.push_back(pos - head);
        return want == 0 || gone.size() < want;
      })) {
    return;
  }
  if (gone.empty()) return env.out.Integer(0);
  if (from_tail) std::reverse(gone.begin(), gone.end());
  const uint64_t n = gone.size(), first = gone.front(), last = gone.back();

  WriteTxn txn(&env.ks);
  bool ok = true;
  if (n < len) {
    // Close the gaps by moving the side with fewer survivors to move:
    // the elements after `first` towards the head, or those before `last`
    // towards the tail.
    if (len - first - n <= last + 1 - n) {
      uint64_t w = first;
      size_t j = 0;
      ok = Walk(env, h, head + first, head + len - 1, false, [&](uint64_t pos, std::string_view v) {
        if (j < gone.size() && gone[j] == pos - head) {
          ++j;
        } else {
          txn.PutSub(ElemKey(h, head + w++), std::string(v));
        }
        return true;
      });
      for (uint64_t i = len - n; i < len; ++i) txn.DeleteSub(ElemKey(h, head + i));
    } else {
      uint64_t w = last;
      size_t j = gone.size();
      ok = Walk(env, h, head, head + last, true, [&](uint64_t pos, std::string_view v) {
        if (j > 0 && gone[j - 1] == pos - head) {
          --j;
        } else {
          txn.PutSub(ElemKey(h, head + w--), std::string(v));
        }
        return true;
      });
      for (uint64_t i = 0; i < n; ++i) txn.DeleteSub(ElemKey(h, head + i));
      h.meta.head = head + n;
    }
  }
  if (!ok) return;
  h.meta.count = len - n;
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.out.Integer(static_cast<int64_t>(n));
}

void Ltrim(Env& env, Argv argv) {
  int64_t from = 0, to = 0;
  if (!StartStopArgs(env, argv, &from, &to)) return;
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kList, &h)) return;
  if (!h.live) return env.out.Ok();
  const uint64_t head = h.meta.head, len = h.meta.count;
  uint64_t keep_from = 0, keep_count = 0;
  if (NormalizeRange(static_cast<int64_t>(len), &from, &to)) {
    keep_from = static_cast<uint64_t>(from);
    keep_count = static_cast<uint64_t>(to - from + 1);
  }
  WriteTxn txn(&env.ks);
  // Only the trimmed ends are deleted; an emptied list goes with its
  // metadata.
  if (keep_count > 0) {
    for (uint64_t i = 0; i < keep_from; ++i) txn.DeleteSub(ElemKey(h, head + i));
    for (uint64_t i = keep_from + keep_count; i < len; ++i) txn.DeleteSub(ElemKey(h, head + i));
    h.meta.head = head + keep_from;
  }
  h.meta.count = keep_count;
  SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.out.Ok();
}

constexpr CmdImpl kImpls[] = {
    {"lpush", Lpush},         {"rpush", Rpush},     {"lpushx", Lpushx},
    {"rpushx", Rpushx},       {"lpop", Lpop},       {"rpop", Rpop},
    {"llen", Llen},           {"lrange", Lrange},   {"lindex", Lindex},
    {"lset", Lset},           {"linsert", Linsert}, {"lrem", Lrem},
    {"ltrim", Ltrim},         {"lpos", Lpos},       {"lmove", Lmove},
    {"rpoplpush", Rpoplpush}, {"lmpop", Lmpop},     {"blpop", Blpop},
    {"brpop", Brpop},         {"blmove", Blmove},   {"brpoplpush", Brpoplpush},
    {"blmpop", Blmpop},
};

}  // namespace

std::span<const CmdImpl> ListImpls() { return kImpls; }

}  // namespace shoal::storage::coll
