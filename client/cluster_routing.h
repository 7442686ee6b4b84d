// The pieces of Redis Cluster client routing that need no I/O: where a
// command's first key is, what a redirect error says, which errors are worth
// retrying, and what a CLUSTER SLOTS reply means. ClusterClient is built on
// these; the server's forwarding path may use them too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/resp/value.h"
#include "core/status.h"

namespace shoal::client {

// A node's client address.
using NodeAddr = std::pair<std::string, int>;

// Index in `args` (args[0] is the command name) of the key that decides
// where the command goes, or nullopt for a command without keys (PING,
// INFO, CLUSTER ..., PUBLISH, EVAL with 0 keys, ...), which any node may
// serve. Covers the commands whose first key is not args[1] (EVAL, FCALL,
// XREAD[GROUP] ... STREAMS, BITOP, OBJECT, MEMORY USAGE, XINFO, XGROUP,
// [B]LMPOP, [B]ZMPOP, ZUNION/ZINTER/ZDIFF, SINTERCARD, ZINTERCARD); every
// other command with arguments routes by args[1]. Case-insensitive.
std::optional<size_t> FirstKeyIndex(const std::vector<std::string>& args);

// A -MOVED or -ASK error reply, e.g. "MOVED 3999 127.0.0.1:6381".
struct Redirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  uint16_t slot = 0;
  // Empty when the server sent ":port" (meaning: the host the client used
  // to reach the replying node).
  std::string host;
  int port = 0;
};
// `error` is the error reply's text without the leading '-'. nullopt if it
// is not a well-formed MOVED/ASK.
std::optional<Redirect> ParseRedirect(std::string_view error);

// TRYAGAIN and CLUSTERDOWN: the command was not executed and may succeed
// later on the same node.
bool IsRetryableClusterError(std::string_view error);

// One row of CLUSTER SLOTS: slots [first, last] are served by `master`.
struct SlotRange {
  uint16_t first = 0;
  uint16_t last = 0;
  NodeAddr master;
};
// Decodes a CLUSTER SLOTS reply. An empty host in the reply means "the host
// you asked", so it becomes `asked_host`; rows whose endpoint is unknown
// ("?") are skipped. Corruption if the reply does not have the documented
// shape or a slot is out of range.
Result<std::vector<SlotRange>> ParseClusterSlots(const resp::Value& reply,
                                                 std::string_view asked_host);

}  // namespace shoal::client
