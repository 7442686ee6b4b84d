// Pub/sub commands (server/pubsub.h): SUBSCRIBE & co. change the
// connection's subscriptions; PUBLISH delivers here and sends the message
// to the other nodes; PUBSUB reports this node's subscriptions (as Redis
// Cluster does).
#include "server/command.h"
#include "server/commands/util.h"
#include "server/server.h"

namespace shoal::server {
namespace {

// Pub/sub needs a client connection (not inside an applied EXEC).
bool HasConn(CommandContext& ctx) {
  if (ctx.conn != nullptr) return true;
  ctx.Error("ERR this command needs a client connection");
  return false;
}

// (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE: the kind comes from the name.
void SubscriptionCmd(CommandContext& ctx, Args a) {
  if (!HasConn(ctx)) return;
  std::string_view name = ctx.spec->name;
  const bool unsubscribe = name.ends_with("unsubscribe");
  // "", "p" or "s" before "(un)subscribe".
  const std::string_view prefix = name.substr(0, name.size() - (unsubscribe ? 11 : 9));
  const PubKind kind = prefix.empty()  ? PubKind::kChannel
                       : prefix == "p" ? PubKind::kPattern
                                       : PubKind::kShard;
  if (unsubscribe) return ctx.conn->Unsubscribe(kind, a.subspan(1));
  ctx.conn->Subscribe(kind, a.subspan(1));
}

void PublishCmd(CommandContext& ctx, Args a) {
  ctx.out.Integer(ctx.server.Publish(false, a[1], a[2]));
}

void SpublishCmd(CommandContext& ctx, Args a) {
  ctx.out.Integer(ctx.server.Publish(true, a[1], a[2]));
}

void ChannelsReply(CommandContext& ctx, Args a, bool shard) {
  std::optional<std::string_view> pattern;
  if (a.size() > 2) pattern = a[2];
  auto names = ctx.server.pubsub().Channels(shard, pattern);
  ctx.out.ArrayHeader(static_cast<int64_t>(names.size()));
  for (const auto& n : names) ctx.out.Bulk(n);
}

void NumSubReply(CommandContext& ctx, Args a, bool shard) {
  ctx.out.MapHeader(static_cast<int64_t>(a.size() - 2));
  for (size_t i = 2; i < a.size(); ++i) {
    ctx.out.Bulk(a[i]);
    ctx.out.Integer(ctx.server.pubsub().NumSub(shard, a[i]));
  }
}

constexpr std::string_view kPubsubHelp[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Print this help.",
};

void PubsubCmd(CommandContext& ctx, Args a) {
  std::string_view sub = a[1];
  if ((Is(sub, "channels") || Is(sub, "shardchannels")) && a.size() > 3) {
    return ctx.Error("ERR unknown subcommand or wrong number of arguments for '" +
                     std::string(sub) + "'. Try PUBSUB HELP.");
  }
  if (Is(sub, "channels")) return ChannelsReply(ctx, a, false);
  if (Is(sub, "shardchannels")) return ChannelsReply(ctx, a, true);
  if (Is(sub, "numsub")) return NumSubReply(ctx, a, false);
  if (Is(sub, "shardnumsub")) return NumSubReply(ctx, a, true);
  if (Is(sub, "numpat")) return ctx.out.Integer(ctx.server.pubsub().NumPat());
  ReplyHelp(ctx, kPubsubHelp);
}

constexpr uint32_t kSub = kPubSub | kNoScript | kLoading | kStale;
constexpr uint32_t kPub = kPubSub | kLoading | kStale | kFast | kMayReplicate;
constexpr uint32_t kIntrospect = kPubSub | kLoading | kStale;

constexpr CommandSpec kPubsubSubs[] = {
    {"pubsub|channels", -2, kIntrospect, 0, 0, 0, PubsubCmd, "pubsub", "2.8.0",
     "Returns the active channels.",
     "O(N) where N is the number of active channels, and assuming constant time pattern matching "
     "(relatively short channels and patterns)"},
    {"pubsub|help", 2, kLoading | kStale, 0, 0, 0, PubsubCmd, "pubsub", "6.2.0",
     "Returns helpful text about the different subcommands."},
    {"pubsub|numpat", 2, kIntrospect, 0, 0, 0, PubsubCmd, "pubsub", "2.8.0",
     "Returns a count of unique pattern subscriptions."},
    {"pubsub|numsub", -2, kIntrospect, 0, 0, 0, PubsubCmd, "pubsub", "2.8.0",
     "Returns a count of subscribers to channels.",
     "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
    {"pubsub|shardchannels", -2, kIntrospect, 0, 0, 0, PubsubCmd, "pubsub", "7.0.0",
     "Returns the active shard channels.",
     "O(N) where N is the number of active shard channels, and assuming constant time pattern "
     "matching (relatively short shard channels)."},
    {"pubsub|shardnumsub", -2, kIntrospect, 0, 0, 0, PubsubCmd, "pubsub", "7.0.0",
     "Returns the count of subscribers of shard channels.",
     "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
};

constexpr CommandSpec kCommands[] = {
    {"subscribe", -2, kSub, 0, 0, 0, SubscriptionCmd, "pubsub", "2.0.0",
     "Listens for messages published to channels.",
     "O(N) where N is the number of channels to subscribe to."},
    {"psubscribe", -2, kSub, 0, 0, 0, SubscriptionCmd, "pubsub", "2.0.0",
     "Listens for messages published to channels that match one or more patterns.",
     "O(N) where N is the number of patterns to subscribe to."},
    {"ssubscribe", -2, kSub, 1, -1, 1, SubscriptionCmd, "pubsub", "7.0.0",
     "Listens for messages published to shard channels.",
     "O(N) where N is the number of shard channels to subscribe to."},
    {"unsubscribe", -1, kSub, 0, 0, 0, SubscriptionCmd, "pubsub", "2.0.0",
     "Stops listening to messages posted to channels.",
     "O(N) where N is the number of channels to unsubscribe."},
    {"punsubscribe", -1, kSub, 0, 0, 0, SubscriptionCmd, "pubsub", "2.0.0",
     "Stops listening to messages published to channels that match one or more patterns.",
     "O(N) where N is the number of patterns to unsubscribe."},
    {"sunsubscribe", -1, kSub, 1, -1, 1, SubscriptionCmd, "pubsub", "7.0.0",
     "Stops listening to messages posted to shard channels.",
     "O(N) where N is the number of shard channels to unsubscribe."},
    {"publish", 3, kPub, 0, 0, 0, PublishCmd, "pubsub", "2.0.0", "Posts a message to a channel.",
     "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
     "total number of subscribed patterns (by any client)."},
    {"spublish", 3, kPub, 1, 1, 1, SpublishCmd, "pubsub", "7.0.0",
     "Post a message to a shard channel",
     "O(N) where N is the number of clients subscribed to the receiving shard channel."},
    {"pubsub", -2, 0, 0, 0, 0, PubsubCmd, "pubsub", "2.8.0", "A container for Pub/Sub commands.",
     "Depends on subcommand.", kPubsubSubs},
};

}  // namespace

std::span<const CommandSpec> PubSubCommands() { return kCommands; }

}  // namespace shoal::server
