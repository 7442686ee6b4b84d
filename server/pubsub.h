// Pub/sub on one node (DESIGN.md §6): who is subscribed to what, and the
// delivery of a message to this node's subscribers. PUBLISH reaches the
// other nodes over the cluster bus (cluster::Host::Broadcast); each node
// delivers to its own subscribers, so a message reaches every subscriber
// of the cluster once. SPUBLISH goes to the nodes of the channel's shard.
//
// Delivery is asynchronous: Deliver() counts the receivers and posts one
// batch per worker; each worker appends the message to its connections'
// output (Connection::PushPubSub), in the order Deliver was called for
// that worker — so messages of one publisher arrive in publish order.
//
// Thread-safety: all methods are thread-safe (a shared mutex: publishers
// read in parallel, subscribing writes).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shoal::server {

class Connection;
struct Worker;

enum class PubKind : uint8_t {
  kChannel = 0,  // SUBSCRIBE
  kPattern = 1,  // PSUBSCRIBE
  kShard = 2,    // SSUBSCRIBE
};

class PubSubHub {
 public:
  // Subscribes / unsubscribes connection `c` (its id and worker identify
  // it); false when it already was / was not subscribed.
  bool Add(PubKind kind, const std::string& name, const std::shared_ptr<Connection>& c);
  bool Remove(PubKind kind, const std::string& name, uint64_t conn_id);

  // Delivers `message` on `channel` to this node's subscribers: channel and
  // pattern subscribers (shard = false) or shard-channel subscribers
  // (shard = true). Returns the number of receivers.
  int64_t Deliver(bool shard, std::string_view channel, std::string_view message);

  // PUBSUB CHANNELS / SHARDCHANNELS: channels with a subscriber, matching
  // `pattern` when given.
  std::vector<std::string> Channels(bool shard, std::optional<std::string_view> pattern);
  // How many channels (or shard channels) have a subscriber (INFO).
  int64_t ChannelCount(bool shard);
  // PUBSUB NUMSUB / SHARDNUMSUB.
  int64_t NumSub(bool shard, std::string_view channel);
  // PUBSUB NUMPAT: patterns with a subscriber.
  int64_t NumPat();

 private:
  struct Sub {
    uint64_t id;
    std::weak_ptr<Connection> conn;
    Worker* worker;
  };
  using Table = std::unordered_map<std::string, std::vector<Sub>>;
  Table& table(PubKind kind) { return tables_[static_cast<int>(kind)]; }

  std::shared_mutex mu_;
  Table tables_[3];  // guarded by mu_
};

}  // namespace shoal::server
