// What the collection command families (storage/cmd_*.cc) share beyond
// storage/coll.h: the key lock, the commands alike in several families
// (HLEN/SCARD/LLEN/ZCARD, HDEL/SREM, the *SCAN frame, the *MPOP arguments)
// and, for hashes and sets, the HSCAN/SSCAN cursor and random sampling for
// HRANDFIELD, SRANDMEMBER and SPOP. Hash and set members are sub-records
// SubKey(h, kTagMember, member).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/coll.h"

namespace shoal::storage::coll {

// Holds the stripe lock of one key while a command runs on it.
struct Locked {
  explicit Locked(Env& env, std::string_view key)
      : ref(Keyspace::Ref(key)), lock(env.ks.LockKey(ref)) {}
  KeyRef ref;
  Keyspace::Lock lock;
};
// Locks the stripes of every key of `keys` (repeats allowed) at once.
Keyspace::Lock LockKeys(Env& env, Argv keys);

// "ERR wrong number of arguments for '<name>' command", for the arities
// the command table cannot express.
void WrongArity(Env& env, std::string_view name);

// HLEN, SCARD, LLEN, ZCARD key: the member count of a `type` key, 0 when
// it does not exist.
void ReplyCount(Env& env, Argv argv, ValueType type);

// HDEL / SREM key member [member ...]: deletes those of the members that
// the `type` key holds (not a ZREM: a zset has a second index) and replies
// how many it deleted.
void RemoveMembers(Env& env, Argv argv, ValueType type);

// ---- *SCAN ----
// The arguments of "<cmd> key cursor [MATCH pattern] [COUNT count]".
struct ScanArgs {
  uint64_t cursor = 0;
  int64_t count = 10;
  std::optional<std::string_view> pattern;  // none for "*"
};
// Replies one call of a SCAN over the live key `h`.
using ScanFn = void (*)(Env& env, Argv argv, const Handle& h, const ScanArgs& args);
// HSCAN, SSCAN, ZSCAN: parses the cursor, locks and opens argv[1] as
// `type`, parses the options and calls `scan`. Errors (in that order, as
// Redis checks them) and the empty reply for a missing key are replied here.
void ScanKey(Env& env, Argv argv, ValueType type, ScanFn scan);
// HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count].
void ScanHashOrSet(Env& env, Argv argv, ValueType type);

// ---- *MPOP ----
// "numkeys key [key ...] <end> [COUNT count]" from argv[numkeys_at], <end>
// being one of two words (LEFT|RIGHT, MIN|MAX).
struct MpopArgs {
  Argv keys;
  bool second_end = false;  // <end> was the second word
  int64_t count = 1;
};
// False after replying the error.
bool ParseMpopArgs(Env& env, Argv argv, size_t numkeys_at, std::string_view first_end,
                   std::string_view second_end, MpopArgs* out);

// ---- argument helpers (reply the Redis error and return nullopt) ----
// An integer in [min, max]; the error is `msg` for both bad forms, or when
// null "not an integer" / Redis's range text.
std::optional<int64_t> RangeInt(Env& env, std::string_view s, int64_t min, int64_t max,
                                const char* msg);
// "ERR value is out of range, must be positive" below 0.
std::optional<int64_t> PositiveInt(Env& env, std::string_view s);

// ---- hash and set members ----
struct SampledMember {
  std::string member;
  std::string value;  // filled when asked for
};
// `n` members of `h` picked at random (distinct ones when `distinct`), with
// their values when `with_values`. False after replying on a storage error.
bool SampleHashOrSet(Env& env, const Handle& h, uint64_t n, bool distinct, bool with_values,
                     Rng& rng, std::vector<SampledMember>* out);
// Every member of `h`, in byte order. False after replying.
bool AllMembers(Env& env, const Handle& h, bool with_values, std::vector<SampledMember>* out);
// The count argument of HRANDFIELD / SRANDMEMBER (-LONG_MAX..LONG_MAX).
std::optional<int64_t> RandomCountArg(Env& env, std::string_view arg);
// HRANDFIELD / SRANDMEMBER once their arguments are checked. Without a
// count: one member, or a null when the key does not exist. With one:
// distinct members for a positive count, |count| picks that may repeat for
// a negative one, an empty array for a missing key or a count of 0.
void RandomMembers(Env& env, std::string_view key, ValueType type, std::optional<int64_t> count,
                   bool with_values);

// A blocking command's timeout in seconds, checked as Redis checks it (not
// a float, negative, out of range); false after replying.
bool BlockingTimeoutOk(Env& env, std::string_view s);

}  // namespace shoal::storage::coll
