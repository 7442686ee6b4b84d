// Stream commands without consumer groups (Redis 7 semantics): XADD, XLEN,
// XRANGE, XREVRANGE, XDEL, XTRIM, XREAD, XSETID, and XINFO, which also
// reports the groups, consumers and PELs that storage/cmd_stream_group.cc
// writes. Record layouts: storage/stream.h.
//
// Trimming with "~" trims exactly (Redis may keep more: it only drops whole
// nodes of its radix tree); LIMIT still caps how many entries go. As in
// Redis, trimming does not move the max deleted ID; only XDEL does.
//
// XREAD with BLOCK makes one attempt: when no stream has anything newer it
// sets env.would_block with the IDs it used ("$" resolved) and changes
// nothing; the server waits and retries (server/connection_blocking.cc).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strutil.h"
#include "storage/coll.h"
#include "storage/coll_members.h"
#include "storage/stream.h"
#include "storage/stream_util.h"

namespace shoal::storage::stream {
namespace {

using coll::Cursor;
using coll::Is;
using coll::Locked;
using coll::PrefixEnd;
using coll::SubKey;
using coll::SubPrefix;
using coll::WrongArity;

// Entries a "~" trim removes at most without LIMIT (Redis: 100 times
// stream-node-max-entries, capped at 10000).
constexpr int64_t kApproxTrimLimit = 10000;

// An ID as XDEL, XSETID, XREAD and MINID take it: "ms" or "ms-seq", not
// "-" / "+". Replies the error otherwise.
bool StrictId(Env& env, std::string_view s, StreamId* id) {
  auto v = ParseId(s, 0, /*allow_specials=*/false);
  if (!v) {
    env.out.Error(kInvalidId);
    return false;
  }
  *id = *v;
  return true;
}

void ReplyId(Env& env, StreamId id) { env.out.Bulk(id.ToString()); }

// ---- trimming ----

enum class TrimStrategy : uint8_t { kNone, kMaxLen, kMinId };

// The options of XADD and XTRIM, parsed as Redis parses them.
struct AddTrimArgs {
  TrimStrategy strategy = TrimStrategy::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;  // 0: no limit
  bool nomkstream = false;
  // XADD: the ID argument (auto_ms for "*") and where it is in argv.
  AddIdSpec id;
  size_t id_pos = 0;
};

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id ...
// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
// False after replying the error.
bool ParseAddTrimArgs(Env& env, Argv argv, bool xadd, AddTrimArgs* a) {
  bool limit_given = false;
  size_t i = 2;
  for (; i < argv.size(); ++i) {
    const size_t more = argv.size() - 1 - i;
    std::string_view opt = argv[i];
    if (xadd && opt == "*") {
      a->id.auto_ms = true;
      break;
    }
    const bool maxlen = Is(opt, "maxlen");
    if ((maxlen || Is(opt, "minid")) && more > 0) {
      if (a->strategy != TrimStrategy::kNone) {
        env.out.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      a->approx = false;
      std::string_view next = argv[i + 1];
      if (more >= 2 && (next == "~" || next == "=")) {
        a->approx = next == "~";
        ++i;
      }
      ++i;
      if (maxlen) {
        auto v = coll::Int(env, argv[i]);
        if (!v) return false;
        if (*v < 0) {
          env.out.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        a->maxlen = *v;
        a->strategy = TrimStrategy::kMaxLen;
      } else {
        if (!StrictId(env, argv[i], &a->minid)) return false;
        a->strategy = TrimStrategy::kMinId;
      }
    } else if (Is(opt, "limit") && more > 0) {
      auto v = coll::Int(env, argv[++i]);
      if (!v) return false;
      if (*v < 0) {
        env.out.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      a->limit = *v;
      limit_given = true;
    } else if (xadd && Is(opt, "nomkstream")) {
      a->nomkstream = true;
    } else if (xadd) {
      // Anything else is the ID (or a syntax error reported as a bad ID).
      auto spec = ParseAddId(opt);
      if (!spec) {
        env.out.Error(kInvalidId);
        return false;
      }
      a->id = *spec;
      break;
    } else {
      env.out.Error(errors::kSyntax);
      return false;
    }
  }
  a->id_pos = i;
  if (a->limit != 0 && a->strategy == TrimStrategy::kNone) {
    env.out.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && a->strategy == TrimStrategy::kNone) {
    env.out.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!a->approx) {
      env.out.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (a->approx) {
    a->limit = kApproxTrimLimit;
  }
  return true;
}

// Trims the stream `h` from its oldest entry as `a` says, deleting in
// `txn` and lowering h->meta.count. `added` is an entry this command adds
// in the same txn (newer than every stored one, not visible to reads yet):
// *added_trimmed tells whether it goes too. Returns false after replying
// on a storage error.
bool Trim(Env& env, WriteTxn& txn, Handle* h, const AddTrimArgs& a, std::optional<StreamId> added,
          bool* added_trimmed, int64_t* deleted) {
  *deleted = 0;
  if (added_trimmed) *added_trimmed = false;
  const uint64_t stored = h->meta.count;
  const uint64_t total = stored + (added ? 1 : 0);
  uint64_t budget = a.limit > 0 ? static_cast<uint64_t>(a.limit) : UINT64_MAX;
  if (a.strategy == TrimStrategy::kMaxLen) {
    const auto maxlen = static_cast<uint64_t>(a.maxlen);
    if (total <= maxlen) {
      h->meta.count = total;
      return true;
    }
    budget = std::min(budget, total - maxlen);
  }
  const std::string prefix = SubPrefix(*h, kTagEntry);
  uint64_t n = 0;
  {
    Cursor c(env, prefix, PrefixEnd(prefix), false);
    for (; c.Valid() && n < budget; c.Next()) {
      const StreamId id = StreamId::Decode(c.suffix(prefix.size()));
      if (a.strategy == TrimStrategy::kMinId && id >= a.minid) break;
      txn.DeleteSub(std::string(c.key()));
      ++n;
    }
    if (!c.Ok(env)) return false;
  }
  if (added && n == stored && n < budget &&
      (a.strategy == TrimStrategy::kMaxLen || *added < a.minid)) {
    *added_trimmed = true;
    ++n;
  }
  h->meta.count = total - n;
  *deleted = static_cast<int64_t>(n);
  return true;
}

// ---- XADD, XLEN, XDEL, XTRIM, XSETID ----

void Xadd(Env& env, Argv argv) {
  AddTrimArgs a;
  if (!ParseAddTrimArgs(env, argv, /*xadd=*/true, &a)) return;
  const size_t field_pos = a.id_pos + 1;
  if (argv.size() < field_pos + 2 || (argv.size() - field_pos) % 2 == 1) {
    return WrongArity(env, argv[0]);
  }
  // An explicit 0-0 fails before the key is created.
  if (!a.id.auto_ms && !a.id.auto_seq && a.id.id.IsZero()) return env.out.Error(kIdZero);
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  StreamState st;
  if (h.live) {
    if (!LoadState(env, h, &st)) return;
  } else {
    if (a.nomkstream) return env.out.Null();
    CreateStream(env, &h, &st);
  }
  if (st.last_id == StreamId::Max()) return env.out.Error(kIdExhausted);
  const char* error = nullptr;
  auto id = NextAddId(a.id, st.last_id, env.now_ms, &error);
  if (!id) return env.out.Error(error);

  WriteTxn txn(&env.ks);
  bool trimmed = false;
  if (a.strategy != TrimStrategy::kNone) {
    int64_t deleted = 0;
    if (!Trim(env, txn, &h, a, *id, &trimmed, &deleted)) return;
  } else {
    ++h.meta.count;
  }
  if (!trimmed) {
    std::vector<std::pair<std::string_view, std::string_view>> fv;
    fv.reserve((argv.size() - field_pos) / 2);
    for (size_t i = field_pos; i + 1 < argv.size(); i += 2) fv.emplace_back(argv[i], argv[i + 1]);
    txn.PutSub(EntryKey(h, *id), EncodeFields(fv));
  }
  st.last_id = *id;
  ++st.entries_added;
  PutState(txn, h, st);
  coll::SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.NoteReady(key);
  ReplyId(env, *id);
}

void Xlen(Env& env, Argv argv) { coll::ReplyCount(env, argv, ValueType::kStream); }

void Xdel(Env& env, Argv argv) {
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.Integer(0);
  // Every ID is checked before anything is deleted.
  std::vector<StreamId> ids(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) {
    if (!StrictId(env, argv[i], &ids[i - 2])) return;
  }
  StreamState st;
  if (!LoadState(env, h, &st)) return;
  WriteTxn txn(&env.ks);
  std::set<StreamId> gone;  // this command's deletes (reads do not see them)
  for (StreamId id : ids) {
    if (gone.count(id)) continue;
    std::string k = EntryKey(h, id);
    std::optional<std::string> v;
    if (!coll::GetSub(env, k, &v)) return;
    if (!v) continue;
    gone.insert(id);
    txn.DeleteSub(std::move(k));
    st.max_deleted_id = std::max(st.max_deleted_id, id);
  }
  if (!gone.empty()) {
    h.meta.count -= std::min<uint64_t>(h.meta.count, gone.size());
    PutState(txn, h, st);
    coll::SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.Integer(static_cast<int64_t>(gone.size()));
}

void Xtrim(Env& env, Argv argv) {
  AddTrimArgs a;
  if (!ParseAddTrimArgs(env, argv, /*xadd=*/false, &a)) return;
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  int64_t deleted = 0;
  if (!Trim(env, txn, &h, a, std::nullopt, nullptr, &deleted)) return;
  if (deleted > 0) {
    coll::SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.Integer(deleted);
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void Xsetid(Env& env, Argv argv) {
  StreamId id;
  if (!StrictId(env, argv[2], &id)) return;
  int64_t entries_added = -1;
  StreamId max_deleted;
  for (size_t i = 3; i < argv.size(); i += 2) {
    const bool more = i + 1 < argv.size();
    if (Is(argv[i], "entriesadded") && more) {
      auto v = coll::Int(env, argv[i + 1]);
      if (!v) return;
      if (*v < 0) return env.out.Error("ERR entries_added must be positive");
      entries_added = *v;
    } else if (Is(argv[i], "maxdeletedid") && more) {
      if (!StrictId(env, argv[i + 1], &max_deleted)) return;
      if (id < max_deleted) {
        return env.out.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.Error(errors::kNoSuchKey);
  StreamState st;
  if (!LoadState(env, h, &st)) return;
  if (id < st.max_deleted_id) {
    return env.out.Error(
        "ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
  }
  if (h.meta.count > 0) {
    std::optional<StreamId> last;
    if (!LastEntryId(env, h, &last)) return;
    if (last && id < *last) {
      return env.out.Error(
          "ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && h.meta.count > static_cast<uint64_t>(entries_added)) {
      return env.out.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  st.last_id = id;
  if (entries_added != -1) st.entries_added = static_cast<uint64_t>(entries_added);
  if (!max_deleted.IsZero()) st.max_deleted_id = max_deleted;
  WriteTxn txn(&env.ks);
  PutState(txn, h, st);
  coll::SaveMeta(env, txn, &h);
  if (!env.Commit(txn)) return;
  env.out.Ok();
}

// ---- XRANGE, XREVRANGE ----

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
void RangeGeneric(Env& env, Argv argv, bool rev) {
  std::string_view start_arg = rev ? argv[3] : argv[2];
  std::string_view end_arg = rev ? argv[2] : argv[3];
  bool empty = false;
  auto lo = ParseRangeBound(start_arg, /*start=*/true, &empty);
  if (!lo) return env.out.Error(kInvalidId);
  if (empty) return env.out.Error("ERR invalid start ID for the interval");
  auto hi = ParseRangeBound(end_arg, /*start=*/false, &empty);
  if (!hi) return env.out.Error(kInvalidId);
  if (empty) return env.out.Error("ERR invalid end ID for the interval");
  int64_t count = -1;
  for (size_t i = 4; i < argv.size(); ++i) {
    if (Is(argv[i], "count") && i + 1 < argv.size()) {
      auto v = coll::Int(env, argv[++i]);
      if (!v) return;
      count = std::max<int64_t>(*v, 0);
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  std::string_view key = argv[1];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.ArrayHeader(0);
  // Redis's answer to COUNT 0 on a stream.
  if (count == 0) return env.out.NullArray();
  Entries entries;
  if (!RangeEntries(env, h, *lo, *hi, rev, count < 0 ? 0 : static_cast<uint64_t>(count),
                    &entries)) {
    return;
  }
  ReplyEntries(env, entries);
}

void Xrange(Env& env, Argv argv) { RangeGeneric(env, argv, false); }
void Xrevrange(Env& env, Argv argv) { RangeGeneric(env, argv, true); }

// ---- XREAD ----

// XREAD's BLOCK value, checked as Redis checks it (milliseconds).
bool BlockMsOk(Env& env, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v) {
    env.out.Error("ERR timeout is not an integer or out of range");
    return false;
  }
  if (*v < 0) {
    env.out.Error("ERR timeout is negative");
    return false;
  }
  if (*v > 0 && *v > std::numeric_limits<int64_t>::max() - env.now_ms) {
    env.out.Error("ERR timeout is out of range");
    return false;
  }
  return true;
}

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
void Xread(Env& env, Argv argv) {
  bool block = false;
  int64_t count = 0;
  size_t streams_at = 0;
  size_t n = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - 1 - i;
    std::string_view opt = argv[i];
    if (Is(opt, "block") && more > 0) {
      if (!BlockMsOk(env, argv[++i])) return;
      block = true;
    } else if (Is(opt, "count") && more > 0) {
      auto v = coll::Int(env, argv[++i]);
      if (!v) return;
      count = std::max<int64_t>(*v, 0);
    } else if (Is(opt, "streams") && more > 0) {
      streams_at = i + 1;
      n = argv.size() - streams_at;
      if (n % 2 != 0) {
        return env.out.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      n /= 2;
      break;
    } else if (Is(opt, "group") && more >= 2) {
      return env.out.Error(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
    } else if (Is(opt, "noack")) {
      return env.out.Error(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  if (streams_at == 0) return env.out.Error(errors::kSyntax);
  Argv keys = argv.subspan(streams_at, n);
  Argv id_args = argv.subspan(streams_at + n, n);
  auto lock = coll::LockKeys(env, keys);

  // Each stream's "greater than" ID, checked stream by stream as Redis does
  // (the key's type, then its ID).
  std::vector<std::unique_ptr<Handle>> handles;
  std::vector<StreamId> after(n);
  std::vector<bool> last_only(n, false);  // "+": the last entry
  handles.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    handles.push_back(std::make_unique<Handle>());
    Handle& h = *handles.back();
    if (!OpenStream(env, keys[i], &h)) return;
    std::string_view arg = id_args[i];
    if (arg == "$" || arg == "+") {
      if (!h.live) continue;  // 0-0
      StreamState st;
      if (!LoadState(env, h, &st)) return;
      after[i] = st.last_id;
      if (arg == "+" && h.meta.count > 0) {
        std::optional<StreamId> last;
        if (!LastEntryId(env, h, &last)) return;
        if (last) {
          after[i] = *last;
          last_only[i] = after[i].Decr();
        }
      }
      continue;
    }
    if (arg == ">") {
      return env.out.Error(
          "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
          "<consumer> option.");
    }
    if (!StrictId(env, arg, &after[i])) return;
  }

  std::vector<std::pair<size_t, Entries>> served;
  for (size_t i = 0; i < n; ++i) {
    const Handle& h = *handles[i];
    if (!h.live || h.meta.count == 0) continue;
    StreamId from = after[i];
    if (!from.Incr()) continue;
    Entries entries;
    const uint64_t limit = last_only[i] ? 1 : static_cast<uint64_t>(count);
    if (!RangeEntries(env, h, from, StreamId::Max(), false, limit, &entries)) return;
    if (!entries.empty()) served.emplace_back(i, std::move(entries));
  }
  if (served.empty()) {
    if (block && env.write) {
      env.would_block = true;
      for (size_t i = 0; i < n; ++i) {
        if (i > 0) env.block_ids.push_back(' ');
        // A "+" that found no entry waits like "$".
        StreamId wait = after[i];
        if (last_only[i]) wait.Incr();
        env.block_ids += wait.ToString();
      }
    }
    return env.out.NullArray();
  }
  if (env.out.resp3()) {
    env.out.MapHeader(static_cast<int64_t>(served.size()));
  } else {
    env.out.ArrayHeader(static_cast<int64_t>(served.size()));
  }
  for (const auto& [i, entries] : served) {
    if (!env.out.resp3()) env.out.ArrayHeader(2);
    env.out.Bulk(keys[i]);
    ReplyEntries(env, entries);
  }
}

// ---- XINFO ----

// What XINFO needs to know about a stream beyond its state record.
struct StreamFacts {
  uint64_t length = 0;
  StreamState st;
  StreamId first_id;  // of the first entry; 0-0 when empty (Redis's first_id)
};

bool LoadFacts(Env& env, const Handle& h, StreamFacts* f) {
  f->length = h.meta.count;
  if (!LoadState(env, h, &f->st)) return false;
  std::optional<StreamId> first;
  if (!FirstEntryId(env, h, &first)) return false;
  f->first_id = first.value_or(StreamId{});
  return true;
}

// Whether an entry between `start` and the end of the stream was deleted
// (Redis's streamRangeHasTombstones with an open end).
bool HasTombstonesAfter(const StreamFacts& f, StreamId start) {
  const StreamId& del = f.st.max_deleted_id;
  if (f.length == 0 || del.IsZero()) return false;
  if (f.first_id > del) return false;
  return start <= del;
}

// The entries-read counter an ID corresponds to, when it can be told
// (Redis's streamEstimateDistanceFromFirstEverEntry).
std::optional<int64_t> EstimateEntriesRead(const StreamFacts& f, StreamId id) {
  const auto added = static_cast<int64_t>(f.st.entries_added);
  if (added == 0) return 0;
  if (f.length == 0 && id <= f.st.last_id) return added;
  if (id == f.st.last_id) return added;
  if (id > f.st.last_id) return std::nullopt;
  const StreamId& del = f.st.max_deleted_id;
  if (del.IsZero() || del < f.first_id) {
    const auto length = static_cast<int64_t>(f.length);
    if (id < f.first_id) return added - length;
    if (id == f.first_id) return added - length + 1;
  }
  return std::nullopt;
}

// A group's lag, or nullopt when it cannot be told (a null reply).
std::optional<int64_t> GroupLag(const StreamFacts& f, const GroupState& g) {
  const auto added = static_cast<int64_t>(f.st.entries_added);
  if (added == 0) return 0;
  if (g.entries_read != -1 && !HasTombstonesAfter(f, g.last_delivered)) {
    return added - g.entries_read;
  }
  auto read = EstimateEntriesRead(f, g.last_delivered);
  if (!read) return std::nullopt;
  return added - *read;
}

void ReplyOptInt(Env& env, std::optional<int64_t> v) {
  if (v) return env.out.Integer(*v);
  env.out.Null();
}

// Redis's radix tree of listpacks holds up to 100 entries a node; these
// are plausible sizes for it, not real ones.
int64_t RadixKeys(uint64_t length) { return static_cast<int64_t>((length + 99) / 100); }
int64_t RadixNodes(uint64_t length) { return length == 0 ? 1 : 2 * RadixKeys(length); }

struct NamedGroup {
  std::string name;
  GroupState g;
};

bool LoadGroups(Env& env, const Handle& h, std::vector<NamedGroup>* out) {
  const std::string prefix = SubPrefix(h, kTagGroup);
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) {
    auto g = DecodeGroup(c.value());
    if (!g) {
      env.out.Error("ERR storage error: bad stream group");
      return false;
    }
    out->push_back({std::string(c.suffix(prefix.size())), *g});
  }
  return c.Ok(env);
}

struct NamedConsumer {
  std::string name;
  ConsumerState c;
};

bool LoadConsumers(Env& env, const Handle& h, std::string_view group,
                   std::vector<NamedConsumer>* out) {
  const std::string prefix = SubKey(h, kTagConsumer, GroupPart(group));
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) {
    auto s = DecodeConsumer(c.value());
    if (!s) {
      env.out.Error("ERR storage error: bad stream consumer");
      return false;
    }
    out->push_back({std::string(c.suffix(prefix.size())), *s});
  }
  return c.Ok(env);
}

struct PelItem {
  StreamId id;
  PendingEntry p;
};

// The first `count` (0: all) entries of a group's PEL.
bool LoadGroupPel(Env& env, const Handle& h, std::string_view group, uint64_t count,
                  std::vector<PelItem>* out) {
  const std::string prefix = SubKey(h, kTagPending, GroupPart(group));
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid() && (count == 0 || out->size() < count); c.Next()) {
    auto p = DecodePending(c.value());
    if (!p) {
      env.out.Error("ERR storage error: bad stream pending entry");
      return false;
    }
    out->push_back({StreamId::Decode(c.suffix(prefix.size())), std::move(*p)});
  }
  return c.Ok(env);
}

// The first `count` (0: all) entries of a consumer's PEL, with the delivery
// data of the group's PEL.
bool LoadConsumerPel(Env& env, const Handle& h, std::string_view group, std::string_view consumer,
                     uint64_t count, std::vector<PelItem>* out) {
  std::vector<StreamId> ids;
  {
    const std::string prefix =
        SubKey(h, kTagConsumerPending, ConsumerPendingPrefix(group, consumer));
    Cursor c(env, prefix, PrefixEnd(prefix), false);
    for (; c.Valid() && (count == 0 || ids.size() < count); c.Next()) {
      ids.push_back(StreamId::Decode(c.suffix(prefix.size())));
    }
    if (!c.Ok(env)) return false;
  }
  for (StreamId id : ids) {
    std::optional<std::string> v;
    if (!coll::GetSub(env, SubKey(h, kTagPending, PendingRest(group, id)), &v)) return false;
    PelItem item{id, {}};
    if (v) {
      auto p = DecodePending(*v);
      if (p) item.p = std::move(*p);
    }
    out->push_back(std::move(item));
  }
  return true;
}

void ReplyFirstOrLast(Env& env, const Handle& h, bool last) {
  Entries e;
  if (!RangeEntries(env, h, StreamId{}, StreamId::Max(), last, 1, &e)) return;
  if (e.empty()) return env.out.Null();
  ReplyEntry(env, e.front().first, e.front().second);
}

void XinfoSyntaxError(Env& env, Argv argv) {
  env.out.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(argv[1]) +
                "'. Try XINFO HELP.");
}

// XINFO STREAM key [FULL [COUNT count]]
void XinfoStream(Env& env, Argv argv, const Handle& h) {
  Argv opts = argv.subspan(3);
  bool full = false;
  int64_t count = 10;
  if (!opts.empty()) {
    if ((opts.size() != 1 && opts.size() != 3) || !Is(opts[0], "full")) {
      return XinfoSyntaxError(env, argv);
    }
    full = true;
    if (opts.size() == 3) {
      if (!Is(opts[1], "count")) return XinfoSyntaxError(env, argv);
      auto v = coll::Int(env, opts[2]);
      if (!v) return;
      count = *v < 0 ? 10 : *v;
    }
  }
  StreamFacts f;
  if (!LoadFacts(env, h, &f)) return;
  std::vector<NamedGroup> groups;
  if (!LoadGroups(env, h, &groups)) return;

  env.out.MapHeader(full ? 9 : 10);
  env.out.Bulk("length");
  env.out.Integer(static_cast<int64_t>(f.length));
  env.out.Bulk("radix-tree-keys");
  env.out.Integer(RadixKeys(f.length));
  env.out.Bulk("radix-tree-nodes");
  env.out.Integer(RadixNodes(f.length));
  env.out.Bulk("last-generated-id");
  ReplyId(env, f.st.last_id);
  env.out.Bulk("max-deleted-entry-id");
  ReplyId(env, f.st.max_deleted_id);
  env.out.Bulk("entries-added");
  env.out.Integer(static_cast<int64_t>(f.st.entries_added));
  env.out.Bulk("recorded-first-entry-id");
  ReplyId(env, f.first_id);
  if (!full) {
    env.out.Bulk("groups");
    env.out.Integer(static_cast<int64_t>(groups.size()));
    env.out.Bulk("first-entry");
    ReplyFirstOrLast(env, h, false);
    env.out.Bulk("last-entry");
    ReplyFirstOrLast(env, h, true);
    return;
  }
  const auto limit = static_cast<uint64_t>(count);
  Entries entries;
  if (!RangeEntries(env, h, StreamId{}, StreamId::Max(), false, limit, &entries)) return;
  env.out.Bulk("entries");
  ReplyEntries(env, entries);
  env.out.Bulk("groups");
  env.out.ArrayHeader(static_cast<int64_t>(groups.size()));
  for (const auto& [name, g] : groups) {
    std::vector<PelItem> pel;
    std::vector<NamedConsumer> consumers;
    if (!LoadGroupPel(env, h, name, limit, &pel)) return;
    if (!LoadConsumers(env, h, name, &consumers)) return;
    env.out.MapHeader(7);
    env.out.Bulk("name");
    env.out.Bulk(name);
    env.out.Bulk("last-delivered-id");
    ReplyId(env, g.last_delivered);
    env.out.Bulk("entries-read");
    ReplyOptInt(env, g.entries_read == -1 ? std::nullopt : std::optional<int64_t>(g.entries_read));
    env.out.Bulk("lag");
    ReplyOptInt(env, GroupLag(f, g));
    env.out.Bulk("pel-count");
    env.out.Integer(static_cast<int64_t>(g.pending));
    env.out.Bulk("pending");
    env.out.ArrayHeader(static_cast<int64_t>(pel.size()));
    for (const auto& item : pel) {
      env.out.ArrayHeader(4);
      ReplyId(env, item.id);
      env.out.Bulk(item.p.consumer);
      env.out.Integer(item.p.delivery_ms);
      env.out.Integer(static_cast<int64_t>(item.p.delivery_count));
    }
    env.out.Bulk("consumers");
    env.out.ArrayHeader(static_cast<int64_t>(consumers.size()));
    for (const auto& [cname, c] : consumers) {
      std::vector<PelItem> cpel;
      if (!LoadConsumerPel(env, h, name, cname, limit, &cpel)) return;
      env.out.MapHeader(5);
      env.out.Bulk("name");
      env.out.Bulk(cname);
      env.out.Bulk("seen-time");
      env.out.Integer(c.seen_ms);
      env.out.Bulk("active-time");
      env.out.Integer(c.active_ms);
      env.out.Bulk("pel-count");
      env.out.Integer(static_cast<int64_t>(c.pending));
      env.out.Bulk("pending");
      env.out.ArrayHeader(static_cast<int64_t>(cpel.size()));
      for (const auto& item : cpel) {
        env.out.ArrayHeader(3);
        ReplyId(env, item.id);
        env.out.Integer(item.p.delivery_ms);
        env.out.Integer(static_cast<int64_t>(item.p.delivery_count));
      }
    }
  }
}

// XINFO GROUPS key
void XinfoGroups(Env& env, const Handle& h) {
  StreamFacts f;
  if (!LoadFacts(env, h, &f)) return;
  std::vector<NamedGroup> groups;
  if (!LoadGroups(env, h, &groups)) return;
  std::vector<size_t> consumer_counts;
  for (const auto& g : groups) {
    std::vector<NamedConsumer> consumers;
    if (!LoadConsumers(env, h, g.name, &consumers)) return;
    consumer_counts.push_back(consumers.size());
  }
  env.out.ArrayHeader(static_cast<int64_t>(groups.size()));
  for (size_t i = 0; i < groups.size(); ++i) {
    const GroupState& g = groups[i].g;
    env.out.MapHeader(6);
    env.out.Bulk("name");
    env.out.Bulk(groups[i].name);
    env.out.Bulk("consumers");
    env.out.Integer(static_cast<int64_t>(consumer_counts[i]));
    env.out.Bulk("pending");
    env.out.Integer(static_cast<int64_t>(g.pending));
    env.out.Bulk("last-delivered-id");
    ReplyId(env, g.last_delivered);
    env.out.Bulk("entries-read");
    ReplyOptInt(env, g.entries_read == -1 ? std::nullopt : std::optional<int64_t>(g.entries_read));
    env.out.Bulk("lag");
    ReplyOptInt(env, GroupLag(f, g));
  }
}

// XINFO CONSUMERS key group (Redis 7.2's fields, "inactive" included).
void XinfoConsumers(Env& env, Argv argv, const Handle& h) {
  std::string_view group = argv[3];
  std::optional<GroupState> g;
  if (!LoadGroup(env, h, group, &g)) return;
  if (!g) {
    return env.out.Error("NOGROUP No such consumer group '" + std::string(group) +
                         "' for key name '" + std::string(argv[2]) + "'");
  }
  std::vector<NamedConsumer> consumers;
  if (!LoadConsumers(env, h, group, &consumers)) return;
  env.out.ArrayHeader(static_cast<int64_t>(consumers.size()));
  for (const auto& [name, c] : consumers) {
    env.out.MapHeader(4);
    env.out.Bulk("name");
    env.out.Bulk(name);
    env.out.Bulk("pending");
    env.out.Integer(static_cast<int64_t>(c.pending));
    env.out.Bulk("idle");
    env.out.Integer(std::max<int64_t>(0, env.now_ms - c.seen_ms));
    env.out.Bulk("inactive");
    env.out.Integer(c.active_ms == -1 ? -1 : env.now_ms - c.active_ms);
  }
}

void XinfoHelp(Env& env) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help.",
  };
  env.out.ArrayHeader(static_cast<int64_t>(std::size(kLines)));
  for (auto line : kLines) env.out.Simple(line);
}

void Xinfo(Env& env, Argv argv) {
  if (argv.size() < 2) return WrongArity(env, argv[0]);
  std::string_view sub = argv[1];
  const bool help = Is(sub, "help");
  const bool stream = Is(sub, "stream");
  const bool groups = Is(sub, "groups");
  const bool consumers = Is(sub, "consumers");
  if (!help && !stream && !groups && !consumers) {
    return env.out.Error("ERR unknown subcommand '" + std::string(sub) + "'. Try XINFO HELP.");
  }
  const bool arity_ok = help     ? argv.size() == 2
                        : stream ? argv.size() >= 3
                        : groups ? argv.size() == 3
                                 : argv.size() == 4;
  if (!arity_ok) return WrongArity(env, "xinfo|" + std::string(sub));
  if (help) return XinfoHelp(env);
  std::string_view key = argv[2];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.Error(errors::kNoSuchKey);
  if (stream) return XinfoStream(env, argv, h);
  if (groups) return XinfoGroups(env, h);
  XinfoConsumers(env, argv, h);
}

constexpr coll::CmdImpl kImpls[] = {
    {"xadd", Xadd},           {"xlen", Xlen},     {"xrange", Xrange},
    {"xrevrange", Xrevrange}, {"xdel", Xdel},     {"xtrim", Xtrim},
    {"xread", Xread},         {"xsetid", Xsetid}, {"xinfo", Xinfo},
};

}  // namespace
}  // namespace shoal::storage::stream

namespace shoal::storage::coll {

std::span<const CmdImpl> StreamImpls() { return stream::kImpls; }

}  // namespace shoal::storage::coll
