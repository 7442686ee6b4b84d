// Sorted sets: ZRANGE and its older forms, ZRANGESTORE, ZREMRANGEBY*.
#include "storage/cmd_zset_util.h"

namespace shoal::storage::coll::zset {
namespace {

// ZRANGE, ZRANGESTORE and the Z[REV]RANGE[BYSCORE|BYLEX] forms, parsed as
// Redis does: [<dst>] <src> <min> <max>, then options. The older commands
// fix the type and `reverse`: BYSCORE, BYLEX and REV are syntax errors
// there; with kAuto (and reverse false) each may be given once.
void Range(Env& env, Argv argv, RangeType type, bool reverse, bool store = false) {
  const size_t src = store ? 2 : 1;
  const bool fixed = type != RangeType::kAuto;
  bool withscores = false;
  int64_t offset = 0, limit = -1;
  bool has_limit = false;
  for (size_t j = src + 3; j < argv.size(); ++j) {
    size_t left = argv.size() - j - 1;
    if (!store && Is(argv[j], "WITHSCORES")) {
      withscores = true;
    } else if (Is(argv[j], "LIMIT") && left >= 2) {
      auto o = Int(env, argv[j + 1]);
      if (!o) return;
      auto l = Int(env, argv[j + 2]);
      if (!l) return;
      offset = *o;
      limit = *l;
      has_limit = true;
      j += 2;
    } else if (!fixed && !reverse && Is(argv[j], "REV")) {
      reverse = true;
    } else if (type == RangeType::kAuto && Is(argv[j], "BYLEX")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && Is(argv[j], "BYSCORE")) {
      type = RangeType::kScore;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  if (type == RangeType::kAuto) type = RangeType::kRank;
  // Redis compares the parsed limit with its default (-1), not the word.
  if (has_limit && limit != -1 && type == RangeType::kRank) {
    return env.out.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (withscores && type == RangeType::kLex) {
    return env.out.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  // Reverse score and lex ranges are given as max, min.
  std::string_view min = argv[src + 1], max = argv[src + 2];
  if (reverse && type != RangeType::kRank) std::swap(min, max);

  Bounds b;
  if (!ParseBounds(env, type, min, max, &b)) return;

  KeyRef refs[2] = {Keyspace::Ref(argv[src]), Keyspace::Ref(argv[1])};
  auto lock = env.ks.LockKeys(std::span<const KeyRef>(refs, store ? 2 : 1));
  Handle h;
  if (!Open(env, argv[src], ValueType::kZset, &h)) return;
  std::vector<Item> items;
  if (h.live && !CollectBounds(env, h, b, reverse, offset, limit, &items)) return;
  if (store) return StoreItems(env, argv[1], items);
  ReplyItems(env, items, withscores);
}

void RemRangeGeneric(Env& env, Argv argv, RangeType type) {
  Bounds b;
  if (!ParseBounds(env, type, argv[2], argv[3], &b)) return;
  Locked l(env, argv[1]);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::vector<Item> items;
  if (!CollectBounds(env, h, b, false, 0, -1, &items)) return;
  if (!items.empty()) {
    WriteTxn txn(&env.ks);
    h.meta.count -= std::min<uint64_t>(h.meta.count, items.size());
    DeleteItems(txn, h, items);
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return;
    if (h.meta.count > 0) env.NoteReady(argv[1]);
  }
  env.out.Integer(static_cast<int64_t>(items.size()));
}

}  // namespace

void Zrange(Env& env, Argv argv) { Range(env, argv, RangeType::kAuto, false); }
void Zrangestore(Env& env, Argv argv) { Range(env, argv, RangeType::kAuto, false, true); }
void Zrevrange(Env& env, Argv argv) { Range(env, argv, RangeType::kRank, true); }
void Zrangebyscore(Env& env, Argv argv) { Range(env, argv, RangeType::kScore, false); }
void Zrevrangebyscore(Env& env, Argv argv) { Range(env, argv, RangeType::kScore, true); }
void Zrangebylex(Env& env, Argv argv) { Range(env, argv, RangeType::kLex, false); }
void Zrevrangebylex(Env& env, Argv argv) { Range(env, argv, RangeType::kLex, true); }
void Zremrangebyrank(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kRank); }
void Zremrangebyscore(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kScore); }
void Zremrangebylex(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kLex); }

}  // namespace shoal::storage::coll::zset
