// Apply functions of the generic key commands (Redis 7 semantics).
#include <unordered_set>

#include "core/strutil.h"
#include "storage/apply.h"
#include "storage/coll.h"

namespace shoal::storage::internal {

void ApplyDel(ApplyCtx& c) {
  std::vector<KeyRef> refs;
  std::unordered_set<std::string_view> seen;
  for (auto key : c.op.args) {
    if (seen.insert(key).second) refs.push_back(Keyspace::Ref(key));
  }
  auto lock = c.ks.LockKeys(refs);
  WriteTxn txn(&c.ks);
  int64_t deleted = 0;
  for (const auto& k : refs) {
    Loaded old;
    if (!Load(c, k, &old)) return;
    if (!old.rec) continue;
    // An expired record is removed too, but it does not count as deleted.
    if (old.live) ++deleted;
    txn.Delete(k, *old.rec);
  }
  if (!c.Commit(txn)) return;
  c.reply.Integer(deleted);
}

void ApplyExpire(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (!old.live) return c.reply.Integer(0);
  const int64_t when = c.op.num;
  const int64_t cur = old.rec->expire_at_ms;  // 0 = persistent = infinite
  const uint32_t f = c.op.flags;
  if ((f & op_flags::kExpNx) && cur != 0) return c.reply.Integer(0);
  if ((f & op_flags::kExpXx) && cur == 0) return c.reply.Integer(0);
  if ((f & op_flags::kExpGt) && (cur == 0 || when <= cur)) return c.reply.Integer(0);
  if ((f & op_flags::kExpLt) && cur != 0 && when >= cur) return c.reply.Integer(0);
  WriteTxn txn(&c.ks);
  if (when <= c.op.now_ms) {
    txn.Delete(k, *old.rec);
  } else {
    std::string value(old.rec->value);
    txn.Put(k, old.rec->type, when, value, &*old.rec);
  }
  if (!c.Commit(txn)) return;
  c.reply.Integer(1);
}

void ApplyPersist(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (!old.live || old.rec->expire_at_ms == 0) return c.reply.Integer(0);
  std::string value(old.rec->value);
  WriteTxn txn(&c.ks);
  txn.Put(k, old.rec->type, 0, value, &*old.rec);
  if (!c.Commit(txn)) return;
  c.reply.Integer(1);
}

namespace {

// RENAME/COPY of a collection: its members are stored under the key's name,
// so they are copied to the destination under a fresh version (O(N), as
// Redis's COPY; RENAME is O(N) here too). `payload` becomes the new
// metadata. Strings need nothing.
bool CopyMembers(ApplyCtx& c, const KeyRef& src_ref, const KeyRef& dst_ref, const Loaded& src,
                 std::string* payload, WriteTxn& txn) {
  if (!IsCollection(src.rec->type)) return true;
  coll::Env env{c.ks, c.op.now_ms, 0, c.reply, /*write=*/true};
  coll::Handle h;
  h.ref = src_ref;
  auto meta = DecodeCollMeta(src.rec->value);
  if (!meta) {
    c.reply.Error("ERR storage error: bad collection metadata");
    return false;
  }
  h.meta = *meta;
  CollMeta out = *meta;
  out.version = c.ks.NewVersion();
  ++out.mod;
  if (!coll::CopySubs(env, h, out.version, dst_ref, txn)) return false;
  *payload = EncodeCollMeta(out);
  return true;
}

}  // namespace

void ApplyRename(ApplyCtx& c) {
  const bool nx = c.op.flags & op_flags::kRenameNx;
  KeyRef refs[2] = {Keyspace::Ref(c.op.args[0]), Keyspace::Ref(c.op.args[1])};
  auto lock = c.ks.LockKeys(refs);
  Loaded src;
  if (!Load(c, refs[0], &src)) return;
  if (!src.live) return c.reply.Error(errors::kNoSuchKey);
  if (refs[0].key == refs[1].key) {
    if (nx) return c.reply.Integer(0);
    return c.reply.Ok();
  }
  Loaded dst;
  if (!Load(c, refs[1], &dst)) return;
  if (nx && dst.live) return c.reply.Integer(0);
  std::string value(src.rec->value);
  WriteTxn txn(&c.ks);
  if (!CopyMembers(c, refs[0], refs[1], src, &value, txn)) return;
  txn.Put(refs[1], src.rec->type, src.rec->expire_at_ms, value, dst.rec ? &*dst.rec : nullptr);
  txn.Delete(refs[0], *src.rec);
  if (!c.Commit(txn)) return;
  if (nx) return c.reply.Integer(1);
  c.reply.Ok();
}

void ApplyCopy(ApplyCtx& c) {
  const bool replace = c.op.flags & op_flags::kCopyReplace;
  KeyRef refs[2] = {Keyspace::Ref(c.op.args[0]), Keyspace::Ref(c.op.args[1])};
  if (refs[0].key == refs[1].key) return c.reply.Error(errors::kSameObject);
  auto lock = c.ks.LockKeys(refs);
  Loaded src, dst;
  if (!Load(c, refs[0], &src) || !Load(c, refs[1], &dst)) return;
  if (!src.live) return c.reply.Integer(0);
  if (dst.live && !replace) return c.reply.Integer(0);
  std::string value(src.rec->value);
  WriteTxn txn(&c.ks);
  if (!CopyMembers(c, refs[0], refs[1], src, &value, txn)) return;
  txn.Put(refs[1], src.rec->type, src.rec->expire_at_ms, value, dst.rec ? &*dst.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Integer(1);
}

void ApplyFlushAll(ApplyCtx& c) {
  if (!c.op.args.empty()) {
    // Cluster mode: one shard's slot ranges, as "first last" pairs.
    Keyspace::SlotRanges ranges;
    for (size_t i = 0; i + 1 < c.op.args.size(); i += 2) {
      auto first = ParseInt64(c.op.args[i]);
      auto last = ParseInt64(c.op.args[i + 1]);
      if (!first || !last) return c.reply.Error("ERR bad slot range in FLUSHALL");
      ranges.emplace_back(static_cast<uint16_t>(*first), static_cast<uint16_t>(*last));
    }
    auto s = c.ks.ImportSlots(ranges, {}, c.op.now_ms);
    if (!s.ok()) {
      c.Failed(s);
      return;
    }
    return c.reply.Ok();
  }
  auto lock = c.ks.LockAll();
  WriteTxn txn(&c.ks);
  txn.DeleteAll();
  if (!c.Commit(txn)) return;
  c.reply.Ok();
}

void ApplyExpireIfDue(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (old.rec && old.rec->expired(c.op.now_ms)) {
    WriteTxn txn(&c.ks);
    txn.Delete(k, *old.rec);
    if (!c.Commit(txn)) return;
    return c.reply.Integer(1);
  }
  c.reply.Integer(0);
}

}  // namespace shoal::storage::internal
