// A blocking, cluster-aware RESP client (the shoal/Redis Cluster protocol):
// keeps a slot → node map from CLUSTER SLOTS, sends each command to the node
// that owns its key's slot over one plain Client per node, and follows
// -MOVED / -ASK redirects. Used by tools, benchmarks and tests.
//
// Not thread-safe: one ClusterClient per thread.
//
// Retries and their cost: on TRYAGAIN / CLUSTERDOWN replies and on
// connection errors a command is retried with exponential back-off (from
// retry_backoff, capped at kMaxRetryBackoff) until `timeout` has passed since
// it was issued. A command whose connection broke after it was written may
// have executed, so a retried command can execute twice (at-least-once, as
// with redis-py's cluster client); MOVED and ASK always mean "not executed".
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/client.h"
#include "client/cluster_routing.h"
#include "core/keyslot.h"
#include "core/resp/value.h"
#include "core/status.h"

namespace shoal::client {

// Longest single back-off between retries of one command.
inline constexpr std::chrono::milliseconds kMaxRetryBackoff{1000};

struct ClusterOptions {
  // Where to ask for the slot map first; any one reachable node suffices.
  std::vector<std::pair<std::string, int>> seeds;
  // Deadline of one command including its retries (each command a Pipeline
  // retries gets its own); also the connect and read timeout of each node
  // connection.
  std::chrono::milliseconds timeout{5000};
  // MOVED/ASK redirects followed per command before giving up.
  int max_redirects = 16;
  std::chrono::milliseconds retry_backoff{50};
};

class ClusterClient {
 public:
  // Connects to the seeds until one answers CLUSTER SLOTS. InvalidArgument
  // without seeds; Unavailable if no seed gives a slot map.
  static Result<std::unique_ptr<ClusterClient>> Connect(const ClusterOptions& options);

  // Replaces the slot map with CLUSTER SLOTS from the first node that
  // answers, trying known nodes, then seeds. Connections to nodes no longer
  // in the map are closed. Unavailable if no node answers; the old map stays.
  Status RefreshSlots();

  // Sends one command (args[0] is its name) to the node owning its first key
  // (see FirstKeyIndex; keyless commands go to any known node) and returns
  // its reply. MOVED updates the map (and refreshes it) and retries there;
  // ASK retries once on the named node, preceded by ASKING. A server error
  // reply is a Value of type kError, not a failed Result; a TRYAGAIN /
  // CLUSTERDOWN reply still there at the deadline is returned as such.
  // Failed Results: InvalidArgument for an empty command; Unavailable when
  // redirected more than max_redirects times (not executed) or when no node
  // could be reached before the deadline (outcome unknown if it was sent).
  Result<resp::Value> Command(const std::vector<std::string>& args);

  // Sends the commands grouped by node, each group in one write (all groups
  // are written before any reply is read), and returns one reply per command
  // in input order. Commands answered with MOVED / ASK / TRYAGAIN /
  // CLUSTERDOWN, or whose node connection failed, are retried one by one
  // through Command() (after a single slot map refresh if any was MOVED). A
  // failed Result is the first failure of such a retry.
  Result<std::vector<resp::Value>> Pipeline(const std::vector<std::vector<std::string>>& cmds);

  // The node currently believed to own `slot`, or {"", 0} if none is known.
  std::pair<std::string, int> NodeForSlot(uint16_t slot) const;

 private:
  explicit ClusterClient(ClusterOptions options);

  // Where a command goes: nullopt if it has a key whose slot has no known
  // owner and no node is known at all.
  std::optional<NodeAddr> Route(const std::vector<std::string>& args) const;
  std::optional<NodeAddr> AnyNode() const;
  void SetOwner(uint16_t slot, const NodeAddr& node);
  // The cached connection to `node`, connecting if there is none.
  Result<Client*> Conn(const NodeAddr& node);
  void DropConn(const NodeAddr& node);
  Result<resp::Value> SendTo(const NodeAddr& node, const std::vector<std::string>& args,
                             bool asking);

  const ClusterOptions options_;
  // Addresses of the nodes in the map; slot_owner_ indexes into it (-1: no
  // known owner). Rebuilt by RefreshSlots(); MOVED may append.
  std::vector<NodeAddr> nodes_;
  std::array<int32_t, kSlotCount> slot_owner_;
  std::map<NodeAddr, std::unique_ptr<Client>> conns_;
};

}  // namespace shoal::client
