#include "tests/raft/interaction_env.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace shoal::raft::testing {
namespace {

std::string Str(uint64_t v) { return std::to_string(v); }

// raft::Describe, plus the read index that it leaves out of ReadIndexResp.
std::string Msg(const Message& m) {
  std::string s = Describe(m);
  if (m.type == MessageType::kReadIndexResp) s += " index=" + Str(m.index);
  return s;
}

// Splits on blanks, keeping "(1 2 3)" and "voters=(1 2)" as one token.
std::vector<std::string> Tokenize(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : line) {
    depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    if (depth == 0 && std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

Result<uint64_t> ParseUint(const std::string& s) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::InvalidArgument("not a number: '" + s + "'");
  }
  return v;
}

// "(1 2,3)" or "1".
Result<std::vector<NodeId>> ParseIds(std::string s) {
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  for (char& c : s) c = c == ',' ? ' ' : c;
  std::vector<NodeId> ids;
  for (const auto& t : Tokenize(s)) {
    auto v = ParseUint(t);
    if (!v.ok()) return v.status();
    ids.push_back(*v);
  }
  return ids;
}

Result<bool> ParseBool(const std::string& s) {
  if (s == "true") return true;
  if (s == "false") return false;
  return Status::InvalidArgument("not a bool: '" + s + "'");
}

#define RETURN_IF_ERROR(expr)  \
  do {                         \
    auto _st = (expr);         \
    if (!_st.ok()) return _st; \
  } while (0)
#define ASSIGN_OR_RETURN(var, expr)           \
  auto var##_r = (expr);                      \
  if (!var##_r.ok()) return var##_r.status(); \
  auto var = std::move(var##_r.value())  // NOLINT(bugprone-macro-parentheses): a declarator

Status WantArgs(const std::vector<std::string>& pos, size_t min, size_t max) {
  if (pos.size() < min || pos.size() > max) {
    return Status::InvalidArgument("wrong number of arguments");
  }
  return Status::Ok();
}

}  // namespace

InteractionEnv::InteractionEnv() = default;

void InteractionEnv::Line(const std::string& s) { out_ += indent_ + s + "\n"; }

Result<std::string> InteractionEnv::Run(const std::string& line) {
  out_.clear();
  indent_.clear();
  Args a;
  for (auto& t : Tokenize(line)) {
    size_t eq = t.find('=');
    if (a.cmd.empty()) {
      a.cmd = std::move(t);
    } else if (t[0] != '(' && eq != std::string::npos && eq > 0) {
      a.kv.emplace_back(t.substr(0, eq), t.substr(eq + 1));
    } else {
      a.pos.push_back(std::move(t));
    }
  }
  auto s = Dispatch(a);
  if (!s.ok()) return s;
  return out_.empty() || level_ == Level::kSilent ? std::string("ok\n") : out_;
}

Result<RawNode*> InteractionEnv::Live(NodeId id) {
  if (!net_ || !net_->nodes().count(id)) return Status::InvalidArgument("no node " + Str(id));
  if (net_->IsDown(id)) return Status::InvalidArgument("node " + Str(id) + " is crashed");
  return &net_->raw(id);
}

Status InteractionEnv::Dispatch(const Args& a) {
  const auto& p = a.pos;
  if (a.cmd == "add-nodes") return AddNodes(a);
  if (!a.kv.empty() && a.cmd != "deliver-msgs")
    return Status::InvalidArgument("unexpected key=value");
  if (a.cmd == "log-level") {
    RETURN_IF_ERROR(WantArgs(p, 1, 1));
    if (p[0] == "silent") {
      level_ = Level::kSilent;
    } else if (p[0] == "none") {
      level_ = Level::kNone;
    } else if (p[0] == "info") {
      level_ = Level::kInfo;
    } else {
      return Status::InvalidArgument("log-level silent|none|info");
    }
    return Status::Ok();
  }
  if (!net_) return Status::InvalidArgument("add-nodes first");
  std::vector<NodeId> ids;  // every positional argument that is an id
  for (const auto& t : p) {
    auto v = ParseUint(t);
    if (v.ok()) ids.push_back(*v);
  }
  auto one = [&](size_t extra) -> Result<RawNode*> {
    if (p.size() < 1 + extra || ids.empty() || !ParseUint(p[0]).ok()) {
      return Status::InvalidArgument("usage: " + a.cmd + " ID ...");
    }
    return Live(ids[0]);
  };
  if (a.cmd == "campaign") {
    ASSIGN_OR_RETURN(n, one(0));
    n->Campaign();
  } else if (a.cmd == "propose" || a.cmd == "read-index") {
    RETURN_IF_ERROR(WantArgs(p, 2, 2));
    ASSIGN_OR_RETURN(n, one(1));
    if (a.cmd == "read-index") {
      n->ReadIndex(p[1]);
    } else if (auto s = n->Propose(p[1]); !s.ok()) {
      Line("error: " + s.message());
    }
  } else if (a.cmd == "propose-conf-change") {
    RETURN_IF_ERROR(WantArgs(p, 3, 3));
    ASSIGN_OR_RETURN(n, one(2));
    ConfChange cc;
    if (p[1] == "add") {
      cc.type = ConfChangeType::kAddNode;
    } else if (p[1] == "add-learner") {
      cc.type = ConfChangeType::kAddLearner;
    } else if (p[1] == "remove") {
      cc.type = ConfChangeType::kRemoveNode;
    } else {
      return Status::InvalidArgument("conf change: add|add-learner|remove");
    }
    ASSIGN_OR_RETURN(target, ParseUint(p[2]));
    cc.node = target;
    if (auto s = n->ProposeConfChange(cc); !s.ok()) Line("error: " + s.message());
  } else if (a.cmd == "transfer-leader") {
    RETURN_IF_ERROR(WantArgs(p, 2, 2));
    ASSIGN_OR_RETURN(n, one(1));
    ASSIGN_OR_RETURN(to, ParseUint(p[1]));
    n->TransferLeader(to);
  } else if (a.cmd == "tick" || a.cmd == "tick-election" || a.cmd == "tick-heartbeat") {
    RETURN_IF_ERROR(WantArgs(p, 1, a.cmd == "tick" ? 2 : 1));
    ASSIGN_OR_RETURN(n, one(0));
    uint64_t times = 1;
    if (a.cmd == "tick-election") times = n->raft().config().election_tick;
    if (a.cmd == "tick-heartbeat") times = n->raft().config().heartbeat_tick;
    if (p.size() == 2) {
      ASSIGN_OR_RETURN(count, ParseUint(p[1]));
      times = count;
    }
    for (uint64_t i = 0; i < times; ++i) n->Tick();
  } else if (a.cmd == "election-timeout") {
    RETURN_IF_ERROR(WantArgs(p, 1, 1));
    ASSIGN_OR_RETURN(n, one(0));
    if (n->raft().role() == Role::kLeader) return Status::InvalidArgument("not for a leader");
    // A follower's timer fires after a random [election, 2*election) ticks;
    // every outcome of that (campaign, or why not) logs one line.
    uint64_t before = log_events_;
    for (int i = 0; i < 2 * n->raft().config().election_tick && log_events_ == before; ++i) {
      n->Tick();
    }
  } else if (a.cmd == "process-ready") {
    RETURN_IF_ERROR(WantArgs(p, 1, 100));
    return ProcessReady(ids);
  } else if (a.cmd == "deliver-msgs") {
    std::vector<NodeId> drop;
    for (const auto& [k, v] : a.kv) {
      if (k != "drop") return Status::InvalidArgument("unknown key " + k);
      ASSIGN_OR_RETURN(d, ParseIds(v));
      drop.insert(drop.end(), d.begin(), d.end());
    }
    return DeliverMsgs(ids, drop);
  } else if (a.cmd == "stabilize") {
    return Stabilize(ids);
  } else if (a.cmd == "partition") {
    std::vector<std::vector<NodeId>> groups;
    for (const auto& t : p) {
      ASSIGN_OR_RETURN(g, ParseIds(t));
      groups.push_back(std::move(g));
    }
    return Partition(groups);
  } else if (a.cmd == "heal") {
    net_->Heal();
  } else if (a.cmd == "isolate" || a.cmd == "crash") {
    RETURN_IF_ERROR(WantArgs(p, 1, 1));
    ASSIGN_OR_RETURN(n, one(0));
    (void)n;
    a.cmd == "isolate" ? net_->Isolate(ids[0]) : net_->Down(ids[0]);
    DropUndeliverable();
  } else if (a.cmd == "restart") {
    RETURN_IF_ERROR(WantArgs(p, 1, 1));
    if (ids.empty() || !net_->nodes().count(ids[0]) || !net_->IsDown(ids[0])) {
      return Status::InvalidArgument("restart: node must be crashed");
    }
    net_->Restart(ids[0]);
    net_->Up(ids[0]);
  } else if (a.cmd == "compact") {
    RETURN_IF_ERROR(WantArgs(p, 2, 2));
    ASSIGN_OR_RETURN(n, one(1));
    (void)n;
    ASSIGN_OR_RETURN(index, ParseUint(p[1]));
    return Compact(ids[0], index);
  } else if (a.cmd == "raft-state") {
    PrintRaftState();
  } else if (a.cmd == "raft-log" || a.cmd == "status" || a.cmd == "state-machine") {
    RETURN_IF_ERROR(WantArgs(p, 1, 100));
    for (NodeId id : ids) {
      if (a.cmd != "raft-log" || !net_->nodes().count(id)) {
        ASSIGN_OR_RETURN(n, Live(id));
        (void)n;
      }
      if (a.cmd == "status") {
        PrintStatus(id);
      } else if (a.cmd == "raft-log") {
        PrintRaftLog(id);
      } else {
        const StateMachine& sm = net_->node(id).sm;
        std::string data;
        for (const auto& d : sm.applied) data += " " + d;
        Line(Str(id) + ": applied=" + Str(sm.applied_index) + " data=[" +
             (data.empty() ? "" : data.substr(1)) + "]");
      }
    }
  } else {
    return Status::InvalidArgument("unknown command " + a.cmd);
  }
  return Status::Ok();
}

Status InteractionEnv::AddNodes(const Args& a) {
  RETURN_IF_ERROR(WantArgs(a.pos, 1, 1));
  ASSIGN_OR_RETURN(count, ParseUint(a.pos[0]));
  NodeOptions o = net_ ? net_->options() : NodeOptions{};
  ConfState cs;
  bool conf_given = false;
  for (const auto& [k, v] : a.kv) {
    if (k == "voters" || k == "learners") {
      ASSIGN_OR_RETURN(ids, ParseIds(v));
      (k == "voters" ? cs.voters : cs.learners) = ids;
      conf_given = true;
    } else if (k == "prevote" || k == "checkquorum") {
      ASSIGN_OR_RETURN(b, ParseBool(v));
      (k == "prevote" ? o.pre_vote : o.check_quorum) = b;
    } else if (k == "read-only") {
      if (v != "safe" && v != "lease") return Status::InvalidArgument("read-only=safe|lease");
      o.read_only = v == "safe" ? ReadOnlyOption::kSafe : ReadOnlyOption::kLeaseBased;
    } else {
      ASSIGN_OR_RETURN(n, ParseUint(v));
      if (k == "election") {
        o.election_tick = static_cast<int>(n);
      } else if (k == "heartbeat") {
        o.heartbeat_tick = static_cast<int>(n);
      } else if (k == "inflight") {
        o.max_inflight_msgs = n;
      } else if (k == "max-msg-size") {
        o.max_size_per_msg = n;
      } else if (k == "seed") {
        o.seed = n;
      } else {
        return Status::InvalidArgument("unknown option " + k);
      }
    }
  }
  MemoryStorage probe;
  Config c;
  c.id = 1;
  c.storage = &probe;
  c.election_tick = o.election_tick;
  c.heartbeat_tick = o.heartbeat_tick;
  c.max_inflight_msgs = o.max_inflight_msgs;
  c.check_quorum = o.check_quorum;
  c.read_only = o.read_only;
  RETURN_IF_ERROR(c.Validate());
  if (!conf_given && !net_) {
    for (uint64_t i = 0; i < count; ++i) cs.voters.push_back(next_id_ + i);
  }
  if (!net_) {
    auto logger = [this](const std::string& s) {
      ++log_events_;
      if (level_ == Level::kInfo) Line("INFO " + s);
    };
    net_ = std::make_unique<Network>(std::vector<NodeId>{}, o, logger);
  } else {
    net_->options() = o;
  }
  for (uint64_t i = 0; i < count; ++i) net_->AddNode(next_id_++, cs);
  return Status::Ok();
}

void InteractionEnv::PrintReady(NodeId id, const Ready& rd) {
  Line("> " + Str(id) + " handling Ready" + (rd.must_sync ? " (must sync)" : ""));
  indent_ += "  ";
  if (rd.soft_state) {
    Line("soft state: lead=" + Str(rd.soft_state->lead) + " role=" + RoleName(rd.soft_state->role));
  }
  if (rd.hard_state) Line("hard state: " + Describe(*rd.hard_state));
  auto entries = [&](const char* title, const std::vector<Entry>& es) {
    if (es.empty()) return;
    Line(title);
    for (const auto& e : es) Line("  " + Describe(e));
  };
  entries("entries:", rd.entries);
  if (rd.snapshot) {
    Line("snapshot: " + Str(rd.snapshot->meta.term) + "/" + Str(rd.snapshot->meta.index) + " " +
         Describe(rd.snapshot->meta.conf));
  }
  entries("committed:", rd.committed_entries);
  if (!rd.messages.empty()) Line("messages:");
  for (const auto& m : rd.messages) {
    std::string why = net_->IsDown(m.to)     ? " (dropped: " + Str(m.to) + " is crashed)"
                      : !net_->CanDeliver(m) ? " (dropped: link cut)"
                                             : "";
    Line("  " + Msg(m) + why);
  }
  if (!rd.read_states.empty()) Line("read states:");
  for (const auto& r : rd.read_states) {
    Line("  index=" + Str(r.index) + " ctx=" + r.request_ctx);
  }
  // The indent stays for what applying the Ready logs; the caller pops it.
}

Status InteractionEnv::ProcessReady(const std::vector<NodeId>& ids) {
  for (NodeId id : ids) {
    ASSIGN_OR_RETURN(n, Live(id));
    if (!n->HasReady()) {
      Line("> " + Str(id) + " handling Ready");
      Line("  <empty Ready>");
      continue;
    }
    (void)net_->ProcessReady(id, [&](const Ready& rd) { PrintReady(id, rd); });
    indent_.resize(indent_.size() - 2);
    // What was just sent over a cut link is shown as dropped in the Ready.
    auto& q = net_->in_flight();
    std::erase_if(q, [&](const Message& m) { return !net_->CanDeliver(m); });
  }
  return Status::Ok();
}

void InteractionEnv::DropUndeliverable() {
  auto& q = net_->in_flight();
  std::erase_if(q, [&](const Message& m) {
    if (net_->CanDeliver(m)) return false;
    Line("dropped: " + Msg(m));
    return true;
  });
}

bool InteractionEnv::DeliverTo(NodeId id) {
  auto& q = net_->in_flight();
  std::vector<Message> mine;
  std::deque<Message> rest;
  for (auto& m : q) {
    if (m.to == id) {
      mine.push_back(std::move(m));
    } else {
      rest.push_back(std::move(m));
    }
  }
  q.swap(rest);
  if (mine.empty()) return false;
  Line("> " + Str(id) + " receiving messages");
  indent_ += "  ";
  for (auto& m : mine) {
    Line(Msg(m));
    if (auto s = net_->raw(id).Step(std::move(m)); !s.ok()) Line("  error: " + s.message());
  }
  indent_.resize(indent_.size() - 2);
  return true;
}

Status InteractionEnv::DeliverMsgs(const std::vector<NodeId>& ids,
                                   const std::vector<NodeId>& drop) {
  if (ids.empty() && drop.empty()) return Status::InvalidArgument("deliver-msgs: no recipients");
  bool any = false;
  for (NodeId id : drop) {
    std::erase_if(net_->in_flight(), [&](const Message& m) {
      if (m.to != id) return false;
      Line("dropped: " + Msg(m));
      return any = true;
    });
  }
  for (NodeId id : ids) {
    if (!net_->nodes().count(id)) return Status::InvalidArgument("no node " + Str(id));
    any |= DeliverTo(id);
  }
  if (!any) Line("no messages");
  return Status::Ok();
}

Status InteractionEnv::Stabilize(std::vector<NodeId> ids) {
  if (ids.empty()) {
    for (const auto& [id, n] : net_->nodes()) ids.push_back(id);
  }
  for (int round = 0; round < 1000; ++round) {
    bool moved = false;
    for (NodeId id : ids) {
      if (net_->IsDown(id) || !net_->raw(id).HasReady()) continue;
      RETURN_IF_ERROR(ProcessReady({id}));
      moved = true;
    }
    for (NodeId id : ids) moved |= DeliverTo(id);
    if (!moved) return Status::Ok();
  }
  return Status::InvalidArgument("stabilize: still busy after 1000 rounds");
}

Status InteractionEnv::Partition(const std::vector<std::vector<NodeId>>& groups) {
  net_->Heal();
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      for (NodeId a : groups[i]) {
        for (NodeId b : groups[j]) net_->Cut(a, b);
      }
    }
  }
  DropUndeliverable();
  return Status::Ok();
}

Status InteractionEnv::Compact(NodeId id, Index index) {
  TestNode& n = net_->node(id);
  if (index > n.sm.applied_index || index <= n.storage->GetSnapshot().meta.index) {
    return Status::InvalidArgument("compact: index must be applied and after the last snapshot");
  }
  // The state machine as it was at `index`: undo what was applied after it.
  StateMachine sm = n.sm;
  for (auto it = n.applied_entries.rbegin(); it != n.applied_entries.rend(); ++it) {
    if (it->index <= index) break;
    if (it->type == EntryType::kConfChange) {
      return Status::InvalidArgument("compact: a conf change was applied after that index");
    }
    if (!it->data.empty()) sm.applied.pop_back();
  }
  if (index < n.sm.applied_index &&
      (n.applied_entries.empty() || n.applied_entries.front().index > index + 1)) {
    return Status::InvalidArgument("compact: entries after that index were not applied here");
  }
  sm.applied_index = index;
  CHECK(n.storage->CreateSnapshot(index, n.conf, sm.Serialize()).ok());
  CHECK(n.storage->Compact(index).ok());
  return Status::Ok();
}

void InteractionEnv::PrintRaftState() {
  for (auto& [id, n] : net_->nodes()) {
    if (net_->IsDown(id)) {
      Line(Str(id) + ": crashed");
      continue;
    }
    auto& r = n.raw->raft();
    std::string member = r.tracker().IsVoter(id)     ? ""
                         : r.tracker().IsLearner(id) ? " (learner)"
                                                     : " (not a member)";
    Line(Str(id) + ": " + RoleName(r.role()) + " term=" + Str(r.term()) + " vote=" + Str(r.vote()) +
         " lead=" + Str(r.lead()) + " commit=" + Str(r.log().committed()) +
         " applied=" + Str(r.log().applied()) + " last=" + Str(r.log().LastTerm()) + "/" +
         Str(r.log().LastIndex()) + member);
  }
}

void InteractionEnv::PrintRaftLog(NodeId id) {
  // A crashed node shows what is on its disk.
  bool down = net_->IsDown(id);
  std::optional<raft::RaftLog> on_disk;
  if (down) {
    const MemoryStorage& disk = *net_->node(id).storage;
    on_disk.emplace(&disk, UINT64_MAX);
    on_disk->CommitTo(disk.InitialHardState().commit);
  }
  const auto& log = down ? *on_disk : net_->raw(id).raft().log();
  Line("> " + Str(id) + " log" + (down ? " (crashed: on disk)" : ""));
  if (log.FirstIndex() > 1) {
    Index si = log.FirstIndex() - 1;
    Line("  snapshot " + Str(log.TermOf(si)) + "/" + Str(si));
  }
  std::vector<Entry> es;
  CHECK(log.Slice(log.FirstIndex(), log.LastIndex() + 1, UINT64_MAX, &es).ok());
  if (es.empty() && log.FirstIndex() == 1) Line("  empty");
  for (const auto& e : es) {
    Line("  " + Describe(e) + (e.index == log.committed() ? "  <- commit" : ""));
  }
}

void InteractionEnv::PrintStatus(NodeId id) {
  auto& r = net_->raw(id).raft();
  if (r.role() != Role::kLeader) {
    Line(Str(id) + " is not the leader (" + RoleName(r.role()) + ")");
    return;
  }
  for (const auto& [pid, pr] : r.tracker().progress()) Line(Str(pid) + ": " + pr.Describe());
  if (r.lead_transferee() != kNoNode)
    Line("transferring leadership to " + Str(r.lead_transferee()));
}

}  // namespace shoal::raft::testing
