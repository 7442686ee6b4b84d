// Stream commands: the table only. Every command runs in the collection
// registry (storage/cmd_stream.cc, storage/cmd_stream_group.cc) through
// StorageCmd; XGROUP and XINFO dispatch their subcommands there. XREAD and
// XREADGROUP with BLOCK make one attempt there and the server waits when it
// finds nothing new (server/blocking.h).
#include "core/strutil.h"
#include "server/command.h"
#include "server/commands/util.h"

namespace shoal::server {
namespace {

// XREAD / XREADGROUP: the keys follow STREAMS, as many as the IDs after
// them.
std::vector<size_t> StreamsKeys(Args args) {
  std::vector<size_t> out;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!EqualsIgnoreCase(args[i], "streams")) continue;
    const size_t n = (args.size() - i - 1) / 2;
    for (size_t k = 0; k < n; ++k) out.push_back(i + 1 + k);
    break;
  }
  return out;
}

constexpr uint32_t kHelpFlags = kLoading | kStale;
constexpr std::string_view kHelpSummary = "Returns helpful text about the different subcommands.";

constexpr CommandSpec kGroupSubs[] = {
    {"xgroup|create", -5, kWriteDenyOom, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Creates a consumer group."},
    {"xgroup|createconsumer", 5, kWriteDenyOom, 2, 2, 1, StorageCmd, "stream", "6.2.0",
     "Creates a consumer in a consumer group."},
    {"xgroup|delconsumer", 5, kWrite, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Deletes a consumer from a consumer group."},
    {"xgroup|destroy", 4, kWrite, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Destroys a consumer group.",
     "O(N) where N is the number of entries in the group's pending entries list (PEL)."},
    {"xgroup|help", 2, kHelpFlags, 0, 0, 0, StorageCmd, "stream", "5.0.0", kHelpSummary},
    {"xgroup|setid", -5, kWrite, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Sets the last-delivered ID of a consumer group."},
};

constexpr CommandSpec kInfoSubs[] = {
    {"xinfo|consumers", 4, kReadOnly, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Returns a list of the consumers in a consumer group."},
    {"xinfo|groups", 3, kReadOnly, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Returns a list of the consumer groups of a stream."},
    {"xinfo|help", 2, kHelpFlags, 0, 0, 0, StorageCmd, "stream", "5.0.0", kHelpSummary},
    {"xinfo|stream", -3, kReadOnly, 2, 2, 1, StorageCmd, "stream", "5.0.0",
     "Returns information about a stream."},
};

constexpr std::string_view kRangeCost =
    "O(N) with N being the number of elements being returned. If N is constant (e.g. always "
    "asking for the first 10 elements with COUNT), you can consider it O(1).";

constexpr CommandSpec kCommands[] = {
    {"xadd", -5, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Appends a new message to a stream. Creates the key if it doesn't exist.",
     "O(1) when adding a new entry, O(N) when trimming where N being the number of entries "
     "evicted."},
    {"xlen", 2, kReadFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Return the number of messages in a stream."},
    {"xrange", -4, kReadOnly, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Returns the messages from a stream within a range of IDs.", kRangeCost},
    {"xrevrange", -4, kReadOnly, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Returns the messages from a stream within a range of IDs in reverse order.", kRangeCost},
    {"xdel", -3, kWriteFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Returns the number of messages after removing them from a stream.",
     "O(1) for each single item to delete in the stream, regardless of the stream size."},
    {"xtrim", -4, kWrite, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Deletes messages from the beginning of a stream.",
     "O(N), with N being the number of evicted entries."},
    {"xread",
     -4,
     kReadOnly | kBlocking,
     0,
     0,
     0,
     StorageCmd,
     "stream",
     "5.0.0",
     "Returns messages from multiple streams with IDs greater than the ones requested. Blocks "
     "until a message is available otherwise.",
     "For each stream mentioned: O(N) with N the number of elements being returned, it means "
     "that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD "
     "will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
     {},
     {},
     StreamsKeys},
    {"xreadgroup",
     -7,
     kBlockingWrite,
     0,
     0,
     0,
     StorageCmd,
     "stream",
     "5.0.0",
     "Returns new or historical messages from a stream for a consumer in a group. Blocks until a "
     "message is available otherwise.",
     "For each stream mentioned: O(M) with M the number of elements returned. If M is constant "
     "(e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the "
     "other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N "
     "clients blocked on the stream getting new data.",
     {},
     {},
     StreamsKeys},
    {"xgroup", -2, 0, 0, 0, 0, StorageCmd, "stream", "5.0.0",
     "A container for consumer groups commands.", "Depends on subcommand.", kGroupSubs},
    {"xack", -4, kWriteFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Returns the number of messages that were successfully acknowledged by the consumer group "
     "member of a stream.",
     "O(1) for each message ID processed."},
    {"xpending", -3, kReadOnly, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Returns the information and entries from a stream consumer group's pending entries list.",
     "O(N) with N being the number of elements returned, so asking for a small fixed number of "
     "entries per call is O(1). O(M), where M is the total number of entries scanned when used "
     "with the IDLE filter. When the command returns just the summary and the list of consumers "
     "is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every "
     "consumer."},
    {"xclaim", -6, kWriteFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "Changes, or acquires, ownership of a message in a consumer group, as if the message was "
     "delivered a consumer group member.",
     "O(log N) with N being the number of messages in the PEL of the consumer group."},
    {"xautoclaim", -6, kWriteFast, 1, 1, 1, StorageCmd, "stream", "6.2.0",
     "Changes, or acquires, ownership of messages in a consumer group, as if the messages were "
     "delivered to as consumer group member.",
     "O(1) if COUNT is small."},
    {"xinfo", -2, 0, 0, 0, 0, StorageCmd, "stream", "5.0.0",
     "A container for stream introspection commands.", "Depends on subcommand.", kInfoSubs},
    {"xsetid", -3, kWriteDenyOomFast, 1, 1, 1, StorageCmd, "stream", "5.0.0",
     "An internal command for replicating stream values."},
};

}  // namespace

std::span<const CommandSpec> StreamCommands() { return kCommands; }

}  // namespace shoal::server
