// Sorted-set commands: the table only. Every command runs in the collection
// registry (storage/cmd_zset*.cc) through StorageCmd; the blocking ones
// (BZPOPMIN...) make one attempt there and the server waits when they find
// nothing.
#include "server/command.h"
#include "server/commands/util.h"

namespace shoal::server {
namespace {

constexpr std::string_view kLogN = "O(log(N)) where N is the number of elements in the sorted set.";
constexpr std::string_view kRangeCost =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements returned.";
constexpr std::string_view kRemRangeCost =
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements removed by the operation.";
constexpr std::string_view kPopCost =
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number "
    "of elements popped.";
constexpr std::string_view kMpopCost =
    "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements "
    "in the sorted set, and M being the number of elements popped.";
constexpr std::string_view kUnionCost =
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
    "the number of elements in the resulting sorted set.";
constexpr std::string_view kInterCost =
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
    "number of input sorted sets and M being the number of elements in the resulting sorted "
    "set.";
constexpr std::string_view kDiffCost =
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N "
    "is the size of the first set, and K is the size of the result set.";

constexpr CommandSpec kCommands[] = {
    {"zadd", -4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Adds one or more members to a sorted set, or updates their scores. Creates the key if it "
     "doesn't exist.",
     "O(log(N)) for each item added, where N is the number of elements in the sorted set."},
    {"zincrby", 4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Increments the score of a member in a sorted set.", kLogN},
    {"zrem", -3, kWriteFast, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Removes one or more members from a sorted set. Deletes the sorted set if all members were "
     "removed.",
     "O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
     "elements to be removed."},
    {"zcard", 2, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Returns the number of members in a sorted set."},
    {"zcount", 4, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "2.0.0",
     "Returns the count of members in a sorted set that have scores within a range.", kLogN},
    {"zlexcount", 4, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "2.8.9",
     "Returns the number of members in a sorted set within a lexicographical range.", kLogN},
    {"zscore", 3, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Returns the score of a member in a sorted set."},
    {"zmscore", -3, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "6.2.0",
     "Returns the score of one or more members in a sorted set.",
     "O(N) where N is the number of members being requested."},
    {"zrank", -3, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "2.0.0",
     "Returns the index of a member in a sorted set ordered by ascending scores.", kLogN},
    {"zrevrank", -3, kReadFast, 1, 1, 1, StorageCmd, "sorted_set", "2.0.0",
     "Returns the index of a member in a sorted set ordered by descending scores.", kLogN},
    {"zrange", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Returns members in a sorted set within a range of indexes.", kRangeCost},
    {"zrangestore", -5, kWriteDenyOom, 1, 2, 1, StorageCmd, "sorted_set", "6.2.0",
     "Stores a range of members from sorted set in a key.",
     "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
     "elements stored into the destination key."},
    {"zrangebyscore", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "1.0.5",
     "Returns members in a sorted set within a range of scores.", kRangeCost},
    {"zrevrangebyscore", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "2.2.0",
     "Returns members in a sorted set within a range of scores in reverse order.", kRangeCost},
    {"zrangebylex", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "2.8.9",
     "Returns members in a sorted set within a lexicographical range.", kRangeCost},
    {"zrevrangebylex", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "2.8.9",
     "Returns members in a sorted set within a lexicographical range in reverse order.",
     kRangeCost},
    {"zrevrange", -4, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Returns members in a sorted set within a range of indexes in reverse order.", kRangeCost},
    {"zremrangebyrank", 4, kWrite, 1, 1, 1, StorageCmd, "sorted_set", "2.0.0",
     "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all "
     "members were removed.",
     kRemRangeCost},
    {"zremrangebyscore", 4, kWrite, 1, 1, 1, StorageCmd, "sorted_set", "1.2.0",
     "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
     "members were removed.",
     kRemRangeCost},
    {"zremrangebylex", 4, kWrite, 1, 1, 1, StorageCmd, "sorted_set", "2.8.9",
     "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if "
     "all members were removed.",
     kRemRangeCost},
    {"zpopmin", -2, kWriteFast, 1, 1, 1, StorageCmd, "sorted_set", "5.0.0",
     "Returns the lowest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     kPopCost},
    {"zpopmax", -2, kWriteFast, 1, 1, 1, StorageCmd, "sorted_set", "5.0.0",
     "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     kPopCost},
    {"zmpop",
     -4,
     kWrite,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "7.0.0",
     "Returns the highest- or lowest-scoring members from one or more sorted sets after removing "
     "them. Deletes the sorted set if the last member was popped.",
     kMpopCost,
     {},
     {},
     NumKeysAfter<0>},
    {"bzpopmin", -3, kBlockingWrite | kFast, 1, -2, 1, StorageCmd, "sorted_set", "5.0.0",
     "Removes and returns the member with the lowest score from one or more sorted sets. Blocks "
     "until a member is available otherwise. Deletes the sorted set if the last element was "
     "popped.",
     kLogN},
    {"bzpopmax", -3, kBlockingWrite | kFast, 1, -2, 1, StorageCmd, "sorted_set", "5.0.0",
     "Removes and returns the member with the highest score from one or more sorted sets. Blocks "
     "until a member available otherwise.  Deletes the sorted set if the last element was "
     "popped.",
     kLogN},
    {"bzmpop",
     -5,
     kBlockingWrite,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "7.0.0",
     "Removes and returns a member by score from one or more sorted sets. Blocks until a member "
     "is available otherwise. Deletes the sorted set if the last element was popped.",
     kMpopCost,
     {},
     {},
     NumKeysAfter<0, 1>},
    {"zrandmember", -2, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "6.2.0",
     "Returns one or more random members from a sorted set.",
     "O(N) where N is the number of members returned"},
    {"zscan", -3, kReadOnly, 1, 1, 1, StorageCmd, "sorted_set", "2.8.0",
     "Iterates over members and scores of a sorted set.", kScanCost},
    {"zunion",
     -3,
     kReadOnly,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "6.2.0",
     "Returns the union of multiple sorted sets.",
     kUnionCost,
     {},
     {},
     NumKeysAfter<0>},
    {"zinter",
     -3,
     kReadOnly,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "6.2.0",
     "Returns the intersect of multiple sorted sets.",
     kInterCost,
     {},
     {},
     NumKeysAfter<0>},
    {"zdiff",
     -3,
     kReadOnly,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "6.2.0",
     "Returns the difference between multiple sorted sets.",
     kDiffCost,
     {},
     {},
     NumKeysAfter<0>},
    {"zunionstore",
     -4,
     kWriteDenyOom,
     1,
     1,
     1,
     StorageCmd,
     "sorted_set",
     "2.0.0",
     "Stores the union of multiple sorted sets in a key.",
     kUnionCost,
     {},
     {},
     NumKeysAfter<1>},
    {"zinterstore",
     -4,
     kWriteDenyOom,
     1,
     1,
     1,
     StorageCmd,
     "sorted_set",
     "2.0.0",
     "Stores the intersect of multiple sorted sets in a key.",
     kInterCost,
     {},
     {},
     NumKeysAfter<1>},
    {"zdiffstore",
     -4,
     kWriteDenyOom,
     1,
     1,
     1,
     StorageCmd,
     "sorted_set",
     "6.2.0",
     "Stores the difference of multiple sorted sets in a key.",
     kDiffCost,
     {},
     {},
     NumKeysAfter<1>},
    {"zintercard",
     -3,
     kReadOnly,
     0,
     0,
     0,
     StorageCmd,
     "sorted_set",
     "7.0.0",
     "Returns the number of members of the intersect of multiple sorted sets.",
     "O(N*K) worst case with N being the smallest input sorted set, K being the number of input "
     "sorted sets.",
     {},
     {},
     NumKeysAfter<0>},
};

}  // namespace

std::span<const CommandSpec> ZsetCommands() { return kCommands; }

}  // namespace shoal::server
