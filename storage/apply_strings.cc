// Apply functions of the string commands (Redis 7 semantics).
#include <cmath>
#include <unordered_map>

#include "core/strutil.h"
#include "storage/apply.h"

namespace shoal::storage::internal {
namespace {

bool IsWrongType(const Loaded& l) { return l.live && l.rec->type != ValueType::kString; }

}  // namespace

void ApplySet(ApplyCtx& c) {
  const Op& op = c.op;
  KeyRef k = Keyspace::Ref(op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  const bool want_get = op.flags & op_flags::kGet;
  if (want_get && IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  std::optional<std::string> prev;
  if (want_get && old.live) prev.emplace(old.rec->value);

  bool skip = ((op.flags & op_flags::kNx) && old.live) || ((op.flags & op_flags::kXx) && !old.live);
  if (!skip) {
    int64_t expire = op.num;
    if (expire == 0 && (op.flags & op_flags::kKeepTtl) && old.live) expire = old.rec->expire_at_ms;
    WriteTxn txn(&c.ks);
    txn.Put(k, ValueType::kString, expire, op.args[1], old.rec ? &*old.rec : nullptr);
    if (!c.Commit(txn)) return;
  }
  if (want_get) {
    if (prev) return c.reply.Bulk(*prev);
    return c.reply.Null();
  }
  if (op.flags & op_flags::kReplyInt) return c.reply.Integer(skip ? 0 : 1);
  if (skip) return c.reply.Null();
  c.reply.Ok();
}

void ApplyMSet(ApplyCtx& c, bool nx) {
  const auto& args = c.op.args;
  // The last value given for a key wins; earlier ones are never written.
  std::unordered_map<std::string_view, size_t> last;
  std::vector<KeyRef> refs;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (last.emplace(args[i], i).second)
      refs.push_back(Keyspace::Ref(args[i]));
    else
      last[args[i]] = i;
  }
  auto lock = c.ks.LockKeys(refs);
  std::vector<Loaded> olds(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    if (!Load(c, refs[i], &olds[i])) return;
    if (nx && olds[i].live) return c.reply.Integer(0);
  }
  WriteTxn txn(&c.ks);
  for (size_t i = 0; i < refs.size(); ++i) {
    size_t at = last[refs[i].key];
    txn.Put(refs[i], ValueType::kString, 0, args[at + 1], olds[i].rec ? &*olds[i].rec : nullptr);
  }
  if (!c.Commit(txn)) return;
  if (nx) return c.reply.Integer(1);
  c.reply.Ok();
}

void ApplyIncrBy(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  int64_t cur = 0;
  if (old.live) {
    auto v = ParseInt64(old.rec->value);
    if (!v) return c.reply.Error(errors::kNotInteger);
    cur = *v;
  }
  int64_t delta = c.op.num;
  int64_t result = 0;
  if (__builtin_add_overflow(cur, delta, &result)) return c.reply.Error(errors::kOverflow);
  WriteTxn txn(&c.ks);
  txn.Put(k, ValueType::kString, old.live ? old.rec->expire_at_ms : 0, std::to_string(result),
          old.rec ? &*old.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Integer(result);
}

void ApplyIncrByFloat(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  long double cur = 0;
  if (old.live) {
    auto v = ParseLongDouble(old.rec->value);
    if (!v) return c.reply.Error(errors::kNotFloat);
    cur = *v;
  }
  auto incr = ParseLongDouble(c.op.args[1]);
  if (!incr) return c.reply.Error(errors::kNotFloat);
  long double result = cur + *incr;
  if (std::isnan(result) || std::isinf(result)) return c.reply.Error(errors::kNanOrInf);
  std::string text = FormatLongDoubleHuman(result);
  WriteTxn txn(&c.ks);
  txn.Put(k, ValueType::kString, old.live ? old.rec->expire_at_ms : 0, text,
          old.rec ? &*old.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Bulk(text);
}

void ApplyAppend(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  std::string value;
  if (old.live) value.assign(old.rec->value);
  if (static_cast<int64_t>(value.size() + c.op.args[1].size()) > c.options.max_string_bytes) {
    return c.reply.Error(errors::kStringTooLong);
  }
  value.append(c.op.args[1]);
  WriteTxn txn(&c.ks);
  txn.Put(k, ValueType::kString, old.live ? old.rec->expire_at_ms : 0, value,
          old.rec ? &*old.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Integer(static_cast<int64_t>(value.size()));
}

void ApplySetRange(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  int64_t offset = c.op.num;
  std::string_view patch = c.op.args[1];
  int64_t cur_len = old.live ? static_cast<int64_t>(old.rec->value.size()) : 0;
  // An empty patch changes nothing and does not create the key.
  if (patch.empty()) return c.reply.Integer(cur_len);
  // Compared without adding: offset + size could overflow.
  if (offset < 0 || offset > c.options.max_string_bytes - static_cast<int64_t>(patch.size())) {
    return c.reply.Error(errors::kStringTooLong);
  }
  std::string value;
  if (old.live) value.assign(old.rec->value);
  if (static_cast<int64_t>(value.size()) < offset + static_cast<int64_t>(patch.size())) {
    value.resize(static_cast<size_t>(offset) + patch.size(), '\0');
  }
  value.replace(static_cast<size_t>(offset), patch.size(), patch);
  WriteTxn txn(&c.ks);
  txn.Put(k, ValueType::kString, old.live ? old.rec->expire_at_ms : 0, value,
          old.rec ? &*old.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Integer(static_cast<int64_t>(value.size()));
}

void ApplySetBit(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  auto bit_offset = static_cast<uint64_t>(c.op.num);
  size_t byte = bit_offset >> 3;
  if (static_cast<int64_t>(byte) + 1 > c.options.max_string_bytes) {
    return c.reply.Error(errors::kStringTooLong);
  }
  std::string value;
  if (old.live) value.assign(old.rec->value);
  if (value.size() <= byte) value.resize(byte + 1, '\0');
  int shift = 7 - static_cast<int>(bit_offset & 7);
  auto b = static_cast<uint8_t>(value[byte]);
  int prev = (b >> shift) & 1;
  if (c.op.flags) {
    b = static_cast<uint8_t>(b | (1 << shift));
  } else {
    b = static_cast<uint8_t>(b & ~(1 << shift));
  }
  value[byte] = static_cast<char>(b);
  WriteTxn txn(&c.ks);
  txn.Put(k, ValueType::kString, old.live ? old.rec->expire_at_ms : 0, value,
          old.rec ? &*old.rec : nullptr);
  if (!c.Commit(txn)) return;
  c.reply.Integer(prev);
}

void ApplyGetDel(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  if (!old.rec) return c.reply.Null();
  std::optional<std::string> value;
  if (old.live) value.emplace(old.rec->value);
  WriteTxn txn(&c.ks);
  txn.Delete(k, *old.rec);
  if (!c.Commit(txn)) return;
  if (value) return c.reply.Bulk(*value);
  c.reply.Null();
}

void ApplyGetEx(ApplyCtx& c) {
  KeyRef k = Keyspace::Ref(c.op.args[0]);
  auto lock = c.ks.LockKey(k);
  Loaded old;
  if (!Load(c, k, &old)) return;
  if (IsWrongType(old)) return c.reply.Error(errors::kWrongType);
  if (!old.live) return c.reply.Null();
  std::string value(old.rec->value);
  WriteTxn txn(&c.ks);
  if (c.op.flags & op_flags::kPersist) {
    if (old.rec->expire_at_ms != 0) txn.Put(k, ValueType::kString, 0, value, &*old.rec);
  } else if (c.op.flags & op_flags::kSetExpire) {
    if (c.op.num <= c.op.now_ms) {
      txn.Delete(k, *old.rec);
    } else {
      txn.Put(k, ValueType::kString, c.op.num, value, &*old.rec);
    }
  }
  if (!c.Commit(txn)) return;
  c.reply.Bulk(value);
}

}  // namespace shoal::storage::internal
