// List commands: the table only. Every command runs in the collection
// registry (storage/cmd_list.cc) through StorageCmd; the blocking ones
// (BLPOP...) make one attempt there and the server waits when they find
// nothing.
#include "server/command.h"
#include "server/commands/util.h"

namespace shoal::server {
namespace {

constexpr std::string_view kMpopCost =
    "O(N+M) where N is the number of provided keys and M is the number of elements returned.";

constexpr CommandSpec kCommands[] = {
    {"lpush", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
     kEachAddedCost},
    {"rpush", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Appends one or more elements to a list. Creates the key if it doesn't exist.",
     kEachAddedCost},
    {"lpushx", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "list", "2.2.0",
     "Prepends one or more elements to a list only when the list exists.", kEachAddedCost},
    {"rpushx", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "list", "2.2.0",
     "Appends an element to a list only when the list exists.", kEachAddedCost},
    {"lpop", -2, kWriteFast, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Returns the first elements in a list after removing it. Deletes the list if the last "
     "element was popped.",
     "O(N) where N is the number of elements returned"},
    {"rpop", -2, kWriteFast, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Returns and removes the last elements of the list. Deletes the list if the last element was "
     "popped.",
     "O(N) where N is the number of elements returned"},
    {"llen", 2, kReadFast, 1, 1, 1, StorageCmd, "list", "1.0.0", "Returns the length of a list."},
    {"lrange", 4, kReadOnly, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Returns a range of elements from a list.",
     "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
     "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range."},
    {"lindex", 3, kReadOnly, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Returns an element from a list by its index.",
     "O(N) where N is the number of elements to traverse to get to the element at index. This "
     "makes asking for the first or the last element of the list O(1)."},
    {"lset", 4, kWriteDenyOom, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Sets the value of an element in a list by its index.",
     "O(N) where N is the length of the list. Setting either the first or the last element of the "
     "list is O(1)."},
    {"linsert", 5, kWriteDenyOom, 1, 1, 1, StorageCmd, "list", "2.2.0",
     "Inserts an element before or after another element in a list.",
     "O(N) where N is the number of elements to traverse before seeing the value pivot. This means "
     "that inserting somewhere on the left end on the list (head) can be considered O(1) and "
     "inserting somewhere on the right end (tail) is O(N)."},
    {"lrem", 4, kWrite, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Removes elements from a list. Deletes the list if the last element was removed.",
     "O(N+M) where N is the length of the list and M is the number of elements removed."},
    {"ltrim", 4, kWrite, 1, 1, 1, StorageCmd, "list", "1.0.0",
     "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
     "O(N) where N is the number of elements to be removed by the operation."},
    {"lpos", -3, kReadOnly, 1, 1, 1, StorageCmd, "list", "6.0.6",
     "Returns the index of matching elements in a list.",
     "O(N) where N is the number of elements in the list, for the average case. When searching "
     "for elements near the head or the tail of the list, or when the MAXLEN option is provided, "
     "the command may run in constant time."},
    {"lmove", 5, kWriteDenyOom, 1, 2, 1, StorageCmd, "list", "6.2.0",
     "Returns an element after popping it from one list and pushing it to another. Deletes the "
     "list if the last element was moved."},
    {"rpoplpush", 3, kWriteDenyOom, 1, 2, 1, StorageCmd, "list", "1.2.0",
     "Returns the last element of a list after removing and pushing it to another list. Deletes "
     "the list if the last element was popped."},
    {"lmpop",
     -4,
     kWrite,
     0,
     0,
     0,
     StorageCmd,
     "list",
     "7.0.0",
     "Returns multiple elements from a list after removing them. Deletes the list if the last "
     "element was popped.",
     kMpopCost,
     {},
     {},
     NumKeysAfter<0>},
    {"blpop", -3, kBlockingWrite, 1, -2, 1, StorageCmd, "list", "2.0.0",
     "Removes and returns the first element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "O(N) where N is the number of provided keys."},
    {"brpop", -3, kBlockingWrite, 1, -2, 1, StorageCmd, "list", "2.0.0",
     "Removes and returns the last element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "O(N) where N is the number of provided keys."},
    {"blmove", 6, kBlockingWrite | kDenyOom, 1, 2, 1, StorageCmd, "list", "6.2.0",
     "Pops an element from a list, pushes it to another list and returns it. Blocks until an "
     "element is available otherwise. Deletes the list if the last element was moved."},
    {"brpoplpush", 4, kBlockingWrite | kDenyOom, 1, 2, 1, StorageCmd, "list", "2.2.0",
     "Pops an element from a list, pushes it to another list and returns it. Block until an "
     "element is available otherwise. Deletes the list if the last element was popped."},
    {"blmpop",
     -5,
     kWrite | kBlocking,
     0,
     0,
     0,
     StorageCmd,
     "list",
     "7.0.0",
     "Pops the first element from one of multiple lists. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     kMpopCost,
     {},
     {},
     NumKeysAfter<0, 1>},
};

}  // namespace

std::span<const CommandSpec> ListCommands() { return kCommands; }

}  // namespace shoal::server
