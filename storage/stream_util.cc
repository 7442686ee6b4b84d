#include "storage/stream_util.h"

namespace shoal::storage::stream {
namespace {

using coll::Cursor;
using coll::SubKey;
using coll::SubPrefix;

void ReplyCorrupt(Env& env, std::string_view what) {
  std::string msg = errors::kStoragePrefix;
  msg.append("bad stream ").append(what);
  env.out.Error(msg);
}

// The exclusive upper bound of the entry keys <= `hi`: entry keys are the
// prefix plus exactly 16 bytes, so one more byte sorts right after.
std::string EntryEnd(const Handle& h, StreamId hi) {
  std::string k = EntryKey(h, hi);
  k.push_back('\0');
  return k;
}

// The first or last entry ID of `h`.
bool EdgeEntryId(Env& env, const Handle& h, bool last, std::optional<StreamId>* id) {
  id->reset();
  const std::string prefix = SubPrefix(h, kTagEntry);
  Cursor c(env, prefix, coll::PrefixEnd(prefix), last);
  if (c.Valid()) *id = StreamId::Decode(c.suffix(prefix.size()));
  return c.Ok(env);
}

}  // namespace

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

std::string EntryKey(const Handle& h, StreamId id) { return SubKey(h, kTagEntry, id.Encode()); }

bool RangeEntries(Env& env, const Handle& h, StreamId lo, StreamId hi, bool reverse, uint64_t count,
                  Entries* out) {
  if (lo > hi) return true;
  const std::string start = EntryKey(h, lo);
  const size_t prefix_len = start.size() - 16;
  Cursor c(env, start, EntryEnd(h, hi), reverse);
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

}  // namespace shoal::storage::stream
