// GroupEdit (storage/cmd_stream_group_edit.h): one command's changes to a
// consumer group, its consumers and its two PEL indexes.
#include "storage/cmd_stream_group_edit.h"

namespace shoal::storage::stream {

bool GroupEdit::Find(std::string_view name, ConsumerState** c) {
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

ConsumerState* GroupEdit::FindOrCreate(std::string_view name) {
  ConsumerState* c = nullptr;
  if (!Find(name, &c)) return nullptr;
  if (c == nullptr) {
    c = &consumers_.emplace(std::string(name), ConsumerState{env_.now_ms, -1, 0}).first->second;
    changed_ = true;
  }
  return c;
}

ConsumerState* GroupEdit::Touch(std::string_view name) {
  ConsumerState* c = FindOrCreate(name);
  if (c != nullptr) c->seen_ms = env_.now_ms;
  return c;
}

bool GroupEdit::Pending(StreamId id, std::optional<PendingEntry>* p) {
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

bool GroupEdit::SetPending(StreamId id, const std::optional<PendingEntry>& old,
                           const PendingEntry& p) {
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

bool GroupEdit::RemovePending(StreamId id, const PendingEntry& old) {
  txn_.DeleteSub(PendingKey(h_, group_, id));
  pel_[id] = std::nullopt;
  changed_ = true;
  if (g_.pending > 0) --g_.pending;
  return Disown(id, old.consumer);
}

bool GroupEdit::ConsumerPel(std::string_view consumer, StreamId start, uint64_t count,
                            std::vector<StreamId>* out) {
  const std::string prefix =
      coll::SubKey(h_, kTagConsumerPending, ConsumerPendingPrefix(group_, consumer));
  coll::Cursor c(env_, ConsumerPendingKey(h_, group_, consumer, start), coll::PrefixEnd(prefix),
                 false);
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

bool GroupEdit::Finish() {
  if (!changed_) return false;
  PutGroup(txn_, h_, group_, g_);
  for (const auto& [name, c] : consumers_) PutConsumer(txn_, h_, group_, name, c);
  coll::SaveMeta(env_, txn_, &h_);
  return true;
}

bool GroupEdit::Disown(StreamId id, std::string_view consumer) {
  txn_.DeleteSub(ConsumerPendingKey(h_, group_, consumer, id));
  ConsumerState* c = nullptr;
  if (!Find(consumer, &c)) return false;
  if (c != nullptr && c->pending > 0) --c->pending;
  return true;
}

}  // namespace shoal::storage::stream
