// Sorted sets: ZRANGE and its older forms, ZRANGESTORE, ZREMRANGEBY*.
#include "storage/cmd_zset_util.h"

namespace shoal::storage::coll::zset {
namespace {

enum class RangeType : uint8_t { kAuto, kRank, kScore, kLex };
enum class Direction : uint8_t { kAuto, kForward, kReverse };

constexpr const char* kNotFloatRange = "ERR min or max is not a float";
constexpr const char* kNotLexRange = "ERR min or max not valid string range item";

// ZRANGE, ZRANGESTORE and the Z[REV]RANGE[BYSCORE|BYLEX] forms, parsed as
// Redis does: <src> <min> <max> at argv[src], then options. A fixed type or
// direction (older commands) makes the corresponding words syntax errors.
void RangeGeneric(Env& env, Argv argv, size_t src, bool store, RangeType type, Direction dir) {
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
    } else if (dir == Direction::kAuto && Is(argv[j], "REV")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && Is(argv[j], "BYLEX")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && Is(argv[j], "BYSCORE")) {
      type = RangeType::kScore;
    } else {
      return env.out.Error(errors::kSyntax);
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  bool reverse = dir == Direction::kReverse;
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

  int64_t start = 0, end = 0;
  ScoreRange sr;
  LexRange lr;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank: {
      auto s = Int(env, min);
      if (!s) return;
      auto e = Int(env, max);
      if (!e) return;
      start = *s;
      end = *e;
      break;
    }
    case RangeType::kScore:
      if (!ParseScoreRange(min, max, &sr)) return env.out.Error(kNotFloatRange);
      break;
    case RangeType::kLex:
      if (!ParseLexRange(min, max, &lr)) return env.out.Error(kNotLexRange);
      break;
  }

  KeyRef refs[2] = {Keyspace::Ref(argv[src]), Keyspace::Ref(argv[1])};
  auto lock = env.ks.LockKeys(std::span<const KeyRef>(refs, store ? 2 : 1));
  Handle h;
  if (!Open(env, argv[src], ValueType::kZset, &h)) return;
  std::vector<Item> items;
  if (h.live) {
    bool ok = true;
    switch (type) {
      case RangeType::kAuto:
      case RangeType::kRank:
        ok = CollectRankRange(env, h, start, end, reverse, &items);
        break;
      case RangeType::kScore:
        ok = CollectScoreRange(env, h, sr, reverse, offset, limit, &items);
        break;
      case RangeType::kLex:
        ok = CollectLexRange(env, h, lr, reverse, offset, limit, &items);
        break;
    }
    if (!ok) return;
  }
  if (store) return StoreItems(env, argv[1], items);
  ReplyItems(env, items, withscores);
}

void RemRangeGeneric(Env& env, Argv argv, RangeType type) {
  int64_t start = 0, end = 0;
  ScoreRange sr;
  LexRange lr;
  if (type == RangeType::kRank) {
    auto s = Int(env, argv[2]);
    if (!s) return;
    auto e = Int(env, argv[3]);
    if (!e) return;
    start = *s;
    end = *e;
  } else if (type == RangeType::kScore) {
    if (!ParseScoreRange(argv[2], argv[3], &sr)) return env.out.Error(kNotFloatRange);
  } else if (!ParseLexRange(argv[2], argv[3], &lr)) {
    return env.out.Error(kNotLexRange);
  }
  KeyRef k = Keyspace::Ref(argv[1]);
  auto lock = env.ks.LockKey(k);
  Handle h;
  if (!Open(env, argv[1], ValueType::kZset, &h)) return;
  if (!h.live) return env.out.Integer(0);
  std::vector<Item> items;
  bool ok = type == RangeType::kRank    ? CollectRankRange(env, h, start, end, false, &items)
            : type == RangeType::kScore ? CollectScoreRange(env, h, sr, false, 0, -1, &items)
                                        : CollectLexRange(env, h, lr, false, 0, -1, &items);
  if (!ok) return;
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

void Zrange(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kAuto, Direction::kAuto);
}
void Zrangestore(Env& env, Argv argv) {
  RangeGeneric(env, argv, 2, true, RangeType::kAuto, Direction::kAuto);
}
void Zrevrange(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kRank, Direction::kReverse);
}
void Zrangebyscore(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kScore, Direction::kForward);
}
void Zrevrangebyscore(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kScore, Direction::kReverse);
}
void Zrangebylex(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kLex, Direction::kForward);
}
void Zrevrangebylex(Env& env, Argv argv) {
  RangeGeneric(env, argv, 1, false, RangeType::kLex, Direction::kReverse);
}
void Zremrangebyrank(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kRank); }
void Zremrangebyscore(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kScore); }
void Zremrangebylex(Env& env, Argv argv) { RemRangeGeneric(env, argv, RangeType::kLex); }

}  // namespace shoal::storage::coll::zset
