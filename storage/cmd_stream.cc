// Stream commands without consumer groups (Redis 7 semantics): XADD, XLEN,
// XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, and the table of every stream
// command outside consumer groups (XREAD: storage/cmd_stream_read.cc, XINFO:
// storage/cmd_stream_info.cc). Record layouts: storage/stream.h.
//
// Trimming with "~" trims exactly (Redis may keep more: it only drops whole
// nodes of its radix tree); LIMIT still caps how many entries go. As in
// Redis, trimming does not move the max deleted ID; only XDEL does.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/cmd_stream_impl.h"

namespace shoal::storage::stream {
namespace {

// Entries a "~" trim removes at most without LIMIT (Redis: 100 times
// stream-node-max-entries, capped at 10000).
constexpr int64_t kApproxTrimLimit = 10000;

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
  StreamId lo, hi;
  if (!RangeBound(env, rev ? argv[3] : argv[2], /*start=*/true, &lo)) return;
  if (!RangeBound(env, rev ? argv[2] : argv[3], /*start=*/false, &hi)) return;
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
  if (!RangeEntries(env, h, lo, hi, rev, count < 0 ? 0 : static_cast<uint64_t>(count), &entries)) {
    return;
  }
  ReplyEntries(env, entries);
}

void Xrange(Env& env, Argv argv) { RangeGeneric(env, argv, false); }
void Xrevrange(Env& env, Argv argv) { RangeGeneric(env, argv, true); }

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
