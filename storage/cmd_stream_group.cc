// Stream consumer-group commands (Redis 7 semantics): XGROUP, XREADGROUP,
// XACK, XPENDING, XCLAIM, XAUTOCLAIM. Record layouts: storage/stream.h.
//
// A group is its 'g' record (last delivered ID, entries-read, PEL size),
// its consumers ('c': seen and active times, PEL size) and its pending
// entries list kept twice: 'p' by ID with the owner and delivery data, and
// 'q' by consumer then ID, so that a consumer's history and XGROUP
// DELCONSUMER walk that consumer's entries only. Every change keeps the two
// lists and both sizes in step (XINFO reads the sizes).
//
// Replies, errors and the order errors are checked in follow redis-server
// 7.0: consumers are created only when XREADGROUP serves them or XCLAIM /
// XAUTOCLAIM claim something. Active times follow 7.2 (XINFO CONSUMERS
// "inactive"): set when entries enter the consumer's PEL.
//
// XREADGROUP with BLOCK makes one attempt: when no stream has new entries
// for ">" it changes nothing and sets env.would_block; the server waits
// and retries the same argv. An explicit ID serves history and never
// blocks.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
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
using coll::WrongArity;

std::string PendingKey(const Handle& h, std::string_view group, StreamId id) {
  return SubKey(h, kTagPending, PendingRest(group, id));
}

std::string ConsumerPendingKey(const Handle& h, std::string_view group, std::string_view consumer,
                               StreamId id) {
  return SubKey(h, kTagConsumerPending, ConsumerPendingRest(group, consumer, id));
}

// The first key after every sub-key whose last 16 bytes are IDs <= `id`.
std::string UpTo(std::string key) {
  key.push_back('\0');
  return key;
}

void ReplyCorrupt(Env& env, std::string_view what) {
  std::string msg = errors::kStoragePrefix;
  msg.append("bad stream ").append(what);
  env.out.Error(msg);
}

void ReplyId(Env& env, StreamId id) { env.out.Bulk(id.ToString()); }

// The NOGROUP error of XPENDING, XCLAIM and XAUTOCLAIM.
std::string NoGroup(std::string_view key, std::string_view group) {
  std::string msg = "NOGROUP No such key '";
  msg.append(key).append("' or consumer group '").append(group).append("'");
  return msg;
}

// "ms" or "ms-seq", not "-" / "+". Replies the error otherwise.
bool StrictId(Env& env, std::string_view s, StreamId* id) {
  auto v = ParseId(s, 0, /*allow_specials=*/false);
  if (!v) {
    env.out.Error(kInvalidId);
    return false;
  }
  *id = *v;
  return true;
}

// A range bound as XPENDING and XAUTOCLAIM take it ("-", "+", "(id"...).
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

// ---- entries-read bookkeeping (Redis's, for the lag XINFO reports) ----

struct StreamFacts {
  uint64_t length = 0;
  StreamState st;
  StreamId first_id;  // of the first entry; 0-0 when empty
};

bool LoadFacts(Env& env, const Handle& h, StreamFacts* f) {
  f->length = h.meta.count;
  if (!LoadState(env, h, &f->st)) return false;
  std::optional<StreamId> first;
  if (!FirstEntryId(env, h, &first)) return false;
  f->first_id = first.value_or(StreamId{});
  return true;
}

// Whether an entry at or after `start` was deleted.
bool HasTombstonesAfter(const StreamFacts& f, StreamId start) {
  const StreamId& del = f.st.max_deleted_id;
  if (f.length == 0 || del.IsZero() || f.first_id > del) return false;
  return start <= del;
}

// The entries-read counter that `id` corresponds to, when it can be told.
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

// Moves the group past the delivered entry `id`.
void NoteDelivered(const StreamFacts& f, GroupState* g, StreamId id) {
  if (id <= g->last_delivered) return;
  if (g->entries_read != -1 && !HasTombstonesAfter(f, id)) {
    ++g->entries_read;
  } else if (f.st.entries_added != 0) {
    g->entries_read = EstimateEntriesRead(f, id).value_or(-1);
  }
  g->last_delivered = id;
}

// ---- one command's changes to a group ----

// The changes one command makes to a consumer group, written into `txn`.
// Reads do not see the command's own writes, so the consumers and PEL
// entries it touched are kept here and looked up here first.
class GroupEdit {
 public:
  GroupEdit(Env& env, const Handle& h, std::string_view group, const GroupState& g, WriteTxn& txn)
      : env_(env), h_(h), group_(group), g_(g), txn_(txn) {}

  GroupState& state() { return g_; }
  bool changed() const { return changed_; }
  void MarkChanged() { changed_ = true; }

  // The consumer `name` as this command left it (*c null when it does not
  // exist). False after replying a storage error.
  bool Find(std::string_view name, ConsumerState** c) {
    auto it = consumers_.find(name);
    if (it == consumers_.end()) {
      std::optional<ConsumerState> loaded;
      if (!LoadConsumer(env_, h_, group_, name, &loaded)) return false;
      if (!loaded) {
        *c = nullptr;
        return true;
      }
      it = consumers_.emplace(std::string(name), *loaded).first;
    }
    // Whoever asks changes it; Finish writes it back.
    changed_ = true;
    *c = &it->second;
    return true;
  }

  // Find, creating the consumer (seen now, never active) when absent. Null
  // after replying a storage error. The pointer stays valid.
  ConsumerState* FindOrCreate(std::string_view name) {
    ConsumerState* c = nullptr;
    if (!Find(name, &c)) return nullptr;
    if (c == nullptr) {
      c = &consumers_.emplace(std::string(name), ConsumerState{env_.now_ms, -1, 0}).first->second;
      changed_ = true;
    }
    return c;
  }

  // The PEL entry of `id`, if any. False after replying an error.
  bool Pending(StreamId id, std::optional<PendingEntry>* p) {
    if (auto it = pel_.find(id); it != pel_.end()) {
      *p = it->second;
      return true;
    }
    std::optional<std::string> v;
    if (!coll::GetSub(env_, PendingKey(h_, group_, id), &v)) return false;
    p->reset();
    if (!v) return true;
    *p = DecodePending(*v);
    if (!*p) {
      ReplyCorrupt(env_, "pending entry");
      return false;
    }
    return true;
  }

  // Makes `p` the PEL entry of `id`, which was `old`. A new owner gets the
  // consumer-PEL record (and the count) from the old one.
  bool SetPending(StreamId id, const std::optional<PendingEntry>& old, const PendingEntry& p) {
    txn_.PutSub(PendingKey(h_, group_, id), EncodePending(p));
    pel_[id] = p;
    changed_ = true;
    if (old && old->consumer == p.consumer) return true;
    if (old) {
      if (!Disown(id, old->consumer)) return false;
    } else {
      ++g_.pending;
    }
    ConsumerState* c = FindOrCreate(p.consumer);
    if (c == nullptr) return false;
    ++c->pending;
    txn_.PutSub(ConsumerPendingKey(h_, group_, p.consumer, id), "");
    return true;
  }

  // Drops the PEL entry `old` of `id`.
  bool RemovePending(StreamId id, const PendingEntry& old) {
    txn_.DeleteSub(PendingKey(h_, group_, id));
    pel_[id] = std::nullopt;
    changed_ = true;
    if (g_.pending > 0) --g_.pending;
    return Disown(id, old.consumer);
  }

  // The IDs >= `start` in the PEL of `consumer`, at most `count` (0: all),
  // as this command left it: stored ones merged with those it changed.
  bool ConsumerPel(std::string_view consumer, StreamId start, uint64_t count,
                   std::vector<StreamId>* out) {
    const std::string prefix =
        SubKey(h_, kTagConsumerPending, ConsumerPendingPrefix(group_, consumer));
    Cursor c(env_, ConsumerPendingKey(h_, group_, consumer, start), PrefixEnd(prefix), false);
    auto ov = pel_.lower_bound(start);
    while (count == 0 || out->size() < count) {
      std::optional<StreamId> stored;
      if (c.Valid()) stored = StreamId::Decode(c.suffix(prefix.size()));
      if (!stored && ov == pel_.end()) break;
      if (stored && (ov == pel_.end() || *stored < ov->first)) {
        out->push_back(*stored);
        c.Next();
        continue;
      }
      // This command changed the entry: its owner now decides.
      if (stored && *stored == ov->first) c.Next();
      if (ov->second && ov->second->consumer == consumer) out->push_back(ov->first);
      ++ov;
    }
    return c.Ok(env_);
  }

  // Writes the group and the consumers this command touched.
  void Finish() {
    if (!changed_) return;
    PutGroup(txn_, h_, group_, g_);
    for (const auto& [name, c] : consumers_) PutConsumer(txn_, h_, group_, name, c);
  }

 private:
  // Takes `id` out of the PEL of `consumer`.
  bool Disown(StreamId id, std::string_view consumer) {
    txn_.DeleteSub(ConsumerPendingKey(h_, group_, consumer, id));
    ConsumerState* c = nullptr;
    if (!Find(consumer, &c)) return false;
    if (c != nullptr && c->pending > 0) --c->pending;
    return true;
  }

  Env& env_;
  const Handle& h_;
  std::string_view group_;
  GroupState g_;
  WriteTxn& txn_;
  std::map<std::string, ConsumerState, std::less<>> consumers_;
  std::map<StreamId, std::optional<PendingEntry>> pel_;  // nullopt: removed
  bool changed_ = false;
};

// Deletes every sub-record whose key starts with `prefix`.
bool DeletePrefix(Env& env, WriteTxn& txn, const std::string& prefix) {
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid(); c.Next()) txn.DeleteSub(std::string(c.key()));
  return c.Ok(env);
}

// ---- XGROUP ----

void XgroupHelp(Env& env) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help.",
  };
  env.out.ArrayHeader(static_cast<int64_t>(std::size(kLines)));
  for (auto line : kLines) env.out.Simple(line);
}

void XgroupSyntaxError(Env& env, std::string_view sub) {
  env.out.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                "'. Try XGROUP HELP.");
}

// The stream's last ID ("$"), 0-0 for a missing stream.
bool LastId(Env& env, const Handle& h, StreamId* id) {
  *id = StreamId{};
  if (!h.live) return true;
  StreamState st;
  if (!LoadState(env, h, &st)) return false;
  *id = st.last_id;
  return true;
}

void XgroupCreate(Env& env, Argv argv, Handle* h, bool exists, int64_t entries_read) {
  StreamId id;
  if (argv[4] == "$") {
    if (!LastId(env, *h, &id)) return;
  } else if (!StrictId(env, argv[4], &id)) {
    return;
  }
  if (exists) return env.out.Error("BUSYGROUP Consumer Group name already exists");
  WriteTxn txn(&env.ks);
  if (!h->live) {
    StreamState st;
    CreateStream(env, h, &st);
    PutState(txn, *h, st);
  }
  PutGroup(txn, *h, argv[3], GroupState{id, entries_read, 0});
  coll::SaveMeta(env, txn, h);
  if (!env.Commit(txn)) return;
  env.out.Ok();
}

void XgroupSetid(Env& env, Argv argv, Handle* h, GroupState g, int64_t entries_read) {
  StreamId id;
  if (argv[4] == "$") {
    if (!LastId(env, *h, &id)) return;
  } else {
    auto v = ParseId(argv[4], 0, /*allow_specials=*/true);
    if (!v) return env.out.Error(kInvalidId);
    id = *v;
  }
  g.last_delivered = id;
  g.entries_read = entries_read;
  WriteTxn txn(&env.ks);
  PutGroup(txn, *h, argv[3], g);
  coll::SaveMeta(env, txn, h);
  if (!env.Commit(txn)) return;
  env.out.Ok();
}

void XgroupDestroy(Env& env, Handle* h, std::string_view group, bool exists) {
  if (!exists) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  txn.DeleteSub(SubKey(*h, kTagGroup, group));
  const std::string part = GroupPart(group);
  for (char tag : {kTagConsumer, kTagPending, kTagConsumerPending}) {
    if (!DeletePrefix(env, txn, SubKey(*h, tag, part))) return;
  }
  coll::SaveMeta(env, txn, h);
  if (!env.Commit(txn)) return;
  // Readers blocked on the group get their error now.
  env.NoteReady(h->ref.key);
  env.out.Integer(1);
}

void XgroupCreateConsumer(Env& env, Handle* h, std::string_view group, std::string_view name) {
  std::optional<ConsumerState> c;
  if (!LoadConsumer(env, *h, group, name, &c)) return;
  if (c) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  PutConsumer(txn, *h, group, name, ConsumerState{env.now_ms, -1, 0});
  coll::SaveMeta(env, txn, h);
  if (!env.Commit(txn)) return;
  env.out.Integer(1);
}

// Deletes the consumer and its PEL entries; replies how many it had.
void XgroupDelConsumer(Env& env, Handle* h, std::string_view group, GroupState g,
                       std::string_view name) {
  std::optional<ConsumerState> c;
  if (!LoadConsumer(env, *h, group, name, &c)) return;
  if (!c) return env.out.Integer(0);
  WriteTxn txn(&env.ks);
  const std::string prefix = SubKey(*h, kTagConsumerPending, ConsumerPendingPrefix(group, name));
  Cursor cur(env, prefix, PrefixEnd(prefix), false);
  uint64_t n = 0;
  for (; cur.Valid(); cur.Next()) {
    txn.DeleteSub(PendingKey(*h, group, StreamId::Decode(cur.suffix(prefix.size()))));
    txn.DeleteSub(std::string(cur.key()));
    ++n;
  }
  if (!cur.Ok(env)) return;
  txn.DeleteSub(SubKey(*h, kTagConsumer, ConsumerRest(group, name)));
  g.pending -= std::min(n, g.pending);
  PutGroup(txn, *h, group, g);
  coll::SaveMeta(env, txn, h);
  if (!env.Commit(txn)) return;
  env.out.Integer(static_cast<int64_t>(n));
}

// XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...
void Xgroup(Env& env, Argv argv) {
  if (argv.size() < 2) return WrongArity(env, argv[0]);
  const std::string_view sub = argv[1];
  const bool help = Is(sub, "help"), create = Is(sub, "create"), setid = Is(sub, "setid"),
             destroy = Is(sub, "destroy"), add_consumer = Is(sub, "createconsumer"),
             del_consumer = Is(sub, "delconsumer");
  if (!help && !create && !setid && !destroy && !add_consumer && !del_consumer) {
    return env.out.Error("ERR unknown subcommand '" + std::string(sub) + "'. Try XGROUP HELP.");
  }
  const size_t n = argv.size();
  const bool arity_ok = help ? n == 2 : create || setid ? n >= 5 : destroy ? n == 4 : n == 5;
  if (!arity_ok) return WrongArity(env, "xgroup|" + std::string(sub));
  if (help) return XgroupHelp(env);

  // Redis checks the options before it looks at the key.
  bool mkstream = false;
  int64_t entries_read = -1;
  if (create || setid) {
    for (size_t i = 5; i < n; ++i) {
      if (create && Is(argv[i], "mkstream")) {
        mkstream = true;
      } else if (Is(argv[i], "entriesread") && i + 1 < n) {
        auto v = coll::Int(env, argv[++i]);
        if (!v) return;
        if (*v < 0 && *v != -1) {
          return env.out.Error("ERR value for ENTRIESREAD must be positive or -1");
        }
        entries_read = *v;
      } else {
        return XgroupSyntaxError(env, sub);
      }
    }
  }

  const std::string_view key = argv[2], group = argv[3];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live && !mkstream) return env.out.Error(kXgroupNeedsKey);
  std::optional<GroupState> g;
  if (h.live && !LoadGroup(env, h, group, &g)) return;
  if (!g && (setid || add_consumer || del_consumer)) {
    return env.out.Error("NOGROUP No such consumer group '" + std::string(group) +
                         "' for key name '" + std::string(key) + "'");
  }
  // Repeated options get past the loop above; Redis refuses them here.
  if ((create && n > 8) || (setid && n != 5 && n != 7)) return XgroupSyntaxError(env, sub);
  if (create) return XgroupCreate(env, argv, &h, g.has_value(), entries_read);
  if (setid) return XgroupSetid(env, argv, &h, *g, entries_read);
  if (destroy) return XgroupDestroy(env, &h, group, g.has_value());
  if (add_consumer) return XgroupCreateConsumer(env, &h, group, argv[4]);
  XgroupDelConsumer(env, &h, group, *g, argv[4]);
}

// ---- XREADGROUP ----

// BLOCK's value, checked as Redis checks it (milliseconds).
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
  // As XREAD (and Redis 7.2): the deadline must not overflow.
  if (*v > std::numeric_limits<int64_t>::max() - env.now_ms) {
    env.out.Error("ERR timeout is out of range");
    return false;
  }
  return true;
}

// One stream key of an XREADGROUP (a key named twice is one source).
struct ReadSource {
  Handle h;
  std::optional<GroupEdit> edit;
  std::optional<StreamFacts> facts;  // loaded when entries are delivered
};

// ">": hands the entries (new to the group) to `consumer`.
bool DeliverNew(Env& env, ReadSource* s, std::string_view consumer, bool noack,
                const Entries& entries) {
  GroupEdit& e = *s->edit;
  ConsumerState* c = e.FindOrCreate(consumer);
  if (c == nullptr) return false;
  c->seen_ms = env.now_ms;
  if (!s->facts) {
    s->facts.emplace();
    if (!LoadFacts(env, s->h, &*s->facts)) return false;
  }
  for (const auto& entry : entries) {
    const StreamId id = entry.first;
    NoteDelivered(*s->facts, &e.state(), id);
    if (noack) continue;
    // After XGROUP SETID moved the group back, the entry may be pending
    // already: it changes hands and starts over.
    std::optional<PendingEntry> old;
    if (!e.Pending(id, &old)) return false;
    if (!e.SetPending(id, old, PendingEntry{env.now_ms, 1, std::string(consumer)})) return false;
    c->active_ms = env.now_ms;
  }
  return true;
}

// An explicit ID: the consumer's pending entries after `after`, each
// delivered once more; deleted entries come back with an empty value.
bool ReadHistory(Env& env, ReadSource* s, std::string_view consumer, StreamId after, uint64_t count,
                 Entries* out) {
  GroupEdit& e = *s->edit;
  ConsumerState* c = e.FindOrCreate(consumer);
  if (c == nullptr) return false;
  c->seen_ms = env.now_ms;
  if (!after.Incr()) return true;
  std::vector<StreamId> ids;
  if (!e.ConsumerPel(consumer, after, count, &ids)) return false;
  for (StreamId id : ids) {
    std::optional<std::string> value;
    if (!coll::GetSub(env, EntryKey(s->h, id), &value)) return false;
    if (!value) {
      out->emplace_back(id, std::string());
      continue;
    }
    std::optional<PendingEntry> p;
    if (!e.Pending(id, &p)) return false;
    if (p) {
      PendingEntry again = *p;
      again.delivery_ms = env.now_ms;
      ++again.delivery_count;
      if (!e.SetPending(id, p, again)) return false;
    }
    out->emplace_back(id, std::move(*value));
  }
  return true;
}

// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK]
//   STREAMS key [key ...] id [id ...]
void Xreadgroup(Env& env, Argv argv) {
  uint64_t count = 0;
  bool block = false, noack = false, has_group = false;
  std::string_view group, consumer;
  size_t streams_at = 0;
  for (size_t i = 1; i < argv.size(); ++i) {
    const size_t more = argv.size() - i - 1;
    const std::string_view opt = argv[i];
    if (Is(opt, "block") && more > 0) {
      if (!BlockMsOk(env, argv[++i])) return;
      block = true;
    } else if (Is(opt, "count") && more > 0) {
      auto v = coll::Int(env, argv[++i]);
      if (!v) return;
      count = *v < 0 ? 0 : static_cast<uint64_t>(*v);
    } else if (Is(opt, "streams") && more > 0) {
      streams_at = i + 1;
      if ((argv.size() - streams_at) % 2 != 0) {
        return env.out.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      break;
    } else if (Is(opt, "group") && more >= 2) {
      group = argv[i + 1];
      consumer = argv[i + 2];
      has_group = true;
      i += 2;
    } else if (Is(opt, "noack")) {
      noack = true;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  if (streams_at == 0) return env.out.Error(errors::kSyntax);
  if (!has_group) return env.out.Error("ERR Missing GROUP option for XREADGROUP");
  const size_t n = (argv.size() - streams_at) / 2;
  const Argv keys = argv.subspan(streams_at, n);
  auto lock = coll::LockKeys(env, keys);

  // Check every stream (type, group, ID, in that order) before serving any.
  WriteTxn txn(&env.ks);
  std::map<std::string_view, std::unique_ptr<ReadSource>> sources;
  std::vector<ReadSource*> source_of(n);
  std::vector<std::optional<StreamId>> after(n);  // nullopt: ">"
  for (size_t i = 0; i < n; ++i) {
    auto& s = sources[keys[i]];
    if (!s) {
      s = std::make_unique<ReadSource>();
      if (!OpenStream(env, keys[i], &s->h)) return;
      std::optional<GroupState> g;
      if (s->h.live && !LoadGroup(env, s->h, group, &g)) return;
      // A blocked reader's retry: the key or group went away meanwhile.
      if (env.retry && !s->h.live)
        return env.out.Error("UNBLOCKED the stream key no longer exists");
      if (env.retry && !g) {
        return env.out.Error(
            "NOGROUP the consumer group this client was blocked on no longer exists");
      }
      if (!g) {
        return env.out.Error("NOGROUP No such key '" + std::string(keys[i]) +
                             "' or consumer group '" + std::string(group) +
                             "' in XREADGROUP with GROUP option");
      }
      s->edit.emplace(env, s->h, group, *g, txn);
    }
    source_of[i] = s.get();
    const std::string_view arg = argv[streams_at + n + i];
    if (arg == "$") {
      return env.out.Error(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
          "history of this consumer by specifying a proper ID, or use the > ID to get new "
          "messages. The $ ID would just return an empty result set.");
    }
    if (arg == ">") continue;
    StreamId id;
    if (!StrictId(env, arg, &id)) return;
    // Redis spells ">" as the largest ID: that ID reads as ">" too.
    if (id != StreamId::Max()) after[i] = id;
  }

  struct Served {
    std::string_view key;
    Entries entries;
  };
  std::vector<Served> served;
  for (size_t i = 0; i < n; ++i) {
    ReadSource* s = source_of[i];
    Entries entries;
    if (after[i]) {
      if (!ReadHistory(env, s, consumer, *after[i], count, &entries)) return;
    } else {
      StreamId from = s->edit->state().last_delivered;
      if (!from.Incr()) continue;
      if (!RangeEntries(env, s->h, from, StreamId::Max(), false, count, &entries)) return;
      // Nothing new: this stream is left out of the reply.
      if (entries.empty()) continue;
      if (!DeliverNew(env, s, consumer, noack, entries)) return;
    }
    served.push_back({keys[i], std::move(entries)});
  }

  bool changed = false;
  for (auto& [key, s] : sources) {
    if (!s->edit->changed()) continue;
    s->edit->Finish();
    coll::SaveMeta(env, txn, &s->h);
    changed = true;
  }
  if (changed && !env.Commit(txn)) return;
  if (served.empty()) {
    // Only ">" streams get here (history always answers).
    if (block) env.would_block = true;
    return env.out.NullArray();
  }
  const bool map = env.out.resp3();
  if (map) {
    env.out.MapHeader(static_cast<int64_t>(served.size()));
  } else {
    env.out.ArrayHeader(static_cast<int64_t>(served.size()));
  }
  for (const auto& sv : served) {
    if (!map) env.out.ArrayHeader(2);
    env.out.Bulk(sv.key);
    ReplyEntries(env, sv.entries);
  }
}

// ---- XACK ----

// XACK key group id [id ...]
void Xack(Env& env, Argv argv) {
  const std::string_view key = argv[1], group = argv[2];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::optional<GroupState> g;
  if (!LoadGroup(env, h, group, &g)) return;
  if (!g) return env.out.Integer(0);
  // All IDs are checked first: an error must not follow partial work.
  std::vector<StreamId> ids(argv.size() - 3);
  for (size_t i = 3; i < argv.size(); ++i) {
    if (!StrictId(env, argv[i], &ids[i - 3])) return;
  }
  WriteTxn txn(&env.ks);
  GroupEdit e(env, h, group, *g, txn);
  int64_t acked = 0;
  for (StreamId id : ids) {
    std::optional<PendingEntry> p;
    if (!e.Pending(id, &p)) return;
    if (!p) continue;
    if (!e.RemovePending(id, *p)) return;
    ++acked;
  }
  if (e.changed()) {
    e.Finish();
    coll::SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.Integer(acked);
}

// ---- XPENDING ----

void XpendingSummary(Env& env, const Handle& h, std::string_view group, const GroupState& g) {
  const std::string pel = SubKey(h, kTagPending, GroupPart(group));
  std::optional<StreamId> first, last;
  for (bool reverse : {false, true}) {
    Cursor c(env, pel, PrefixEnd(pel), reverse);
    if (c.Valid()) (reverse ? last : first) = StreamId::Decode(c.suffix(pel.size()));
    if (!c.Ok(env)) return;
  }
  // Consumers with something pending, by name.
  std::vector<std::pair<std::string, uint64_t>> owners;
  if (first) {
    const std::string prefix = SubKey(h, kTagConsumer, GroupPart(group));
    Cursor c(env, prefix, PrefixEnd(prefix), false);
    for (; c.Valid(); c.Next()) {
      auto cs = DecodeConsumer(c.value());
      if (!cs) return ReplyCorrupt(env, "consumer");
      if (cs->pending > 0) owners.emplace_back(c.suffix(prefix.size()), cs->pending);
    }
    if (!c.Ok(env)) return;
  }
  env.out.ArrayHeader(4);
  env.out.Integer(static_cast<int64_t>(g.pending));
  if (!first || !last) {
    env.out.Null();
    env.out.Null();
    return env.out.NullArray();
  }
  ReplyId(env, *first);
  ReplyId(env, *last);
  env.out.ArrayHeader(static_cast<int64_t>(owners.size()));
  for (const auto& [name, pending] : owners) {
    env.out.ArrayHeader(2);
    env.out.Bulk(name);
    // A bulk string, as Redis replies it.
    env.out.Bulk(std::to_string(pending));
  }
}

struct PendingRow {
  StreamId id;
  PendingEntry p;
};

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void Xpending(Env& env, Argv argv) {
  const size_t n = argv.size();
  const bool summary = n == 3;
  if (!summary && (n < 6 || n > 9)) return env.out.Error(errors::kSyntax);
  int64_t min_idle = 0, count = 0;
  StreamId start, end;
  std::optional<std::string_view> consumer;
  if (!summary) {
    size_t at = 3;
    if (Is(argv[3], "idle")) {
      auto v = coll::Int(env, argv[4]);
      if (!v) return;
      min_idle = *v;
      if (n < 8) return env.out.Error(errors::kSyntax);
      at += 2;
    }
    auto c = coll::Int(env, argv[at + 2]);
    if (!c) return;
    count = std::max<int64_t>(*c, 0);
    if (!RangeBound(env, argv[at], true, &start)) return;
    if (!RangeBound(env, argv[at + 1], false, &end)) return;
    // Redis ignores what follows the consumer.
    if (at + 3 < n) consumer = argv[at + 3];
  }

  const std::string_view key = argv[1], group = argv[2];
  Locked l(env, key);
  Handle h;
  if (!OpenStream(env, key, &h)) return;
  std::optional<GroupState> g;
  if (h.live && !LoadGroup(env, h, group, &g)) return;
  if (!g) return env.out.Error(NoGroup(key, group));
  if (summary) return XpendingSummary(env, h, group, *g);

  std::vector<PendingRow> rows;
  auto take = [&](StreamId id, PendingEntry p) {
    if (min_idle != 0 && env.now_ms - p.delivery_ms < min_idle) return;
    rows.push_back({id, std::move(p)});
  };
  if (consumer) {
    std::optional<ConsumerState> cs;
    if (!LoadConsumer(env, h, group, *consumer, &cs)) return;
    if (!cs) return env.out.ArrayHeader(0);
    const std::string prefix =
        SubKey(h, kTagConsumerPending, ConsumerPendingPrefix(group, *consumer));
    Cursor c(env, ConsumerPendingKey(h, group, *consumer, start),
             UpTo(ConsumerPendingKey(h, group, *consumer, end)), false);
    for (; c.Valid() && static_cast<int64_t>(rows.size()) < count; c.Next()) {
      const StreamId id = StreamId::Decode(c.suffix(prefix.size()));
      std::optional<std::string> v;
      if (!coll::GetSub(env, PendingKey(h, group, id), &v)) return;
      if (!v) continue;
      auto p = DecodePending(*v);
      if (!p) return ReplyCorrupt(env, "pending entry");
      take(id, std::move(*p));
    }
    if (!c.Ok(env)) return;
  } else {
    const std::string prefix = SubKey(h, kTagPending, GroupPart(group));
    Cursor c(env, PendingKey(h, group, start), UpTo(PendingKey(h, group, end)), false);
    for (; c.Valid() && static_cast<int64_t>(rows.size()) < count; c.Next()) {
      auto p = DecodePending(c.value());
      if (!p) return ReplyCorrupt(env, "pending entry");
      take(StreamId::Decode(c.suffix(prefix.size())), std::move(*p));
    }
    if (!c.Ok(env)) return;
  }
  env.out.ArrayHeader(static_cast<int64_t>(rows.size()));
  for (const auto& r : rows) {
    env.out.ArrayHeader(4);
    ReplyId(env, r.id);
    env.out.Bulk(r.p.consumer);
    env.out.Integer(std::max<int64_t>(env.now_ms - r.p.delivery_ms, 0));
    env.out.Integer(static_cast<int64_t>(r.p.delivery_count));
  }
}

// ---- XCLAIM, XAUTOCLAIM ----

// Opens `key` and its group for XCLAIM / XAUTOCLAIM: false after replying
// WRONGTYPE, NOGROUP or a storage error.
bool OpenGroup(Env& env, std::string_view key, std::string_view group, Handle* h,
               std::optional<GroupState>* g) {
  if (!OpenStream(env, key, h)) return false;
  if (h->live && !LoadGroup(env, *h, group, g)) return false;
  if (!*g) {
    env.out.Error(NoGroup(key, group));
    return false;
  }
  return true;
}

// Claimed entries: IDs only (JUSTID) or whole entries.
void ReplyClaimed(Env& env, const Entries& claimed, bool justid) {
  if (!justid) return ReplyEntries(env, claimed);
  env.out.ArrayHeader(static_cast<int64_t>(claimed.size()));
  for (const auto& entry : claimed) ReplyId(env, entry.first);
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
//   [TIME unix-time-ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]
void Xclaim(Env& env, Argv argv) {
  const std::string_view key = argv[1], group = argv[2], consumer = argv[3];
  Locked l(env, key);
  Handle h;
  std::optional<GroupState> g;
  if (!OpenGroup(env, key, group, &h, &g)) return;
  auto min_idle = ParseInt64(argv[4]);
  if (!min_idle) return env.out.Error("ERR Invalid min-idle-time argument for XCLAIM");
  if (*min_idle < 0) min_idle = 0;

  // The IDs run up to the first argument that is not one: the options.
  size_t j = 5;
  std::vector<StreamId> ids;
  for (; j < argv.size(); ++j) {
    auto id = ParseId(argv[j], 0, /*allow_specials=*/false);
    if (!id) break;
    ids.push_back(*id);
  }
  const int64_t now = env.now_ms;
  int64_t delivery_ms = -1, retry_count = -1;
  bool force = false, justid = false;
  StreamId last_id;
  for (; j < argv.size(); ++j) {
    const bool more = j + 1 < argv.size();
    const std::string_view opt = argv[j];
    if (Is(opt, "force")) {
      force = true;
    } else if (Is(opt, "justid")) {
      justid = true;
    } else if (Is(opt, "idle") && more) {
      auto v = ParseInt64(argv[++j]);
      if (!v) return env.out.Error("ERR Invalid IDLE option argument for XCLAIM");
      // Out of [0, now] means now below: say so without overflowing.
      delivery_ms = *v < 0 || *v > now ? now : now - *v;
    } else if (Is(opt, "time") && more) {
      auto v = ParseInt64(argv[++j]);
      if (!v) return env.out.Error("ERR Invalid TIME option argument for XCLAIM");
      delivery_ms = *v;
    } else if (Is(opt, "retrycount") && more) {
      auto v = ParseInt64(argv[++j]);
      if (!v) return env.out.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      retry_count = *v;
    } else if (Is(opt, "lastid") && more) {
      if (!StrictId(env, argv[++j], &last_id)) return;
    } else {
      return env.out.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  // A bogus time (say, a client's clock ahead of ours) is taken as now.
  if (delivery_ms < 0 || delivery_ms > now) delivery_ms = now;

  WriteTxn txn(&env.ks);
  GroupEdit e(env, h, group, *g, txn);
  if (last_id > e.state().last_delivered) {
    e.state().last_delivered = last_id;
    e.MarkChanged();
  }
  ConsumerState* c = nullptr;
  Entries claimed;
  for (StreamId id : ids) {
    std::optional<std::string> value;
    if (!coll::GetSub(env, EntryKey(h, id), &value)) return;
    std::optional<PendingEntry> p;
    if (!e.Pending(id, &p)) return;
    if (!value) {
      // The entry was deleted: its PEL entry goes (Redis 7).
      if (p && !e.RemovePending(id, *p)) return;
      continue;
    }
    // FORCE makes a PEL entry for an entry that has none (any idle time).
    const bool made = force && !p;
    if (!p && !made) continue;
    if (!made && *min_idle != 0 && now - p->delivery_ms < *min_idle) continue;
    if (c == nullptr) {
      c = e.FindOrCreate(consumer);
      if (c == nullptr) return;
      c->seen_ms = now;
    }
    PendingEntry next = made ? PendingEntry{now, 1, {}} : *p;
    next.delivery_ms = delivery_ms;
    if (retry_count >= 0) {
      next.delivery_count = static_cast<uint64_t>(retry_count);
    } else if (!justid) {
      ++next.delivery_count;
    }
    next.consumer = std::string(consumer);
    if (!e.SetPending(id, made ? std::nullopt : p, next)) return;
    c->active_ms = now;
    claimed.emplace_back(id, justid ? std::string() : std::move(*value));
  }
  if (e.changed()) {
    e.Finish();
    coll::SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  ReplyClaimed(env, claimed, justid);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void Xautoclaim(Env& env, Argv argv) {
  auto min_idle = ParseInt64(argv[4]);
  if (!min_idle) return env.out.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (*min_idle < 0) min_idle = 0;
  StreamId start;
  if (!RangeBound(env, argv[5], true, &start)) return;
  // Redis's cap: count times its attempts factor must fit.
  constexpr int64_t kMaxCount = std::numeric_limits<int64_t>::max() / 16;
  constexpr int64_t kAttemptsPerCount = 10;
  int64_t count = 100;
  bool justid = false;
  for (size_t j = 6; j < argv.size(); ++j) {
    const bool more = j + 1 < argv.size();
    if (Is(argv[j], "count") && more) {
      auto v = coll::RangeInt(env, argv[++j], 1, kMaxCount, "ERR COUNT must be > 0");
      if (!v) return;
      count = *v;
    } else if (Is(argv[j], "justid")) {
      justid = true;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }

  const std::string_view key = argv[1], group = argv[2], consumer = argv[3];
  Locked l(env, key);
  Handle h;
  std::optional<GroupState> g;
  if (!OpenGroup(env, key, group, &h, &g)) return;

  const int64_t now = env.now_ms;
  WriteTxn txn(&env.ks);
  GroupEdit e(env, h, group, *g, txn);
  ConsumerState* c = nullptr;
  Entries claimed;
  std::vector<StreamId> deleted;
  const std::string prefix = SubKey(h, kTagPending, GroupPart(group));
  Cursor cur(env, PendingKey(h, group, start), PrefixEnd(prefix), false);
  // Entries looked at, claimed or not: bounds the work of one call.
  int64_t attempts = count * kAttemptsPerCount;
  for (; attempts > 0 && count > 0 && cur.Valid(); --attempts, cur.Next()) {
    const StreamId id = StreamId::Decode(cur.suffix(prefix.size()));
    auto p = DecodePending(cur.value());
    if (!p) return ReplyCorrupt(env, "pending entry");
    std::optional<std::string> value;
    if (!coll::GetSub(env, EntryKey(h, id), &value)) return;
    if (!value) {
      if (!e.RemovePending(id, *p)) return;
      deleted.push_back(id);
      --count;
      continue;
    }
    if (*min_idle != 0 && now - p->delivery_ms < *min_idle) continue;
    if (c == nullptr) {
      c = e.FindOrCreate(consumer);
      if (c == nullptr) return;
      c->seen_ms = now;
    }
    PendingEntry next = *p;
    next.delivery_ms = now;
    if (!justid) ++next.delivery_count;
    next.consumer = std::string(consumer);
    if (!e.SetPending(id, p, next)) return;
    c->active_ms = now;
    claimed.emplace_back(id, justid ? std::string() : std::move(*value));
    --count;
  }
  if (!cur.Ok(env)) return;
  // The next call starts where this one stopped; 0-0 when it saw the end.
  const StreamId next = cur.Valid() ? StreamId::Decode(cur.suffix(prefix.size())) : StreamId{};
  if (e.changed()) {
    e.Finish();
    coll::SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
  }
  env.out.ArrayHeader(3);
  ReplyId(env, next);
  ReplyClaimed(env, claimed, justid);
  env.out.ArrayHeader(static_cast<int64_t>(deleted.size()));
  for (StreamId id : deleted) ReplyId(env, id);
}

constexpr coll::CmdImpl kImpls[] = {
    {"xgroup", Xgroup},     {"xreadgroup", Xreadgroup}, {"xack", Xack},
    {"xpending", Xpending}, {"xclaim", Xclaim},         {"xautoclaim", Xautoclaim},
};

}  // namespace
}  // namespace shoal::storage::stream

namespace shoal::storage::coll {

std::span<const CmdImpl> StreamGroupImpls() { return stream::kImpls; }

}  // namespace shoal::storage::coll
