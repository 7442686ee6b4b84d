// Hash commands: the table only. Every command runs in the collection
// registry (storage/cmd_hash.cc) through StorageCmd.
#include "server/command.h"
#include "server/commands/util.h"

namespace shoal::server {
namespace {

constexpr CommandSpec kCommands[] = {
    {"hset", -4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Creates or modifies the value of a field in a hash.",
     "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command "
     "is called with multiple field/value pairs."},
    {"hsetnx", 4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Sets the value of a field in a hash only when the field doesn't exist."},
    {"hmset", -4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Sets the values of multiple fields.", "O(N) where N is the number of fields being set."},
    {"hget", 3, kReadFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Returns the value of a field in a hash."},
    {"hmget", -3, kReadFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Returns the values of all fields in a hash.",
     "O(N) where N is the number of fields being requested."},
    {"hgetall", 2, kReadOnly, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Returns all fields and values in a hash.", "O(N) where N is the size of the hash."},
    {"hdel", -3, kWriteFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
     "remain.",
     "O(N) where N is the number of fields to be removed."},
    {"hlen", 2, kReadFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Returns the number of fields in a hash."},
    {"hexists", 3, kReadFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Determines whether a field exists in a hash."},
    {"hkeys", 2, kReadOnly, 1, 1, 1, StorageCmd, "hash", "2.0.0", "Returns all fields in a hash.",
     "O(N) where N is the size of the hash."},
    {"hvals", 2, kReadOnly, 1, 1, 1, StorageCmd, "hash", "2.0.0", "Returns all values in a hash.",
     "O(N) where N is the size of the hash."},
    {"hincrby", 4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "hash", "2.0.0",
     "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if "
     "the field doesn't exist."},
    {"hincrbyfloat", 4, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "hash", "2.6.0",
     "Increments the floating point value of a field by a number. Uses 0 as initial value if the "
     "field doesn't exist."},
    {"hstrlen", 3, kReadFast, 1, 1, 1, StorageCmd, "hash", "3.2.0",
     "Returns the length of the value of a field."},
    {"hscan", -3, kReadOnly, 1, 1, 1, StorageCmd, "hash", "2.8.0",
     "Iterates over fields and values of a hash.", kScanCost},
    {"hrandfield", -2, kReadOnly, 1, 1, 1, StorageCmd, "hash", "6.2.0",
     "Returns one or more random fields from a hash.",
     "O(N) where N is the number of fields returned"},
};

}  // namespace

std::span<const CommandSpec> HashCommands() { return kCommands; }

}  // namespace shoal::server
