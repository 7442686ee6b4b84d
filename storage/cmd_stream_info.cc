// XINFO STREAM / GROUPS / CONSUMERS / HELP (Redis 7.2's fields): what a
// stream holds, and the groups, consumers and PELs that
// storage/cmd_stream_group.cc and storage/cmd_stream_pending.cc write.
//
// Redis's radix-tree sizes have no counterpart here: XINFO STREAM reports
// plausible ones for the length.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/cmd_stream_impl.h"

namespace shoal::storage::stream {
namespace {

void ReplyOptInt(Env& env, std::optional<int64_t> v) {
  if (v) return env.out.Integer(*v);
  env.out.Null();
}

// A group's "entries-read" and "lag" fields (null when unknown).
void ReplyReadCounters(Env& env, const StreamFacts& f, const GroupState& g) {
  env.out.Bulk("entries-read");
  ReplyOptInt(env, g.entries_read == -1 ? std::nullopt : std::optional<int64_t>(g.entries_read));
  env.out.Bulk("lag");
  ReplyOptInt(env, GroupLag(f, g));
}

// XINFO STREAM FULL's "pel-count" and "pending" of a group or a consumer:
// the PEL's size and its first entries as [id, (consumer,) delivery time,
// delivery count].
void ReplyPel(Env& env, uint64_t pel_count, const std::vector<PelItem>& pel, bool with_consumer) {
  env.out.Bulk("pel-count");
  env.out.Integer(static_cast<int64_t>(pel_count));
  env.out.Bulk("pending");
  env.out.ArrayHeader(static_cast<int64_t>(pel.size()));
  for (const auto& item : pel) {
    env.out.ArrayHeader(with_consumer ? 4 : 3);
    ReplyId(env, item.id);
    if (with_consumer) env.out.Bulk(item.p.consumer);
    env.out.Integer(item.p.delivery_ms);
    env.out.Integer(static_cast<int64_t>(item.p.delivery_count));
  }
}

// Redis's radix tree of listpacks holds up to 100 entries a node; these
// are plausible sizes for it, not real ones.
int64_t RadixKeys(uint64_t length) { return static_cast<int64_t>((length + 99) / 100); }
int64_t RadixNodes(uint64_t length) { return length == 0 ? 1 : 2 * RadixKeys(length); }

// The first `count` (0: all) entries of a group's PEL.
bool LoadGroupPel(Env& env, const Handle& h, std::string_view group, uint64_t count,
                  std::vector<PelItem>* out) {
  const std::string prefix = SubKey(h, kTagPending, GroupPart(group));
  Cursor c(env, prefix, PrefixEnd(prefix), false);
  for (; c.Valid() && (count == 0 || out->size() < count); c.Next()) {
    auto p = DecodePending(c.value());
    if (!p) {
      ReplyCorrupt(env, "pending entry");
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
    if (!coll::GetSub(env, PendingKey(h, group, id), &v)) return false;
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

// XINFO STREAM key [FULL [COUNT count]]
void XinfoStream(Env& env, Argv argv, const Handle& h) {
  Argv opts = argv.subspan(3);
  bool full = false;
  int64_t count = 10;
  if (!opts.empty()) {
    if ((opts.size() != 1 && opts.size() != 3) || !Is(opts[0], "full")) {
      return ReplySubcommandSyntax(env, "XINFO", argv[1]);
    }
    full = true;
    if (opts.size() == 3) {
      if (!Is(opts[1], "count")) return ReplySubcommandSyntax(env, "XINFO", argv[1]);
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
    ReplyReadCounters(env, f, g);
    ReplyPel(env, g.pending, pel, /*with_consumer=*/true);
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
      ReplyPel(env, c.pending, cpel, /*with_consumer=*/false);
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
    const GroupState& g = groups[i].state;
    env.out.MapHeader(6);
    env.out.Bulk("name");
    env.out.Bulk(groups[i].name);
    env.out.Bulk("consumers");
    env.out.Integer(static_cast<int64_t>(consumer_counts[i]));
    env.out.Bulk("pending");
    env.out.Integer(static_cast<int64_t>(g.pending));
    env.out.Bulk("last-delivered-id");
    ReplyId(env, g.last_delivered);
    ReplyReadCounters(env, f, g);
  }
}

// XINFO CONSUMERS key group (Redis 7.2's fields, "inactive" included).
void XinfoConsumers(Env& env, Argv argv, const Handle& h) {
  std::string_view group = argv[3];
  std::optional<GroupState> g;
  if (!LoadGroup(env, h, group, &g)) return;
  if (!g) {
    return env.out.Error(NoSuchGroup(argv[2], group));
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
  ReplyHelp(env, kLines);
}

}  // namespace

// XINFO CONSUMERS|GROUPS|STREAM|HELP ...
void Xinfo(Env& env, Argv argv) {
  if (argv.size() < 2) return WrongArity(env, argv[0]);
  std::string_view sub = argv[1];
  const bool help = Is(sub, "help");
  const bool stream = Is(sub, "stream");
  const bool groups = Is(sub, "groups");
  const bool consumers = Is(sub, "consumers");
  if (!help && !stream && !groups && !consumers) {
    return ReplyUnknownSubcommand(env, "XINFO", sub);
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

}  // namespace shoal::storage::stream
