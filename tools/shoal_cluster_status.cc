#include "tools/shoal_cluster_status.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <thread>

#include "client/client.h"
#include "core/strutil.h"

namespace shoal::tools {

namespace {

// A follower this many entries behind its leader (or fewer) counts as in
// sync in the status table.
constexpr int64_t kInSyncMaxLag = 100;

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return parts;
}

// Lines of an INFO reply without their "\r".
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines = Split(text, '\n');
  for (auto& l : lines) {
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  }
  return lines;
}

template <typename T>
void ParseNumber(std::string_view s, T* out) {
  auto v = ParseInt64(s);
  if (v && *v >= 0) *out = static_cast<T>(*v);
}

void ParseShardField(std::string_view key, std::string_view value, ShardInfo* info) {
  if (key == "role") {
    info->role = std::string(value);
  } else if (key == "term") {
    ParseNumber(value, &info->term);
  } else if (key == "leader") {
    ParseNumber(value, &info->leader);
  } else if (key == "commit") {
    ParseNumber(value, &info->commit);
  } else if (key == "applied") {
    ParseNumber(value, &info->applied);
  } else if (key == "last_index") {
    ParseNumber(value, &info->last_index);
  } else if (key == "replicas") {
    for (auto id : Split(value, ';')) {
      int node = 0;
      ParseNumber(id, &node);
      if (node > 0) info->replicas.push_back(node);
    }
  } else if (key == "lag") {
    if (value.empty()) return;
    for (auto entry : Split(value, ';')) {
      size_t colon = entry.find(':');
      if (colon == std::string_view::npos) continue;
      int node = 0;
      ParseNumber(entry.substr(0, colon), &node);
      if (node <= 0) continue;
      std::string_view behind = entry.substr(colon + 1);
      auto n = ParseInt64(behind);
      info->lag[node] = behind == "down" || !n ? std::nullopt : std::optional<int64_t>(*n);
    }
  }
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Prints rows as columns two spaces apart.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += i + 1 == row.size() ? row[i] : Pad(row[i], widths[i] + 2);
    }
    out += line + "\n";
  }
  return out;
}

// The replicas of a shard: as its leader reports them, else every replica
// any node mentions.
std::vector<int> ReplicasOf(const std::vector<NodeReport>& reports, int shard,
                            const ShardInfo* leader) {
  if (leader != nullptr && !leader->replicas.empty()) return leader->replicas;
  std::set<int> all;
  for (const auto& r : reports) {
    if (const ShardInfo* s = r.Shard(shard)) all.insert(s->replicas.begin(), s->replicas.end());
  }
  return {all.begin(), all.end()};
}

// One cell of the table: what node `report` is for `shard`.
std::string Cell(const NodeReport& report, int shard, const std::vector<int>& replicas,
                 std::optional<int> leader_node, const ShardInfo* leader) {
  bool is_replica = replicas.empty() ||
                    std::find(replicas.begin(), replicas.end(), report.node) != replicas.end();
  if (!is_replica) return "-";
  if (!report.answered) return "?";
  const ShardInfo* s = report.Shard(shard);
  if (s == nullptr) return "-";
  if (s->role == "leader") return leader_node == report.node ? "L" : "L(stale)";
  if (s->role == "follower") {
    if (leader != nullptr) {
      auto it = leader->lag.find(report.node);
      if (it != leader->lag.end()) {
        return it->second ? "F+" + std::to_string(*it->second) : "F(down)";
      }
    }
    return "F@" + std::to_string(s->applied);
  }
  if (s->role == "candidate") return "C";
  return s->role.empty() ? "?" : s->role;
}

}  // namespace

std::vector<ShardInfo> ParseInfoRaft(std::string_view text) {
  std::vector<ShardInfo> shards;
  for (std::string_view line : Lines(text)) {
    constexpr std::string_view kPrefix = "shard_";
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    ShardInfo info;
    ParseNumber(line.substr(kPrefix.size(), colon - kPrefix.size()), &info.shard);
    if (info.shard < 0) continue;
    for (auto field : Split(line.substr(colon + 1), ',')) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) continue;
      ParseShardField(field.substr(0, eq), field.substr(eq + 1), &info);
    }
    shards.push_back(std::move(info));
  }
  return shards;
}

std::optional<std::string> InfoField(std::string_view text, std::string_view field) {
  for (std::string_view line : Lines(text)) {
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':') {
      return std::string(line.substr(field.size() + 1));
    }
  }
  return std::nullopt;
}

Result<std::vector<std::string>> QueryNode(int port,
                                           const std::vector<std::vector<std::string>>& cmds,
                                           std::chrono::milliseconds timeout) {
  client::ClientOptions options;
  options.port = port;
  options.timeout = timeout;
  auto c = client::Client::Connect(options);
  if (!c.ok()) return c.status();
  auto replies = (*c)->Pipeline(cmds);
  if (!replies.ok()) return replies.status();
  std::vector<std::string> texts;
  for (const auto& v : *replies) {
    if (v.is_error()) return Status::Unavailable(v.str);
    texts.push_back(v.str);
  }
  return texts;
}

const ShardInfo* NodeReport::Shard(int shard) const {
  for (const auto& s : shards) {
    if (s.shard == shard) return &s;
  }
  return nullptr;
}

std::vector<NodeReport> CollectReports(const ClusterConfig& cfg,
                                       std::chrono::milliseconds timeout) {
  std::vector<NodeReport> reports(cfg.nodes);
  std::vector<std::thread> threads;
  for (int i = 1; i <= cfg.nodes; ++i) {
    NodeReport& r = reports[i - 1];
    r.node = i;
    r.proc = ProbeNode(cfg, i);
    if (r.proc.state != ProcState::kRunning) continue;
    threads.emplace_back([&r, port = cfg.Port(i), timeout] {
      auto texts = QueryNode(port, {{"INFO", "raft"}, {"INFO", "cluster"}}, timeout);
      if (!texts.ok()) {
        r.error = texts.status().message();
        return;
      }
      r.answered = true;
      r.shards = ParseInfoRaft((*texts)[0]);
      r.cluster_state = InfoField((*texts)[1], "cluster_state").value_or("");
    });
  }
  for (auto& t : threads) t.join();
  return reports;
}

std::optional<int> FindLeader(const std::vector<NodeReport>& reports, int shard) {
  std::optional<int> leader;
  uint64_t best_term = 0;
  for (const auto& r : reports) {
    const ShardInfo* s = r.answered ? r.Shard(shard) : nullptr;
    if (s == nullptr || s->role != "leader") continue;
    if (!leader || s->term > best_term) {
      leader = r.node;
      best_term = s->term;
    }
  }
  return leader;
}

std::string RenderStatus(const ClusterConfig& cfg, const std::vector<NodeReport>& reports) {
  std::ostringstream out;
  out << "cluster " << cfg.dir << ": " << cfg.nodes << " nodes, " << cfg.shards << " shards, "
      << cfg.replicas << " replicas, replication " << cfg.replication << "\n";
  std::vector<std::vector<std::string>> node_rows;
  for (const auto& r : reports) {
    std::string state = ProcStateName(r.proc.state);
    if (r.proc.state == ProcState::kRunning && !r.answered) {
      state += " (not answering: " + r.error + ")";
    } else if (!r.cluster_state.empty()) {
      state += "  cluster_state:" + r.cluster_state;
    }
    node_rows.push_back({"node " + std::to_string(r.node),
                         "port " + std::to_string(cfg.Port(r.node)),
                         "pid " + (r.proc.pid > 0 ? std::to_string(r.proc.pid) : "-"), state});
  }
  out << FormatTable(node_rows) << "\n";

  std::set<int> shard_ids;
  for (const auto& r : reports) {
    for (const auto& s : r.shards) shard_ids.insert(s.shard);
  }
  if (shard_ids.empty()) {
    bool any_answered =
        std::any_of(reports.begin(), reports.end(), [](const NodeReport& r) { return r.answered; });
    out << (any_answered ? "no shard information: the nodes report no Raft groups in INFO raft\n"
                         : "no node answered\n");
    return out.str();
  }
  for (int s = 0; s < cfg.shards; ++s) shard_ids.insert(s);

  std::vector<std::string> header = {"shard", "term", "leader", "commit"};
  for (const auto& r : reports) header.push_back("n" + std::to_string(r.node));
  header.emplace_back("in-sync");
  std::vector<std::vector<std::string>> rows = {header};
  for (int shard : shard_ids) {
    std::optional<int> leader_node = FindLeader(reports, shard);
    const ShardInfo* leader = leader_node ? reports[*leader_node - 1].Shard(shard) : nullptr;
    uint64_t term = 0;
    uint64_t commit = 0;
    int believed_leader = 0;  // what the highest-term report names
    for (const auto& r : reports) {
      const ShardInfo* s = r.answered ? r.Shard(shard) : nullptr;
      if (s == nullptr) continue;
      if (s->term >= term) {
        term = s->term;
        if (s->leader != 0) believed_leader = s->leader;
      }
      commit = std::max(commit, s->commit);
    }
    if (leader != nullptr) commit = leader->commit;
    std::vector<int> replicas = ReplicasOf(reports, shard, leader);

    std::vector<std::string> row = {std::to_string(shard), std::to_string(term)};
    if (leader_node) {
      row.push_back(std::to_string(*leader_node));
    } else if (believed_leader != 0) {
      // Followers still name a leader that does not answer (down/paused).
      row.push_back(std::to_string(believed_leader) + "?");
    } else {
      row.emplace_back("none");
    }
    row.push_back(std::to_string(commit));
    for (const auto& r : reports) row.push_back(Cell(r, shard, replicas, leader_node, leader));
    int in_sync = 0;
    if (leader != nullptr) {
      in_sync = 1;
      for (const auto& [node, behind] : leader->lag) {
        if (behind && *behind <= kInSyncMaxLag) ++in_sync;
      }
    }
    row.push_back(
        std::to_string(in_sync) + "/" +
        std::to_string(replicas.empty() ? static_cast<size_t>(cfg.replicas) : replicas.size()));
    rows.push_back(std::move(row));
  }
  out << FormatTable(rows);
  out << "L leader; F+N follower N entries behind the leader, F(down) one the leader does not\n"
         "hear from, F@N one at applied index N (lag unknown); - not a replica; ? node not\n"
         "answering; leader N? = named by followers but not answering; in-sync = replicas\n"
         "at most "
      << kInSyncMaxLag << " entries behind\n";
  return out.str();
}

}  // namespace shoal::tools
