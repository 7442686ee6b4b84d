// CLUSTER SLOTS | SHARDS | NODES | INFO | KEYSLOT | MYID | COUNTKEYSINSLOT |
// GETKEYSINSLOT, READONLY, READWRITE, ASKING, and SHOAL.FAULT (bus
// partitions for tests). A shoal node reports each
// shard's current Raft leader as the master of the shard's slots and its
// followers as replicas, so cluster-aware Redis clients route as usual.
// A node leads some shards and follows others; CLUSTER NODES lists every
// node as a master with the slots of the shards it leads.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/keyslot.h"
#include "core/strutil.h"
#include "server/commands/util.h"
#include "server/server.h"
#include "storage/op.h"
#include "storage/reads.h"

namespace shoal::server {
namespace {

// A Redis node id is 40 hex digits; shoal's are the node number, padded.
std::string NodeName(uint64_t id) {
  char buf[41];
  std::snprintf(buf, sizeof(buf), "%040llx", static_cast<unsigned long long>(id));
  return buf;
}

cluster::Host* HostOrError(CommandContext& ctx) {
  cluster::Host* host = ctx.server.host();
  if (host == nullptr) ctx.Error("ERR This instance has cluster support disabled");
  return host;
}

// Slot ranges per shard, computed once per definition.
std::vector<std::pair<uint16_t, uint16_t>> Ranges(cluster::Host& host, uint32_t shard) {
  return host.def().slot_map().Ranges(shard);
}

void NodeEntry(resp::Writer& out, const cluster::NodeAddress& n) {
  out.ArrayHeader(3);
  out.Bulk(n.host);
  out.Integer(n.port);
  out.Bulk(NodeName(n.id));
}

void SlotsCmd(CommandContext& ctx, Args) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  ctx.conn->SetClusterAware();
  struct Row {
    uint16_t first, last;
    uint32_t shard;
    uint64_t leader;
  };
  std::vector<Row> rows;
  for (uint32_t shard = 0; shard < host->def().shards(); ++shard) {
    uint64_t leader = host->LeaderOf(shard);
    if (leader == 0) continue;  // not served until it has a leader
    for (auto [first, last] : Ranges(*host, shard)) rows.push_back(Row{first, last, shard, leader});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.first < b.first; });
  ctx.out.ArrayHeader(static_cast<int64_t>(rows.size()));
  for (const auto& r : rows) {
    const auto& replicas = host->def().Replicas(r.shard);
    ctx.out.ArrayHeader(2 + static_cast<int64_t>(replicas.size()));
    ctx.out.Integer(r.first);
    ctx.out.Integer(r.last);
    NodeEntry(ctx.out, *host->def().Node(r.leader));
    for (uint64_t id : replicas) {
      if (id != r.leader) NodeEntry(ctx.out, *host->def().Node(id));
    }
  }
}

void ShardsCmd(CommandContext& ctx, Args) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  ctx.conn->SetClusterAware();
  auto shards = host->Shards();
  ctx.out.ArrayHeader(static_cast<int64_t>(shards.size()));
  for (const auto& si : shards) {
    auto ranges = Ranges(*host, si.shard);
    ctx.out.MapHeader(2);
    ctx.out.Bulk("slots");
    ctx.out.ArrayHeader(static_cast<int64_t>(ranges.size() * 2));
    for (auto [first, last] : ranges) {
      ctx.out.Integer(first);
      ctx.out.Integer(last);
    }
    ctx.out.Bulk("nodes");
    ctx.out.ArrayHeader(static_cast<int64_t>(si.replicas.size()));
    for (uint64_t id : si.replicas) {
      const auto& n = *host->def().Node(id);
      ctx.out.MapHeader(6);
      ctx.out.Bulk("id");
      ctx.out.Bulk(NodeName(id));
      ctx.out.Bulk("port");
      ctx.out.Integer(n.port);
      ctx.out.Bulk("ip");
      ctx.out.Bulk(n.host);
      ctx.out.Bulk("endpoint");
      ctx.out.Bulk(n.host);
      ctx.out.Bulk("role");
      ctx.out.Bulk(id == si.leader ? "master" : "replica");
      ctx.out.Bulk("health");
      ctx.out.Bulk(si.leader != 0 ? "online" : "failed");
    }
  }
}

void NodesCmd(CommandContext& ctx, Args) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  ctx.conn->SetClusterAware();
  std::map<uint64_t, std::vector<std::pair<uint16_t, uint16_t>>> led;
  uint64_t epoch = 0;
  for (const auto& si : host->Shards()) {
    epoch = std::max(epoch, si.term);
    if (si.leader == 0) continue;
    auto r = Ranges(*host, si.shard);
    led[si.leader].insert(led[si.leader].end(), r.begin(), r.end());
  }
  std::string text;
  for (const auto& n : host->def().nodes()) {
    text += NodeName(n.id) + " " + n.host + ":" + std::to_string(n.port) + "@" +
            std::to_string(n.port + cluster::kBusPortOffset) + " ";
    text += n.id == host->self() ? "myself,master" : "master";
    text += " - 0 0 " + std::to_string(epoch) + " connected";
    auto& ranges = led[n.id];
    std::sort(ranges.begin(), ranges.end());
    for (auto [first, last] : ranges) {
      text += " " + std::to_string(first);
      if (last != first) text += "-" + std::to_string(last);
    }
    text += "\n";
  }
  ctx.out.Verbatim("txt", text);
}

void InfoCmd(CommandContext& ctx, Args) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  uint64_t ok_slots = 0, epoch = 0;
  std::vector<uint64_t> leaders;
  for (const auto& si : host->Shards()) {
    epoch = std::max(epoch, si.term);
    if (si.leader == 0) continue;
    ok_slots += host->def().slot_map().SlotCount(si.shard);
    leaders.push_back(si.leader);
  }
  std::sort(leaders.begin(), leaders.end());
  leaders.erase(std::unique(leaders.begin(), leaders.end()), leaders.end());
  std::string t;
  auto field = [&t](const char* name, const std::string& v) {
    t += name;
    t += ':';
    t += v;
    t += "\r\n";
  };
  field("cluster_state", ok_slots == 16384 ? "ok" : "fail");
  field("cluster_slots_assigned", "16384");
  field("cluster_slots_ok", std::to_string(ok_slots));
  field("cluster_slots_pfail", "0");
  field("cluster_slots_fail", std::to_string(16384 - ok_slots));
  field("cluster_known_nodes", std::to_string(host->def().nodes().size()));
  field("cluster_size", std::to_string(leaders.size()));
  field("cluster_current_epoch", std::to_string(epoch));
  field("cluster_my_epoch", std::to_string(epoch));
  field("cluster_shards", std::to_string(host->def().shards()));
  field("cluster_replicas", std::to_string(host->def().replicas()));
  field("cluster_replication", host->def().replication());
  ctx.out.Verbatim("txt", t);
}

void KeySlotCmd(CommandContext& ctx, Args a) { ctx.out.Integer(KeySlot(a[2])); }

void MyIdCmd(CommandContext& ctx, Args) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  ctx.out.Bulk(NodeName(host->self()));
}

std::optional<uint16_t> SlotArg(CommandContext& ctx, std::string_view s) {
  auto n = ParseInt64(s);
  if (!n || *n < 0 || *n >= 16384) {
    ctx.Error("ERR Invalid slot");
    return std::nullopt;
  }
  return static_cast<uint16_t>(*n);
}

void CountKeysInSlotCmd(CommandContext& ctx, Args a) {
  auto slot = SlotArg(ctx, a[2]);
  if (!slot) return;
  auto keys = storage::reads::KeysInSlot(ctx.ks(), *slot, SIZE_MAX, ctx.now_ms);
  if (!keys.ok()) return ctx.Error("ERR storage error: " + keys.status().message());
  ctx.out.Integer(static_cast<int64_t>(keys->size()));
}

void GetKeysInSlotCmd(CommandContext& ctx, Args a) {
  auto slot = SlotArg(ctx, a[2]);
  if (!slot) return;
  auto count = ParseInt64(a[3]);
  if (!count || *count < 0) return ctx.Error("ERR Invalid number of keys");
  auto keys = storage::reads::KeysInSlot(ctx.ks(), *slot, static_cast<size_t>(*count), ctx.now_ms);
  if (!keys.ok()) return ctx.Error("ERR storage error: " + keys.status().message());
  ctx.out.BulkArray(*keys);
}

void HelpCmd(CommandContext& ctx, Args) {
  static constexpr std::string_view kLines[] = {
      "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "COUNTKEYSINSLOT <slot>",
      "    Return the number of keys in <slot>.",
      "FAILOVER [FORCE|TAKEOVER]",
      "    Move the leadership of every shard this node follows to it.",
      "GETKEYSINSLOT <slot> <count>",
      "    Return key names stored by this node in a slot.",
      "INFO",
      "    Return information about the cluster.",
      "KEYSLOT <key>",
      "    Return the hash slot for <key>.",
      "MYID",
      "    Return the node id.",
      "NODES",
      "    Return cluster configuration seen by node.",
      "SHARDS",
      "    Return information about slot range mappings and the nodes of each shard.",
      "SLOTS",
      "    Return information about slots range mappings.",
      "HELP",
      "    Print this help.",
  };
  ReplyHelp(ctx, kLines);
}

// CLUSTER FAILOVER [FORCE|TAKEOVER]: every shard this node follows moves
// its leadership here (a planned Raft transfer: the leader hands over once
// this node is caught up). The options are accepted; a transfer needs the
// leader either way (without one, Raft elects).
void FailoverCmd(CommandContext& ctx, Args a) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  if (a.size() > 3 || (a.size() == 3 && !Is(a[2], "force") && !Is(a[2], "takeover"))) {
    return SyntaxError(ctx);
  }
  int asked = 0;
  for (uint32_t shard = 0; shard < host->def().shards(); ++shard) {
    if (!host->HoldsShard(shard) || host->LeadsShard(shard)) continue;
    host->TransferLeadership(shard, host->self());
    ++asked;
  }
  if (asked == 0) {
    return ctx.Error(
        "ERR You should send CLUSTER FAILOVER to a replica (this node leads every "
        "shard it holds)");
  }
  spdlog::info("CLUSTER FAILOVER: leadership of {} shard(s) asked for", asked);
  ctx.out.Ok();
}

void ClusterCmd(CommandContext& ctx, Args a) {
  static constexpr std::pair<std::string_view, Handler> kSubs[] = {
      {"slots", SlotsCmd},
      {"shards", ShardsCmd},
      {"nodes", NodesCmd},
      {"info", InfoCmd},
      {"keyslot", KeySlotCmd},
      {"myid", MyIdCmd},
      {"countkeysinslot", CountKeysInSlotCmd},
      {"getkeysinslot", GetKeysInSlotCmd},
      {"help", HelpCmd},
      {"failover", FailoverCmd},
  };
  for (auto [name, fn] : kSubs) {
    if (EqualsIgnoreCase(a[1], name)) return fn(ctx, a);
  }
  ctx.Error("ERR unknown subcommand '" + std::string(a[1].substr(0, 128)) + "'. Try CLUSTER HELP.");
}

void ReadOnlyCmd(CommandContext& ctx, Args) {
  if (HostOrError(ctx) == nullptr) return;
  ctx.conn->SetClusterAware();
  // READONLY: reads of shards this node replicates are served from its own
  // copy, without asking the leader (eventually consistent, as Redis
  // Cluster's replica reads).
  ctx.conn->SetFollowerReads(ctx.spec->name == "readonly");
  ctx.out.Ok();
}

void AskingCmd(CommandContext& ctx, Args) {
  if (HostOrError(ctx) == nullptr) return;
  ctx.out.Ok();
}

constexpr uint32_t kIntro = kLoading | kStale;

constexpr CommandSpec kClusterSubs[] = {
    {"cluster|slots", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the mapping of cluster slots to nodes.", "O(N)"},
    {"cluster|shards", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "7.0.0",
     "Returns the mapping of cluster slots to shards.", "O(N)"},
    {"cluster|nodes", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the cluster configuration for a node.", "O(N)"},
    {"cluster|info", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns information about the state of a node."},
    {"cluster|keyslot", 3, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the hash slot for a key.", "O(N)"},
    {"cluster|myid", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the ID of a node."},
    {"cluster|countkeysinslot", 3, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the number of keys in a hash slot."},
    {"cluster|getkeysinslot", 4, kIntro, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Returns the key names in a hash slot.", "O(N)"},
    {"cluster|failover", -2, kAdmin, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "Forces a replica to perform a manual failover of its master.", "O(1)"},
    {"cluster|help", 2, kIntro, 0, 0, 0, ClusterCmd, "cluster", "5.0.0",
     "Returns helpful text about the different subcommands.", "O(N)"},
};

// SHOAL.FAULT BLOCK <node> [<node> ...] | UNBLOCK <node> [...] | HEAL: drops
// (or stops dropping) this node's outgoing bus traffic to the nodes named:
// a partition for the fault harness, one-way unless both sides are told.
// Only with fault-injection yes.
void FaultCmd(CommandContext& ctx, Args a) {
  if (!ctx.server.config().fault_injection) {
    return ctx.Error(
        "ERR fault injection is off (start the node with --fault-injection yes to allow "
        "SHOAL.FAULT)");
  }
  cluster::Host* host = ctx.server.host();
  if (host == nullptr) return ctx.Error("ERR SHOAL.FAULT needs cluster mode");
  const bool heal = Is(a[1], "heal");
  const bool block = Is(a[1], "block");
  if (!heal && !block && !Is(a[1], "unblock")) return SyntaxError(ctx);
  if (heal != (a.size() == 2)) return ctx.WrongArity();
  std::vector<uint64_t> nodes;
  if (heal) {
    for (const auto& n : host->def().nodes()) nodes.push_back(n.id);
  }
  for (size_t i = 2; i < a.size(); ++i) {
    auto id = ParseInt64(a[i]);
    if (!id || *id <= 0 || host->def().Node(static_cast<uint64_t>(*id)) == nullptr) {
      return ctx.Error("ERR unknown node '" + std::string(a[i]) + "'");
    }
    nodes.push_back(static_cast<uint64_t>(*id));
  }
  for (uint64_t n : nodes) {
    if (n != host->self()) host->SetPeerBlocked(n, block);
  }
  spdlog::warn("SHOAL.FAULT {}: bus traffic to {} node(s) {}", a[1], nodes.size(),
               block ? "dropped" : "restored");
  ctx.out.Ok();
}

// SHOAL.DRAIN [ON|OFF]: this node hands over every shard it leads and
// takes no leadership back until OFF or a restart (shoal-cluster drain).
void DrainCmd(CommandContext& ctx, Args a) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr) return;
  if (a.size() > 2 || (a.size() == 2 && !Is(a[1], "on") && !Is(a[1], "off"))) {
    return SyntaxError(ctx);
  }
  host->Drain(a.size() == 1 || Is(a[1], "on"));
  ctx.out.Ok();
}

// SHOAL.PROPOSE shard op: a write another node routed here as its encoded
// op (it was never proposed there: leadership moved first).
void ProposeCmd(CommandContext& ctx, Args a) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr || ctx.conn == nullptr) return;
  auto shard = ParseInt64(a[1]);
  if (!shard || *shard < 0 || *shard >= static_cast<int64_t>(host->def().shards())) {
    return ctx.Error("ERR invalid shard");
  }
  if (!storage::DecodeOp(a[2]).ok()) return ctx.Error("ERR invalid operation encoding");
  ctx.conn->ProposeRaw(static_cast<uint32_t>(*shard), std::string(a[2]));
}

// WAIT numreplicas timeout: followers holding this connection's last
// write (its shard's). One node: no replicas, 0 at once.
void WaitCmd(CommandContext& ctx, Args a) {
  auto want = ParseInt64(a[1]);
  if (!want) return ctx.Error("ERR value is not an integer or out of range");
  auto timeout = ParseInt64(a[2]);
  if (!timeout) return ctx.Error("ERR timeout is not an integer or out of range");
  if (*timeout < 0) return ctx.Error("ERR timeout is negative");
  if (ctx.server.host() == nullptr || ctx.conn == nullptr) return ctx.out.Integer(0);
  ctx.conn->WaitReplicas(*want, *timeout);
}

// SHOAL.WAITSHARD shard numreplicas timeout: WAIT as asked by another node
// for a connection whose last write went to `shard`, led here.
void WaitShardCmd(CommandContext& ctx, Args a) {
  cluster::Host* host = HostOrError(ctx);
  if (host == nullptr || ctx.conn == nullptr) return;
  auto shard = ParseInt64(a[1]);
  auto want = ParseInt64(a[2]);
  auto timeout = ParseInt64(a[3]);
  if (!shard || *shard < 0 || *shard >= static_cast<int64_t>(host->def().shards()) || !want ||
      !timeout || *timeout < 0) {
    return SyntaxError(ctx);
  }
  ctx.conn->WaitReplicas(*want, *timeout, static_cast<uint32_t>(*shard));
}

constexpr CommandSpec kCommands[] = {
    {"wait", 3, kNoScript, 0, 0, 0, WaitCmd, "generic", "3.0.0",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "O(1)"},
    {"shoal.drain", -1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, DrainCmd, "shoal", "0.1.0",
     "Hands over the leadership of every shard this node leads and keeps it away (ON, the "
     "default) or ends that (OFF).",
     "O(S) where S is the number of shards"},
    {"shoal.propose", 3, kWrite | kNoScript, 0, 0, 0, ProposeCmd, "shoal", "0.1.0",
     "Internal: proposes a write another node routed here as its encoded operation.", "O(1)"},
    {"shoal.waitshard", 4, kNoScript, 0, 0, 0, WaitShardCmd, "shoal", "0.1.0",
     "Internal: WAIT for a connection of another node whose last write went to a shard led "
     "here.",
     "O(1)"},
    {"shoal.fault", -2, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0, FaultCmd, "shoal", "0.1.0",
     "Internal: cuts or restores this node's bus links (fault injection; needs fault-injection "
     "yes).",
     "O(N) where N is the number of nodes named"},
    {"cluster", -2, 0, 0, 0, 0, ClusterCmd, "cluster", "3.0.0",
     "A container for Redis Cluster commands.", "Depends on subcommand.", kClusterSubs},
    {"readonly", 1, kFast | kLoading | kStale, 0, 0, 0, ReadOnlyCmd, "cluster", "3.0.0",
     "Enables read-only queries for a connection to a Redis Cluster replica node."},
    {"readwrite", 1, kFast | kLoading | kStale, 0, 0, 0, ReadOnlyCmd, "cluster", "3.0.0",
     "Enables read-write queries for a connection to a Redis Cluster replica node."},
    {"asking", 1, kFast, 0, 0, 0, AskingCmd, "cluster", "3.0.0",
     "Signals that a cluster client is following an -ASK redirect."},
};

}  // namespace

std::span<const CommandSpec> ClusterCommands() { return kCommands; }

}  // namespace shoal::server
