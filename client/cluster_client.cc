#include "client/cluster_client.h"

#include <algorithm>
#include <thread>
#include <utility>

namespace shoal::client {
namespace {

using Clock = std::chrono::steady_clock;

std::string AddrString(const NodeAddr& node) {
  return node.first + ":" + std::to_string(node.second);
}

}  // namespace

ClusterClient::ClusterClient(ClusterOptions options) : options_(std::move(options)) {
  slot_owner_.fill(-1);
}

Result<std::unique_ptr<ClusterClient>> ClusterClient::Connect(const ClusterOptions& options) {
  if (options.seeds.empty()) return Status::InvalidArgument("ClusterClient: no seed nodes");
  std::unique_ptr<ClusterClient> c(new ClusterClient(options));
  Status s = c->RefreshSlots();
  if (!s.ok()) return s;
  return c;
}

Status ClusterClient::RefreshSlots() {
  std::vector<NodeAddr> candidates = nodes_;
  for (const auto& seed : options_.seeds) {
    if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
      candidates.push_back(seed);
    }
  }
  Status last = Status::Unavailable("no node to ask");
  for (const auto& node : candidates) {
    auto conn = Conn(node);
    if (!conn.ok()) {
      last = conn.status();
      continue;
    }
    auto reply = conn.value()->Command({"CLUSTER", "SLOTS"});
    if (!reply.ok()) {
      DropConn(node);
      last = reply.status();
      continue;
    }
    if (reply->is_error()) {
      last = Status::Unavailable(AddrString(node) + ": " + reply->str);
      continue;
    }
    auto ranges = ParseClusterSlots(reply.value(), node.first);
    if (!ranges.ok()) {
      last = ranges.status();
      continue;
    }
    std::vector<NodeAddr> nodes;
    std::array<int32_t, kSlotCount> owner{};
    owner.fill(-1);
    for (const auto& range : ranges.value()) {
      auto it = std::find(nodes.begin(), nodes.end(), range.master);
      if (it == nodes.end()) it = nodes.insert(nodes.end(), range.master);
      std::fill(owner.begin() + range.first, owner.begin() + range.last + 1,
                static_cast<int32_t>(it - nodes.begin()));
    }
    nodes_ = std::move(nodes);
    slot_owner_ = owner;
    std::erase_if(conns_, [this](const auto& entry) {
      return std::find(nodes_.begin(), nodes_.end(), entry.first) == nodes_.end();
    });
    return Status::Ok();
  }
  return Status::Unavailable("CLUSTER SLOTS failed on every known node; last: " + last.message());
}

std::pair<std::string, int> ClusterClient::NodeForSlot(uint16_t slot) const {
  if (slot >= kSlotCount || slot_owner_[slot] < 0) return {"", 0};
  return nodes_[slot_owner_[slot]];
}

std::optional<NodeAddr> ClusterClient::AnyNode() const {
  // Prefer a node we already talk to; a dead one is dropped on failure, so
  // the next try picks another.
  if (!conns_.empty()) return conns_.begin()->first;
  if (!nodes_.empty()) return nodes_.front();
  if (!options_.seeds.empty()) return options_.seeds.front();
  return std::nullopt;
}

std::optional<NodeAddr> ClusterClient::Route(const std::vector<std::string>& args) const {
  auto key = FirstKeyIndex(args);
  if (key) {
    const int32_t owner = slot_owner_[KeySlot(args[*key])];
    if (owner >= 0) return nodes_[owner];
  }
  // Keyless, or a slot with no known owner: any node serves the former and
  // redirects the latter.
  return AnyNode();
}

void ClusterClient::SetOwner(uint16_t slot, const NodeAddr& node) {
  auto it = std::find(nodes_.begin(), nodes_.end(), node);
  if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), node);
  slot_owner_[slot] = static_cast<int32_t>(it - nodes_.begin());
}

Result<Client*> ClusterClient::Conn(const NodeAddr& node) {
  auto it = conns_.find(node);
  if (it != conns_.end()) return it->second.get();
  ClientOptions o;
  o.host = node.first;
  o.port = node.second;
  o.timeout = options_.timeout;
  auto c = Client::Connect(o);
  if (!c.ok()) return Status::Unavailable(AddrString(node) + ": " + c.status().message());
  Client* raw = c.value().get();
  conns_[node] = std::move(c).value();
  return raw;
}

void ClusterClient::DropConn(const NodeAddr& node) { conns_.erase(node); }

Result<resp::Value> ClusterClient::SendTo(const NodeAddr& node,
                                          const std::vector<std::string>& args, bool asking) {
  auto conn = Conn(node);
  if (!conn.ok()) return conn.status();
  if (!asking) return conn.value()->Command(args);
  // ASKING admits exactly the next command on an importing slot; sending
  // both in one write keeps them adjacent.
  auto replies = conn.value()->Pipeline({{"ASKING"}, args});
  if (!replies.ok()) return replies.status();
  return std::move(replies.value()[1]);
}

Result<resp::Value> ClusterClient::Command(const std::vector<std::string>& args) {
  if (args.empty()) return Status::InvalidArgument("empty command");
  const auto deadline = Clock::now() + options_.timeout;
  std::chrono::milliseconds backoff = options_.retry_backoff;
  int redirects = 0;
  std::optional<NodeAddr> ask;
  Status last_failure = Status::Unavailable("no node known");
  std::optional<resp::Value> last_retryable;
  while (true) {
    const bool asking = ask.has_value();
    std::optional<NodeAddr> node = asking ? std::exchange(ask, std::nullopt) : Route(args);
    if (node) {
      auto reply = SendTo(*node, args, asking);
      if (reply.ok()) {
        resp::Value& v = reply.value();
        if (!v.is_error()) return reply;
        if (auto redirect = ParseRedirect(v.str)) {
          if (++redirects > options_.max_redirects) {
            return Status::Unavailable("too many redirects, not executed; last: " + v.str);
          }
          NodeAddr target{redirect->host.empty() ? node->first : redirect->host, redirect->port};
          if (redirect->kind == Redirect::Kind::kMoved) {
            // The refresh may reach a node that has not heard of the move
            // yet; the MOVED came from the old owner, so it wins.
            (void)RefreshSlots();
            SetOwner(redirect->slot, target);
          } else {
            ask = std::move(target);
          }
          continue;
        }
        if (!IsRetryableClusterError(v.str)) return reply;
        last_retryable = std::move(v);
      } else {
        DropConn(*node);
        last_failure = reply.status();
        last_retryable.reset();
      }
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      if (last_retryable) return std::move(*last_retryable);
      return last_failure;
    }
    // The last sleep is cut short so that one final attempt happens at the
    // deadline.
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, kMaxRetryBackoff);
    // After a connection failure the slot may have a new owner (failover).
    if (!last_retryable) (void)RefreshSlots();
  }
}

Result<std::vector<resp::Value>> ClusterClient::Pipeline(
    const std::vector<std::vector<std::string>>& cmds) {
  for (const auto& c : cmds) {
    if (c.empty()) return Status::InvalidArgument("empty command in pipeline");
  }
  std::vector<std::optional<resp::Value>> replies(cmds.size());
  std::vector<size_t> retry;  // input indices to retry one by one
  std::map<NodeAddr, std::vector<size_t>> groups;
  for (size_t i = 0; i < cmds.size(); ++i) {
    auto node = Route(cmds[i]);
    if (node) {
      groups[*node].push_back(i);
    } else {
      retry.push_back(i);
    }
  }

  // Write every group before reading any reply, so the nodes work in
  // parallel.
  struct Written {
    NodeAddr node;
    Client* conn;
    const std::vector<size_t>* indices;
  };
  std::vector<Written> written;
  for (const auto& [node, indices] : groups) {
    auto conn = Conn(node);
    std::string out;
    if (conn.ok()) {
      for (size_t i : indices) out += Client::Encode(cmds[i]);
    }
    if (!conn.ok() || !conn.value()->SendRaw(out).ok()) {
      DropConn(node);
      retry.insert(retry.end(), indices.begin(), indices.end());
      continue;
    }
    written.push_back({node, conn.value(), &indices});
  }

  std::vector<std::pair<uint16_t, NodeAddr>> moves;
  for (const auto& w : written) {
    for (size_t k = 0; k < w.indices->size(); ++k) {
      const size_t i = (*w.indices)[k];
      auto r = w.conn->ReadReply();
      if (!r.ok()) {
        DropConn(w.node);
        retry.insert(retry.end(), w.indices->begin() + static_cast<ptrdiff_t>(k), w.indices->end());
        break;
      }
      resp::Value& v = r.value();
      if (v.is_error()) {
        auto redirect = ParseRedirect(v.str);
        if (redirect || IsRetryableClusterError(v.str)) {
          if (redirect && redirect->kind == Redirect::Kind::kMoved) {
            moves.emplace_back(
                redirect->slot,
                NodeAddr{redirect->host.empty() ? w.node.first : redirect->host, redirect->port});
          }
          retry.push_back(i);
          continue;
        }
      }
      replies[i] = std::move(v);
    }
  }

  if (!moves.empty()) {
    (void)RefreshSlots();
    for (const auto& [slot, node] : moves) SetOwner(slot, node);
  }
  // Input order, so that commands on one key keep their relative order.
  std::sort(retry.begin(), retry.end());
  for (size_t i : retry) {
    auto r = Command(cmds[i]);
    if (!r.ok()) return r.status();
    replies[i] = std::move(r).value();
  }

  std::vector<resp::Value> out;
  out.reserve(cmds.size());
  for (auto& r : replies) out.push_back(std::move(*r));
  return out;
}

}  // namespace shoal::client
