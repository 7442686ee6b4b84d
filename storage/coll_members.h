// What hash and set commands share (storage/cmd_hash.cc, cmd_set.cc): the
// HSCAN/SSCAN cursor and random sampling for HRANDFIELD, SRANDMEMBER and
// SPOP. Members are sub-records SubKey(h, kTagMember, member).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/coll.h"

namespace shoal::storage::coll {

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
// HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count].
void ScanHashOrSet(Env& env, Argv argv, ValueType type);
// The count argument of HRANDFIELD / SRANDMEMBER. False after replying.
bool RandomCountArg(Env& env, std::string_view arg, int64_t* count);
// Their reply for a count, on a live key (count != 0).
void ReplyRandomMembers(Env& env, const Handle& h, int64_t count, bool with_values);

}  // namespace shoal::storage::coll
