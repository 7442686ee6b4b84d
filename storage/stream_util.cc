// Pieces the stream command files share (storage/stream_util.h): record
// access, argument parsing, entries-read estimates, common replies.
#include "storage/stream_util.h"

#include <algorithm>
#include <limits>

#include "core/strutil.h"

namespace shoal::storage::stream {
namespace {

using coll::Cursor;
using coll::Is;
using coll::SubKey;
using coll::SubPrefix;

// The first or last entry ID of `h`.
bool EdgeEntryId(Env& env, const Handle& h, bool last, std::optional<StreamId>* id) {
  id->reset();
  const std::string prefix = SubPrefix(h, kTagEntry);
  Cursor c(env, prefix, coll::PrefixEnd(prefix), last);
  if (c.Valid()) *id = StreamId::Decode(c.suffix(prefix.size()));
  return c.Ok(env);
}

// Every record under `prefix` (groups, a group's consumers), named by the
// rest of its key.
template <typename State>
bool LoadNamed(Env& env, const std::string& prefix,
               std::optional<State> (*decode)(std::string_view), std::string_view what,
               std::vector<Named<State>>* out) {
  Cursor c(env, prefix, coll::PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) {
    auto s = decode(c.value());
    if (!s) {
      ReplyCorrupt(env, what);
      return false;
    }
    out->push_back({std::string(c.suffix(prefix.size())), *s});
  }
  return c.Ok(env);
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

}  // namespace

// ---- the stream and its entries ----

bool OpenStream(Env& env, std::string_view key, Handle* h) {
  return coll::Open(env, key, ValueType::kStream, h);
}

void CreateStream(Env& env, Handle* h, StreamState* st) {
  coll::Create(env, h, ValueType::kStream);
  *st = StreamState{};
}

bool LoadState(Env& env, const Handle& h, StreamState* st) {
  std::optional<std::string> v;
  if (!coll::GetSub(env, SubKey(h, kTagState, ""), &v)) return false;
  if (!v) {
    // Not written yet (cannot happen for streams made by XADD / XGROUP
    // CREATE MKSTREAM): derive what the entries tell.
    *st = StreamState{};
    std::optional<StreamId> last;
    if (!LastEntryId(env, h, &last)) return false;
    if (last) st->last_id = *last;
    st->entries_added = h.meta.count;
    return true;
  }
  auto s = DecodeState(*v);
  if (!s) {
    ReplyCorrupt(env, "state");
    return false;
  }
  *st = *s;
  return true;
}

void PutState(WriteTxn& txn, const Handle& h, const StreamState& st) {
  txn.PutSub(SubKey(h, kTagState, ""), EncodeState(st));
}

bool LastId(Env& env, const Handle& h, StreamId* id) {
  *id = StreamId{};
  if (!h.live) return true;
  StreamState st;
  if (!LoadState(env, h, &st)) return false;
  *id = st.last_id;
  return true;
}

std::string EntryKey(const Handle& h, StreamId id) { return SubKey(h, kTagEntry, id.Encode()); }

std::string PendingKey(const Handle& h, std::string_view group, StreamId id) {
  return SubKey(h, kTagPending, PendingRest(group, id));
}

std::string ConsumerPendingKey(const Handle& h, std::string_view group, std::string_view consumer,
                               StreamId id) {
  return SubKey(h, kTagConsumerPending, ConsumerPendingRest(group, consumer, id));
}

// Such keys end with exactly 16 ID bytes, so one more byte sorts right
// after the key and before the next ID's.
std::string UpTo(std::string key) {
  key.push_back('\0');
  return key;
}

bool RangeEntries(Env& env, const Handle& h, StreamId lo, StreamId hi, bool reverse, uint64_t count,
                  Entries* out) {
  if (lo > hi) return true;
  const std::string start = EntryKey(h, lo);
  const size_t prefix_len = start.size() - 16;
  Cursor c(env, start, UpTo(EntryKey(h, hi)), reverse);
  for (; c.Valid(); c.Next()) {
    out->emplace_back(StreamId::Decode(c.suffix(prefix_len)), std::string(c.value()));
    if (count != 0 && out->size() >= count) break;
  }
  return c.Ok(env);
}

bool FirstEntryId(Env& env, const Handle& h, std::optional<StreamId>* id) {
  return EdgeEntryId(env, h, false, id);
}

bool LastEntryId(Env& env, const Handle& h, std::optional<StreamId>* id) {
  return EdgeEntryId(env, h, true, id);
}

// ---- groups and consumers ----

bool LoadGroup(Env& env, const Handle& h, std::string_view group, std::optional<GroupState>* g) {
  g->reset();
  std::optional<std::string> v;
  if (!coll::GetSub(env, SubKey(h, kTagGroup, group), &v)) return false;
  if (!v) return true;
  *g = DecodeGroup(*v);
  if (!*g) {
    ReplyCorrupt(env, "group");
    return false;
  }
  return true;
}

void PutGroup(WriteTxn& txn, const Handle& h, std::string_view group, const GroupState& g) {
  txn.PutSub(SubKey(h, kTagGroup, group), EncodeGroup(g));
}

bool LoadConsumer(Env& env, const Handle& h, std::string_view group, std::string_view consumer,
                  std::optional<ConsumerState>* c) {
  c->reset();
  std::optional<std::string> v;
  if (!coll::GetSub(env, SubKey(h, kTagConsumer, ConsumerRest(group, consumer)), &v)) {
    return false;
  }
  if (!v) return true;
  *c = DecodeConsumer(*v);
  if (!*c) {
    ReplyCorrupt(env, "consumer");
    return false;
  }
  return true;
}

void PutConsumer(WriteTxn& txn, const Handle& h, std::string_view group, std::string_view consumer,
                 const ConsumerState& c) {
  txn.PutSub(SubKey(h, kTagConsumer, ConsumerRest(group, consumer)), EncodeConsumer(c));
}

bool LoadGroups(Env& env, const Handle& h, std::vector<NamedGroup>* out) {
  return LoadNamed(env, SubPrefix(h, kTagGroup), DecodeGroup, "group", out);
}

bool LoadConsumers(Env& env, const Handle& h, std::string_view group,
                   std::vector<NamedConsumer>* out) {
  return LoadNamed(env, SubKey(h, kTagConsumer, GroupPart(group)), DecodeConsumer, "consumer", out);
}

// ---- entries-read bookkeeping ----

bool LoadFacts(Env& env, const Handle& h, StreamFacts* f) {
  f->length = h.meta.count;
  if (!LoadState(env, h, &f->st)) return false;
  std::optional<StreamId> first;
  if (!FirstEntryId(env, h, &first)) return false;
  f->first_id = first.value_or(StreamId{});
  return true;
}

void NoteDelivered(const StreamFacts& f, GroupState* g, StreamId id) {
  if (id <= g->last_delivered) return;
  if (g->entries_read != -1 && !HasTombstonesAfter(f, id)) {
    ++g->entries_read;
  } else if (f.st.entries_added != 0) {
    g->entries_read = EstimateEntriesRead(f, id).value_or(-1);
  }
  g->last_delivered = id;
}

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

// ---- arguments ----

bool StrictId(Env& env, std::string_view s, StreamId* id) {
  auto v = ParseId(s, 0, /*allow_specials=*/false);
  if (!v) {
    env.out.Error(kInvalidId);
    return false;
  }
  *id = *v;
  return true;
}

bool RangeBound(Env& env, std::string_view s, bool start, StreamId* id) {
  bool empty = false;
  auto v = ParseRangeBound(s, start, &empty);
  if (!v) {
    env.out.Error(kInvalidId);
    return false;
  }
  if (empty) {
    env.out.Error(start ? "ERR invalid start ID for the interval"
                        : "ERR invalid end ID for the interval");
    return false;
  }
  *id = *v;
  return true;
}

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

// Options are checked in argv order, as Redis checks them; GROUP and NOACK
// are errors of their own in XREAD.
bool ParseReadArgs(Env& env, Argv argv, bool xreadgroup, ReadArgs* a) {
  bool has_group = false;
  size_t streams_at = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - 1 - i;
    const std::string_view opt = argv[i];
    if (Is(opt, "block") && more > 0) {
      if (!BlockMsOk(env, argv[++i])) return false;
      a->block = true;
    } else if (Is(opt, "count") && more > 0) {
      auto v = coll::Int(env, argv[++i]);
      if (!v) return false;
      a->count = *v < 0 ? 0 : static_cast<uint64_t>(*v);
    } else if (Is(opt, "streams") && more > 0) {
      streams_at = i + 1;
      if ((argv.size() - streams_at) % 2 != 0) {
        env.out.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
        return false;
      }
      break;
    } else if (Is(opt, "group") && more >= 2) {
      if (!xreadgroup) {
        env.out.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      a->group = argv[i + 1];
      a->consumer = argv[i + 2];
      has_group = true;
      i += 2;
    } else if (Is(opt, "noack")) {
      if (!xreadgroup) {
        env.out.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
        return false;
      }
      a->noack = true;
    } else {
      env.out.Error(errors::kSyntax);
      return false;
    }
  }
  if (streams_at == 0) {
    env.out.Error(errors::kSyntax);
    return false;
  }
  if (xreadgroup && !has_group) {
    env.out.Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  const size_t n = (argv.size() - streams_at) / 2;
  a->keys = argv.subspan(streams_at, n);
  a->ids = argv.subspan(streams_at + n, n);
  return true;
}

// ---- replies and errors ----

void ReplyId(Env& env, StreamId id) { env.out.Bulk(id.ToString()); }

void ReplyEntry(Env& env, StreamId id, std::string_view value) {
  env.out.ArrayHeader(2);
  env.out.Bulk(id.ToString());
  std::vector<std::pair<std::string_view, std::string_view>> fv;
  // An encoded entry is never empty (it starts with its field count).
  if (value.empty() || !DecodeFields(value, &fv)) return env.out.NullArray();
  env.out.ArrayHeader(static_cast<int64_t>(fv.size() * 2));
  for (const auto& [f, v] : fv) {
    env.out.Bulk(f);
    env.out.Bulk(v);
  }
}

void ReplyEntries(Env& env, const Entries& entries) {
  env.out.ArrayHeader(static_cast<int64_t>(entries.size()));
  for (const auto& [id, v] : entries) ReplyEntry(env, id, v);
}

void ReplyKeyEntries(Env& env, const std::vector<KeyEntries>& served) {
  const bool map = env.out.resp3();
  if (map) {
    env.out.MapHeader(static_cast<int64_t>(served.size()));
  } else {
    env.out.ArrayHeader(static_cast<int64_t>(served.size()));
  }
  for (const auto& s : served) {
    if (!map) env.out.ArrayHeader(2);
    env.out.Bulk(s.key);
    ReplyEntries(env, s.entries);
  }
}

void ReplyCorrupt(Env& env, std::string_view what) {
  std::string msg = errors::kStoragePrefix;
  msg.append("bad stream ").append(what);
  env.out.Error(msg);
}

void ReplyHelp(Env& env, std::span<const std::string_view> lines) {
  env.out.ArrayHeader(static_cast<int64_t>(lines.size()));
  for (auto line : lines) env.out.Simple(line);
}

void ReplyUnknownSubcommand(Env& env, std::string_view cmd, std::string_view sub) {
  env.out.Error("ERR unknown subcommand '" + std::string(sub) + "'. Try " + std::string(cmd) +
                " HELP.");
}

void ReplySubcommandSyntax(Env& env, std::string_view cmd, std::string_view sub) {
  env.out.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                "'. Try " + std::string(cmd) + " HELP.");
}

std::string NoGroup(std::string_view key, std::string_view group) {
  std::string msg = "NOGROUP No such key '";
  msg.append(key).append("' or consumer group '").append(group).append("'");
  return msg;
}

std::string NoSuchGroup(std::string_view key, std::string_view group) {
  std::string msg = "NOGROUP No such consumer group '";
  msg.append(group).append("' for key name '").append(key).append("'");
  return msg;
}

}  // namespace shoal::storage::stream
