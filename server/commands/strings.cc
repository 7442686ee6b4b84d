// String commands: syntax and normalisation here; semantics in
// storage/apply_strings.cc (writes) and storage/reads.cc (reads).
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"
#include "storage/errors.h"
#include "storage/reads.h"

namespace shoal::server {
namespace {

using storage::Op;
using storage::OpCode;
namespace f = storage::op_flags;

void ProposeKeyValue(CommandContext& ctx, OpCode code, std::string_view key, std::string_view value,
                     uint32_t flags, int64_t num) {
  Op op;
  op.code = code;
  op.flags = flags;
  op.num = num;
  op.args = {key, value};
  ctx.Propose(op);
}

void GetCmd(CommandContext& ctx, Args a) {
  storage::reads::Get(ctx.ks(), a[1], ctx.now_ms, ctx.out);
}

void SetCmd(CommandContext& ctx, Args a) {
  uint32_t flags = 0;
  int64_t expire = 0;
  bool has_expire = false;
  for (size_t i = 3; i < a.size(); ++i) {
    std::string_view o = a[i];
    bool has_next = i + 1 < a.size();
    if (Is(o, "NX") && !(flags & f::kXx)) {
      flags |= f::kNx;
    } else if (Is(o, "XX") && !(flags & f::kNx)) {
      flags |= f::kXx;
    } else if (Is(o, "GET")) {
      flags |= f::kGet;
    } else if (Is(o, "KEEPTTL") && !has_expire) {
      flags |= f::kKeepTtl;
    } else if ((Is(o, "EX") || Is(o, "PX") || Is(o, "EXAT") || Is(o, "PXAT")) && has_next &&
               !has_expire && !(flags & f::kKeepTtl)) {
      auto unit = (Is(o, "EX") || Is(o, "EXAT")) ? TimeUnit::kSeconds : TimeUnit::kMillis;
      bool absolute = Is(o, "EXAT") || Is(o, "PXAT");
      auto ms = ExpireArg(ctx, a[++i], unit, absolute, /*positive_only=*/true);
      if (!ms) return;
      expire = *ms;
      has_expire = true;
    } else {
      return SyntaxError(ctx);
    }
  }
  ProposeKeyValue(ctx, OpCode::kSet, a[1], a[2], flags, expire);
}

void SetNxCmd(CommandContext& ctx, Args a) {
  ProposeKeyValue(ctx, OpCode::kSet, a[1], a[2], f::kNx | f::kReplyInt, 0);
}

void SetExCmd(CommandContext& ctx, Args a) {
  auto unit = ctx.spec->name == "setex" ? TimeUnit::kSeconds : TimeUnit::kMillis;
  auto ms = ExpireArg(ctx, a[2], unit, false, true);
  if (!ms) return;
  ProposeKeyValue(ctx, OpCode::kSet, a[1], a[3], 0, *ms);
}

void GetSetCmd(CommandContext& ctx, Args a) {
  ProposeKeyValue(ctx, OpCode::kSet, a[1], a[2], f::kGet, 0);
}

void GetDelCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kGetDel;
  op.args = {a[1]};
  ctx.Propose(op);
}

void GetExCmd(CommandContext& ctx, Args a) {
  Op op;
  op.code = OpCode::kGetEx;
  op.args = {a[1]};
  if (a.size() == 2) {
    // No option: a plain read, nothing to replicate.
    return storage::reads::Get(ctx.ks(), a[1], ctx.now_ms, ctx.out);
  }
  std::string_view o = a[2];
  if (Is(o, "PERSIST") && a.size() == 3) {
    op.flags = f::kPersist;
  } else if ((Is(o, "EX") || Is(o, "PX") || Is(o, "EXAT") || Is(o, "PXAT")) && a.size() == 4) {
    auto unit = (Is(o, "EX") || Is(o, "EXAT")) ? TimeUnit::kSeconds : TimeUnit::kMillis;
    std::string error;
    auto ms =
        ParseExpire(a[3], unit, Is(o, "EXAT") || Is(o, "PXAT"), true, ctx.now_ms, "getex", &error);
    if (!ms) {
      // As in Redis, the key is looked up before the time is judged: a
      // missing key answers nil, a wrong type WRONGTYPE.
      auto type = storage::reads::LiveType(ctx.ks(), a[1], ctx.now_ms);
      if (!type) return ctx.out.Null();
      if (*type != storage::ValueType::kString) return ctx.Error(errors::kWrongType);
      return ctx.Error(error);
    }
    op.flags = f::kSetExpire;
    op.num = *ms;
  } else {
    return SyntaxError(ctx);
  }
  ctx.Propose(op);
}

void MGetCmd(CommandContext& ctx, Args a) {
  storage::reads::MGet(ctx.ks(), a.subspan(1), ctx.now_ms, ctx.out);
}

void MSetCmd(CommandContext& ctx, Args a) {
  if (a.size() % 2 == 0) return ctx.WrongArity();
  Op op;
  op.code = ctx.spec->name == "msetnx" ? OpCode::kMSetNx : OpCode::kMSet;
  op.args.assign(a.begin() + 1, a.end());
  ctx.Propose(op);
}

void IncrDecr(CommandContext& ctx, std::string_view key, int64_t delta) {
  Op op;
  op.code = OpCode::kIncrBy;
  op.num = delta;
  op.args = {key};
  ctx.Propose(op);
}

void IncrCmd(CommandContext& ctx, Args a) { IncrDecr(ctx, a[1], 1); }
void DecrCmd(CommandContext& ctx, Args a) { IncrDecr(ctx, a[1], -1); }

void IncrByCmd(CommandContext& ctx, Args a) {
  auto d = IntArg(ctx, a[2]);
  if (!d) return;
  IncrDecr(ctx, a[1], *d);
}

void DecrByCmd(CommandContext& ctx, Args a) {
  auto d = IntArg(ctx, a[2]);
  if (!d) return;
  // Negating INT64_MIN would overflow before the addition is even tried.
  if (*d == INT64_MIN) return ctx.Error("ERR decrement would overflow");
  IncrDecr(ctx, a[1], -*d);
}

void IncrByFloatCmd(CommandContext& ctx, Args a) {
  if (!ParseLongDouble(a[2])) return ctx.Error(errors::kNotFloat);
  ProposeKeyValue(ctx, OpCode::kIncrByFloat, a[1], a[2], 0, 0);
}

void AppendCmd(CommandContext& ctx, Args a) {
  ProposeKeyValue(ctx, OpCode::kAppend, a[1], a[2], 0, 0);
}

void StrLenCmd(CommandContext& ctx, Args a) {
  storage::reads::StrLen(ctx.ks(), a[1], ctx.now_ms, ctx.out);
}

void GetRangeCmd(CommandContext& ctx, Args a) {
  auto start = IntArg(ctx, a[2]);
  if (!start) return;
  auto end = IntArg(ctx, a[3]);
  if (!end) return;
  storage::reads::GetRange(ctx.ks(), a[1], *start, *end, ctx.now_ms, ctx.out);
}

void SetRangeCmd(CommandContext& ctx, Args a) {
  auto offset = IntArg(ctx, a[2]);
  if (!offset) return;
  if (*offset < 0) return ctx.Error(errors::kOffsetRange);
  if (*offset > ctx.server.max_bulk_bytes() - static_cast<int64_t>(a[3].size())) {
    return ctx.Error(errors::kStringTooLong);
  }
  ProposeKeyValue(ctx, OpCode::kSetRange, a[1], a[3], 0, *offset);
}

// Bit offsets: non-negative and addressing a byte below proto-max-bulk-len.
std::optional<int64_t> BitOffsetArg(CommandContext& ctx, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v || *v < 0 || (*v >> 3) >= ctx.server.max_bulk_bytes()) {
    ctx.Error(errors::kBitOffset);
    return std::nullopt;
  }
  return v;
}

void SetBitCmd(CommandContext& ctx, Args a) {
  auto offset = BitOffsetArg(ctx, a[2]);
  if (!offset) return;
  if (a[3] != "0" && a[3] != "1") return ctx.Error(errors::kBitValue);
  Op op;
  op.code = OpCode::kSetBit;
  op.num = *offset;
  op.flags = a[3] == "1" ? 1 : 0;
  op.args = {a[1]};
  ctx.Propose(op);
}

void GetBitCmd(CommandContext& ctx, Args a) {
  auto offset = BitOffsetArg(ctx, a[2]);
  if (!offset) return;
  storage::reads::GetBit(ctx.ks(), a[1], static_cast<uint64_t>(*offset), ctx.now_ms, ctx.out);
}

// Parses an optional trailing BYTE|BIT at a[i].
bool UnitArg(CommandContext& ctx, Args a, size_t i, storage::reads::RangeUnit* unit) {
  *unit = storage::reads::RangeUnit::kByte;
  if (i >= a.size()) return true;
  if (i + 1 == a.size()) {
    if (Is(a[i], "BYTE")) return true;
    if (Is(a[i], "BIT")) {
      *unit = storage::reads::RangeUnit::kBit;
      return true;
    }
  }
  SyntaxError(ctx);
  return false;
}

void BitCountCmd(CommandContext& ctx, Args a) {
  std::optional<std::pair<int64_t, int64_t>> range;
  auto unit = storage::reads::RangeUnit::kByte;
  if (a.size() == 3) return SyntaxError(ctx);
  if (a.size() >= 4) {
    auto start = IntArg(ctx, a[2]);
    if (!start) return;
    auto end = IntArg(ctx, a[3]);
    if (!end) return;
    range.emplace(*start, *end);
    if (!UnitArg(ctx, a, 4, &unit)) return;
  }
  storage::reads::BitCount(ctx.ks(), a[1], range, unit, ctx.now_ms, ctx.out);
}

void BitPosCmd(CommandContext& ctx, Args a) {
  auto bit = ParseInt64(a[2]);
  if (!bit) return ctx.Error(errors::kNotInteger);
  if (*bit != 0 && *bit != 1) return ctx.Error("ERR The bit argument must be 1 or 0.");
  std::optional<int64_t> start, end;
  auto unit = storage::reads::RangeUnit::kByte;
  if (a.size() >= 4) {
    start = IntArg(ctx, a[3]);
    if (!start) return;
  }
  if (a.size() >= 5) {
    end = IntArg(ctx, a[4]);
    if (!end) return;
    if (!UnitArg(ctx, a, 5, &unit)) return;
  }
  storage::reads::BitPos(ctx.ks(), a[1], static_cast<int>(*bit), start, end, unit, ctx.now_ms,
                         ctx.out);
}

constexpr uint32_t kW = kWrite | kDenyOom;
constexpr uint32_t kWF = kWrite | kDenyOom | kFast;
constexpr uint32_t kRF = kReadOnly | kFast;

constexpr CommandSpec kCommands[] = {
    {"get", 2, kRF, 1, 1, 1, GetCmd, "string", "1.0.0", "Returns the string value of a key."},
    {"set", -3, kW, 1, 1, 1, SetCmd, "string", "1.0.0",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist."},
    {"setnx", 3, kWF, 1, 1, 1, SetNxCmd, "string", "1.0.0",
     "Set the string value of a key only when the key doesn't exist."},
    {"setex", 4, kW, 1, 1, 1, SetExCmd, "string", "2.0.0",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't exist."},
    {"psetex", 4, kW, 1, 1, 1, SetExCmd, "string", "2.6.0",
     "Sets both string value and expiration time in milliseconds of a key. The key is created if "
     "it "
     "doesn't exist."},
    {"getset", 3, kWF, 1, 1, 1, GetSetCmd, "string", "1.0.0",
     "Returns the previous string value of a key after setting it to a new value."},
    {"getdel", 2, kWrite | kFast, 1, 1, 1, GetDelCmd, "string", "6.2.0",
     "Returns the string value of a key after deleting the key."},
    {"getex", -2, kWrite | kFast, 1, 1, 1, GetExCmd, "string", "6.2.0",
     "Returns the string value of a key after setting its expiration time."},
    {"mget", -2, kRF, 1, -1, 1, MGetCmd, "string", "1.0.0",
     "Atomically returns the string values of one or more keys.", "O(N)"},
    {"mset", -3, kW, 1, -1, 2, MSetCmd, "string", "1.0.1",
     "Atomically creates or modifies the string values of one or more keys.", "O(N)"},
    {"msetnx", -3, kW, 1, -1, 2, MSetCmd, "string", "1.0.1",
     "Atomically modifies the string values of one or more keys only when all keys don't exist.",
     "O(N)"},
    {"incr", 2, kWF, 1, 1, 1, IncrCmd, "string", "1.0.0",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist."},
    {"decr", 2, kWF, 1, 1, 1, DecrCmd, "string", "1.0.0",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist."},
    {"incrby", 3, kWF, 1, 1, 1, IncrByCmd, "string", "1.0.0",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist."},
    {"decrby", 3, kWF, 1, 1, 1, DecrByCmd, "string", "1.0.0",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
     "doesn't exist."},
    {"incrbyfloat", 3, kWF, 1, 1, 1, IncrByFloatCmd, "string", "2.6.0",
     "Increment the floating point value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist."},
    {"append", 3, kWF, 1, 1, 1, AppendCmd, "string", "2.0.0",
     "Appends a string to the value of a key. Creates the key if it doesn't exist."},
    {"strlen", 2, kRF, 1, 1, 1, StrLenCmd, "string", "2.2.0",
     "Returns the length of a string value."},
    {"getrange", 4, kReadOnly, 1, 1, 1, GetRangeCmd, "string", "2.4.0",
     "Returns a substring of the string stored at a key.", "O(N)"},
    {"setrange", 4, kW, 1, 1, 1, SetRangeCmd, "string", "2.2.0",
     "Overwrites a part of a string value with another by an offset. Creates the key if it doesn't "
     "exist."},
    {"setbit", 4, kW, 1, 1, 1, SetBitCmd, "bitmap", "2.2.0",
     "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist."},
    {"getbit", 3, kRF, 1, 1, 1, GetBitCmd, "bitmap", "2.2.0", "Returns a bit value by offset."},
    {"bitcount", -2, kReadOnly, 1, 1, 1, BitCountCmd, "bitmap", "2.6.0",
     "Counts the number of set bits (population counting) in a string.", "O(N)"},
    {"bitpos", -3, kReadOnly, 1, 1, 1, BitPosCmd, "bitmap", "2.8.7",
     "Finds the first set (1) or clear (0) bit in a string.", "O(N)"},
};

}  // namespace

std::span<const CommandSpec> StringCommands() { return kCommands; }

}  // namespace shoal::server
