// Stream consumer-group commands (Redis 7 semantics): XGROUP, XREADGROUP,
// XACK, and the table of every consumer-group command (XPENDING, XCLAIM,
// XAUTOCLAIM: storage/cmd_stream_pending.cc). Record layouts:
// storage/stream.h; how a command changes a group: storage/cmd_stream_group_edit.h.
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
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/cmd_stream_group_edit.h"
#include "storage/cmd_stream_impl.h"

namespace shoal::storage::stream {
namespace {

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
  ReplyHelp(env, kLines);
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
    return ReplyUnknownSubcommand(env, "XGROUP", sub);
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
        return ReplySubcommandSyntax(env, "XGROUP", sub);
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
    return env.out.Error(NoSuchGroup(key, group));
  }
  // Repeated options get past the loop above; Redis refuses them here.
  if ((create && n > 8) || (setid && n != 5 && n != 7))
    return ReplySubcommandSyntax(env, "XGROUP", sub);
  if (create) return XgroupCreate(env, argv, &h, g.has_value(), entries_read);
  if (setid) return XgroupSetid(env, argv, &h, *g, entries_read);
  if (destroy) return XgroupDestroy(env, &h, group, g.has_value());
  if (add_consumer) return XgroupCreateConsumer(env, &h, group, argv[4]);
  XgroupDelConsumer(env, &h, group, *g, argv[4]);
}

// ---- XREADGROUP ----

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
  ConsumerState* c = e.Touch(consumer);
  if (c == nullptr) return false;
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
  ConsumerState* c = e.Touch(consumer);
  if (c == nullptr) return false;
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
  ReadArgs a;
  if (!ParseReadArgs(env, argv, /*xreadgroup=*/true, &a)) return;
  const std::string_view group = a.group, consumer = a.consumer;
  const Argv keys = a.keys;
  const size_t n = keys.size();
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
        return env.out.Error(NoGroup(keys[i], group) + " in XREADGROUP with GROUP option");
      }
      s->edit.emplace(env, &s->h, group, *g, txn);
    }
    source_of[i] = s.get();
    const std::string_view arg = a.ids[i];
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

  std::vector<KeyEntries> served;
  for (size_t i = 0; i < n; ++i) {
    ReadSource* s = source_of[i];
    Entries entries;
    if (after[i]) {
      if (!ReadHistory(env, s, consumer, *after[i], a.count, &entries)) return;
    } else {
      StreamId from = s->edit->state().last_delivered;
      if (!from.Incr()) continue;
      if (!RangeEntries(env, s->h, from, StreamId::Max(), false, a.count, &entries)) return;
      // Nothing new: this stream is left out of the reply.
      if (entries.empty()) continue;
      if (!DeliverNew(env, s, consumer, a.noack, entries)) return;
    }
    served.push_back({keys[i], std::move(entries)});
  }

  bool changed = false;
  for (auto& [key, s] : sources) changed = s->edit->Finish() || changed;
  if (changed && !env.Commit(txn)) return;
  if (served.empty()) {
    // Only ">" streams get here (history always answers).
    if (a.block) env.would_block = true;
    return env.out.NullArray();
  }
  ReplyKeyEntries(env, served);
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
  GroupEdit e(env, &h, group, *g, txn);
  int64_t acked = 0;
  for (StreamId id : ids) {
    std::optional<PendingEntry> p;
    if (!e.Pending(id, &p)) return;
    if (!p) continue;
    if (!e.RemovePending(id, *p)) return;
    ++acked;
  }
  if (e.Finish() && !env.Commit(txn)) return;
  env.out.Integer(acked);
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
