// Sorted sets: ZPOPMIN/ZPOPMAX, ZMPOP and the blocking forms. A blocking
// command makes one attempt here; when every key is empty it sets
// env.would_block and the server waits (the timeout is the server's).
#include "storage/cmd_zset_util.h"
#include "storage/coll_members.h"

namespace shoal::storage::coll::zset {
namespace {

enum class PopForm : uint8_t {
  kFlat,      // ZPOPMIN/ZPOPMAX: member, score, ... (RESP2, or no count)
  kPairs,     // ZPOPMIN/ZPOPMAX with a count in RESP3: [member, score], ...
  kKeyFlat,   // BZPOPMIN/BZPOPMAX: key, member, score
  kKeyPairs,  // ZMPOP/BZMPOP: key, [[member, score], ...]
};

void ReplyPopped(Env& env, std::string_view key, const std::vector<Item>& items, PopForm form) {
  auto n = static_cast<int64_t>(items.size());
  bool pairs = form == PopForm::kPairs || form == PopForm::kKeyPairs;
  switch (form) {
    case PopForm::kFlat:
      env.out.ArrayHeader(2 * n);
      break;
    case PopForm::kPairs:
      env.out.ArrayHeader(n);
      break;
    case PopForm::kKeyFlat:
      env.out.ArrayHeader(2 * n + 1);
      env.out.Bulk(key);
      break;
    case PopForm::kKeyPairs:
      env.out.ArrayHeader(2);
      env.out.Bulk(key);
      env.out.ArrayHeader(n);
      break;
  }
  for (const auto& it : items) {
    if (pairs) env.out.ArrayHeader(2);
    env.out.Bulk(it.member);
    ReplyScore(env, it.score);
  }
}

enum class PopResult : uint8_t { kPopped, kEmpty, kReplied };

// Pops up to `count` entries from the first existing key of `keys` (each
// checked for WRONGTYPE in order until then) and replies them in `form`.
// kEmpty (nothing replied) when no key exists. The caller holds the locks.
PopResult PopFirst(Env& env, std::span<const std::string_view> keys, bool max, int64_t count,
                   PopForm form) {
  for (std::string_view key : keys) {
    Handle h;
    if (!Open(env, key, ValueType::kZset, &h)) return PopResult::kReplied;
    if (!h.live) continue;
    std::vector<Item> items;
    if (!CollectRankRange(env, h, 0, count - 1, max, &items)) return PopResult::kReplied;
    WriteTxn txn(&env.ks);
    h.meta.count -= std::min<uint64_t>(h.meta.count, items.size());
    DeleteItems(txn, h, items);
    SaveMeta(env, txn, &h);
    if (!env.Commit(txn)) return PopResult::kReplied;
    if (h.meta.count > 0) env.NoteReady(key);
    ReplyPopped(env, key, items, form);
    return PopResult::kPopped;
  }
  return PopResult::kEmpty;
}

void PopMinMax(Env& env, Argv argv, bool max) {
  if (argv.size() > 3) return env.out.Error(errors::kSyntax);
  int64_t count = -1;
  if (argv.size() == 3) {
    auto c = PositiveInt(env, argv[2]);
    if (!c) return;
    count = *c;
  }
  PopForm form = env.out.resp3() && count != -1 ? PopForm::kPairs : PopForm::kFlat;
  Locked l(env, argv[1]);
  if (count == 0) {
    // Redis checks the type, then answers an empty array.
    Handle h;
    if (!Open(env, argv[1], ValueType::kZset, &h)) return;
    return env.out.ArrayHeader(0);
  }
  auto r = PopFirst(env, argv.subspan(1, 1), max, count == -1 ? 1 : count, form);
  if (r == PopResult::kEmpty) env.out.ArrayHeader(0);
}

// ZMPOP / BZMPOP: numkeys at argv[numkeys_at], keys, MIN|MAX, [COUNT n].
void MpopGeneric(Env& env, Argv argv, size_t numkeys_at, bool blocking) {
  MpopArgs a;
  if (!ParseMpopArgs(env, argv, numkeys_at, "MIN", "MAX", &a)) return;
  if (blocking && !BlockingTimeoutOk(env, argv[1])) return;
  auto lock = LockKeys(env, a.keys);
  if (PopFirst(env, a.keys, /*max=*/a.second_end, a.count, PopForm::kKeyPairs) !=
      PopResult::kEmpty) {
    return;
  }
  if (blocking) env.would_block = true;
  env.out.NullArray();
}

void BlockingPop(Env& env, Argv argv, bool max) {
  if (!BlockingTimeoutOk(env, argv.back())) return;
  auto keys = argv.subspan(1, argv.size() - 2);
  auto lock = LockKeys(env, keys);
  if (PopFirst(env, keys, max, 1, PopForm::kKeyFlat) != PopResult::kEmpty) return;
  env.would_block = true;
  env.out.NullArray();
}

}  // namespace

void Zpopmin(Env& env, Argv argv) { PopMinMax(env, argv, false); }
void Zpopmax(Env& env, Argv argv) { PopMinMax(env, argv, true); }
void Zmpop(Env& env, Argv argv) { MpopGeneric(env, argv, 1, false); }
void Bzmpop(Env& env, Argv argv) { MpopGeneric(env, argv, 2, true); }
void Bzpopmin(Env& env, Argv argv) { BlockingPop(env, argv, false); }
void Bzpopmax(Env& env, Argv argv) { BlockingPop(env, argv, true); }

}  // namespace shoal::storage::coll::zset
