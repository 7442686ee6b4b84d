// Set commands: the table only. Every command runs in the collection
// registry (storage/cmd_set.cc) through StorageCmd.
#include "server/command.h"
#include "server/commands/util.h"

namespace shoal::server {
namespace {

constexpr std::string_view kInterCost =
    "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of "
    "sets.";
constexpr std::string_view kAllCost =
    "O(N) where N is the total number of elements in all given sets.";

constexpr CommandSpec kCommands[] = {
    {"sadd", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Adds one or more members to a set. Creates the key if it doesn't exist.", kEachAddedCost},
    {"srem", -3, kWriteFast, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Removes one or more members from a set. Deletes the set if the last member was removed.",
     "O(N) where N is the number of members to be removed."},
    {"smembers", 2, kReadOnly, 1, 1, 1, StorageCmd, "set", "1.0.0", "Returns all members of a set.",
     "O(N) where N is the set cardinality."},
    {"sismember", 3, kReadFast, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Determines whether a member belongs to a set."},
    {"smismember", -3, kReadFast, 1, 1, 1, StorageCmd, "set", "6.2.0",
     "Determines whether multiple members belong to a set.",
     "O(N) where N is the number of elements being checked for membership"},
    {"scard", 2, kReadFast, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Returns the number of members in a set."},
    {"spop", -2, kWriteFast, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Returns one or more random members from a set after removing them. Deletes the set if the "
     "last member was popped.",
     "Without the count argument O(1), otherwise O(N) where N is the value of the passed count."},
    {"srandmember", -2, kReadOnly, 1, 1, 1, StorageCmd, "set", "1.0.0",
     "Get one or multiple random members from a set",
     "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed "
     "count."},
    {"smove", 4, kWriteFast, 1, 2, 1, StorageCmd, "set", "1.0.0",
     "Moves a member from one set to another."},
    {"sinter", -2, kReadOnly, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Returns the intersect of multiple sets.", kInterCost},
    {"sintercard",
     -3,
     kReadOnly,
     0,
     0,
     0,
     StorageCmd,
     "set",
     "7.0.0",
     "Returns the number of members of the intersect of multiple sets.",
     kInterCost,
     {},
     {},
     NumKeysAfter<0>},
    {"sinterstore", -3, kWriteDenyOom, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Stores the intersect of multiple sets in a key.", kInterCost},
    {"sunion", -2, kReadOnly, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Returns the union of multiple sets.", kAllCost},
    {"sunionstore", -3, kWriteDenyOom, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Stores the union of multiple sets in a key.", kAllCost},
    {"sdiff", -2, kReadOnly, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Returns the difference of multiple sets.", kAllCost},
    {"sdiffstore", -3, kWriteDenyOom, 1, -1, 1, StorageCmd, "set", "1.0.0",
     "Stores the difference of multiple sets in a key.", kAllCost},
    {"sscan", -3, kReadOnly, 1, 1, 1, StorageCmd, "set", "2.8.0", "Iterates over members of a set.",
     kScanCost},
};

}  // namespace

std::span<const CommandSpec> SetCommands() { return kCommands; }

}  // namespace shoal::server
