// Consumer-group PEL commands (Redis 7 semantics): XPENDING, XCLAIM,
// XAUTOCLAIM. Listed by storage/cmd_stream_group.cc, whose header says how
// a group's records fit together; changes go through GroupEdit
// (storage/cmd_stream_group_edit.h).
//
// XCLAIM and XAUTOCLAIM drop the PEL entries of deleted entries (Redis 7),
// and create the claiming consumer only when they claim something.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/strutil.h"
#include "storage/cmd_stream_group_edit.h"
#include "storage/cmd_stream_impl.h"

namespace shoal::storage::stream {
namespace {

// Opens `key` and its group for XPENDING, XCLAIM and XAUTOCLAIM: false after replying
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

// XPENDING key group: the PEL's size, its first and last IDs and its owners.
void XpendingSummary(Env& env, const Handle& h, std::string_view group, const GroupState& g) {
  const std::string pel = SubKey(h, kTagPending, GroupPart(group));
  std::optional<StreamId> first, last;
  for (bool reverse : {false, true}) {
    Cursor c(env, pel, PrefixEnd(pel), reverse);
    if (c.Valid()) (reverse ? last : first) = StreamId::Decode(c.suffix(pel.size()));
    if (!c.Ok(env)) return;
  }
  // Consumers with something pending, by name.
  std::vector<NamedConsumer> owners;
  if (first) {
    if (!LoadConsumers(env, h, group, &owners)) return;
    std::erase_if(owners, [](const NamedConsumer& o) { return o.state.pending == 0; });
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
  for (const auto& [name, c] : owners) {
    env.out.ArrayHeader(2);
    env.out.Bulk(name);
    // A bulk string, as Redis replies it.
    env.out.Bulk(std::to_string(c.pending));
  }
}

// The entries one XCLAIM / XAUTOCLAIM gives to its consumer.
class Claim {
 public:
  Claim(GroupEdit& e, std::string_view consumer, bool justid)
      : e_(e), consumer_(consumer), justid_(justid) {}

  // Gives `id` (pending as `old`; nullopt when FORCE makes its PEL entry)
  // to the consumer with `next`'s delivery time and count. The consumer is
  // created (and seen) on the first claim. False after replying an error.
  bool Take(Env& env, StreamId id, const std::optional<PendingEntry>& old, PendingEntry next,
            std::string value) {
    if (c_ == nullptr) {
      c_ = e_.Touch(consumer_);
      if (c_ == nullptr) return false;
    }
    next.consumer = std::string(consumer_);
    if (!e_.SetPending(id, old, next)) return false;
    c_->active_ms = env.now_ms;
    claimed_.emplace_back(id, justid_ ? std::string() : std::move(value));
    return true;
  }

  // The claimed entries: IDs only (JUSTID) or whole entries.
  void Reply(Env& env) const {
    if (!justid_) return ReplyEntries(env, claimed_);
    env.out.ArrayHeader(static_cast<int64_t>(claimed_.size()));
    for (const auto& entry : claimed_) ReplyId(env, entry.first);
  }

 private:
  GroupEdit& e_;
  std::string_view consumer_;
  bool justid_;
  ConsumerState* c_ = nullptr;
  Entries claimed_;
};

}  // namespace

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
  std::optional<GroupState> g;
  if (!OpenGroup(env, key, group, &h, &g)) return;
  if (summary) return XpendingSummary(env, h, group, *g);

  std::vector<PelItem> rows;
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
  GroupEdit e(env, &h, group, *g, txn);
  if (last_id > e.state().last_delivered) {
    e.state().last_delivered = last_id;
    e.MarkChanged();
  }
  Claim claim(e, consumer, justid);
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
    PendingEntry next = made ? PendingEntry{now, 1, {}} : *p;
    next.delivery_ms = delivery_ms;
    if (retry_count >= 0) {
      next.delivery_count = static_cast<uint64_t>(retry_count);
    } else if (!justid) {
      ++next.delivery_count;
    }
    if (!claim.Take(env, id, made ? std::nullopt : p, std::move(next), std::move(*value))) return;
  }
  if (e.Finish() && !env.Commit(txn)) return;
  claim.Reply(env);
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
  GroupEdit e(env, &h, group, *g, txn);
  Claim claim(e, consumer, justid);
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
    PendingEntry next = *p;
    next.delivery_ms = now;
    if (!justid) ++next.delivery_count;
    if (!claim.Take(env, id, p, std::move(next), std::move(*value))) return;
    --count;
  }
  if (!cur.Ok(env)) return;
  // The next call starts where this one stopped; 0-0 when it saw the end.
  const StreamId next = cur.Valid() ? StreamId::Decode(cur.suffix(prefix.size())) : StreamId{};
  if (e.Finish() && !env.Commit(txn)) return;
  env.out.ArrayHeader(3);
  ReplyId(env, next);
  claim.Reply(env);
  env.out.ArrayHeader(static_cast<int64_t>(deleted.size()));
  for (StreamId id : deleted) ReplyId(env, id);
}

}  // namespace shoal::storage::stream
