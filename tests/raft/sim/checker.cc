#include "tests/raft/sim/checker.h"

#include <algorithm>

namespace shoal::raft::sim {

namespace {

std::string S(uint64_t v) { return std::to_string(v); }

}  // namespace

void Checker::OnLeader(NodeId id, Term term, const RaftLog& log) {
  auto [it, inserted] = leaders_.emplace(term, id);
  if (!inserted) {
    if (it->second != id) {
      Fail("election safety: " + S(it->second) + " and " + S(id) + " both leaders at term " +
           S(term));
    }
    return;
  }
  // Leader completeness (§5.4): an entry committed at a term below T is in
  // the log of the leader of T. (A leader of a lower term can be elected
  // late, with votes granted before a newer term began: it commits nothing.)
  Index c = std::min<Index>(committed_index_, committed_terms_.size() - 1);
  while (c > 0 && (committed_terms_[c] == 0 || commit_terms_[c] == 0 || commit_terms_[c] >= term)) {
    --c;
  }
  if (c == 0 || c + 1 < log.FirstIndex()) return;  // nothing, or in its snapshot
  if (c > log.LastIndex()) {
    Fail("leader completeness: " + S(id) + " became leader at term " + S(term) +
         " with last index " + S(log.LastIndex()) + " < " + S(c) + ", committed at term " +
         S(commit_terms_[c]));
    return;
  }
  if (log.TermOf(c) != committed_terms_[c]) {
    Fail("leader completeness: " + S(id) + " became leader at term " + S(term) + " with " +
         S(log.TermOf(c)) + "/" + S(c) + " but " + S(committed_terms_[c]) + "/" + S(c) +
         " was committed at term " + S(commit_terms_[c]));
  }
}

void Checker::OnPersisted(NodeId id, const MemoryStorage& storage,
                          const std::vector<Entry>& entries) {
  for (const Entry& e : entries) {
    if (e.index < storage.FirstIndex()) continue;  // compacted on arrival
    Term prev = 0;
    if (auto t = storage.TermAt(e.index - 1); t.ok()) prev = *t;
    auto it = entries_.find({e.index, e.term});
    if (it == entries_.end()) {
      entries_.emplace(std::make_pair(e.index, e.term), EntryInfo{e.type, e.data, prev});
      continue;
    }
    EntryInfo& info = it->second;
    if (info.type != e.type || info.data != e.data) {
      Fail("log matching: " + S(id) + " persisted " + Describe(e) + " but another node holds \"" +
           info.data + "\" at " + S(e.term) + "/" + S(e.index));
      return;
    }
    if (prev != 0 && info.prev_term != 0 && prev != info.prev_term) {
      Fail("log matching: " + S(id) + " holds " + S(e.term) + "/" + S(e.index) +
           " after an entry of term " + S(prev) + ", another node after term " + S(info.prev_term));
      return;
    }
    if (info.prev_term == 0) info.prev_term = prev;
  }
}

void Checker::OnCommitted(NodeId id, Term term, const RaftLog& log, Index from, Index to) {
  if (committed_terms_.size() <= to) {
    committed_terms_.resize(to + 1, 0);
    commit_terms_.resize(to + 1, 0);
  }
  for (Index i = from + 1; i <= to; ++i) {
    if (commit_terms_[i] == 0 || term < commit_terms_[i]) commit_terms_[i] = term;
    Term t = log.TermOf(i);
    if (t == 0) continue;  // compacted: its snapshot is checked when applied
    Term& known = committed_terms_[i];
    if (known == 0) {
      known = t;
    } else if (known != t) {
      Fail("commit safety: " + S(id) + " committed " + S(t) + "/" + S(i) + " but " + S(known) +
           "/" + S(i) + " was committed before");
      return;
    }
  }
  if (to > committed_index_) committed_index_ = to;
}

void Checker::OnApplied(NodeId id, const SmState& before, const Entry& e) {
  if (e.index != before.applied + 1) {
    Fail("state-machine safety: " + S(id) + " applied " + S(e.index) + " after " +
         S(before.applied));
    return;
  }
  if (e.index < committed_terms_.size() && committed_terms_[e.index] != 0 &&
      committed_terms_[e.index] != e.term) {
    Fail("state-machine safety: " + S(id) + " applied " + Describe(e) + " but " +
         S(committed_terms_[e.index]) + "/" + S(e.index) + " is committed");
    return;
  }
  if (before.applied >= applied_.size() || before.hash != applied_[before.applied].hash_after) {
    Fail("state-machine safety: " + S(id) + " state at " + S(before.applied) +
         " differs from the other nodes'");
    return;
  }
  uint64_t after = SmState::Mix(before.hash, e);
  if (e.index == applied_.size()) {
    applied_.push_back({e.term, after});
  } else if (e.index > applied_.size()) {
    Fail("state-machine safety: " + S(id) + " applied " + S(e.index) + " before anyone applied " +
         S(applied_.size()));
  } else if (applied_[e.index].hash_after != after) {
    Fail("state-machine safety: " + S(id) + " applied " + Describe(e) +
         " but another node applied " + S(applied_[e.index].term) + "/" + S(e.index));
  }
}

void Checker::OnSnapshotRestored(NodeId id, const SmState& sm) {
  if (sm.applied >= applied_.size() || applied_[sm.applied].hash_after != sm.hash) {
    Fail("state-machine safety: " + S(id) + " restored a snapshot at " + S(sm.applied) +
         " that no replica's state matches");
  }
}

void Checker::OnVoteSent(NodeId voter, Term term, NodeId candidate) {
  auto [it, inserted] = votes_.emplace(std::make_pair(voter, term), candidate);
  if (!inserted && it->second != candidate) {
    Fail("vote safety: " + S(voter) + " voted for " + S(it->second) + " and " + S(candidate) +
         " at term " + S(term));
  }
}

void Checker::OnReadIssued(const std::string& ctx) { read_bounds_[ctx] = committed_index_; }

void Checker::OnReadState(NodeId id, const ReadState& rs) {
  auto it = read_bounds_.find(rs.request_ctx);
  if (it == read_bounds_.end()) {
    Fail("reads: " + S(id) + " got a read state for unknown request " + rs.request_ctx);
    return;
  }
  if (rs.index < it->second) {
    Fail("linearizable reads: read " + rs.request_ctx + " at " + S(id) + " got index " +
         S(rs.index) + " but " + S(it->second) + " was committed when it was issued");
  } else if (rs.index > committed_index_) {
    Fail("reads: read " + rs.request_ctx + " got index " + S(rs.index) +
         " that nobody knows committed (" + S(committed_index_) + ")");
  }
}

void Checker::OnAcked(Index index, Term term) {
  acked_.emplace_back(index, term);
  if (index > max_acked_.first) max_acked_ = {index, term};
}

void Checker::CheckAckedDurable(const std::vector<const MemoryStorage*>& disks) {
  if (acked_.empty()) return;
  auto [index, term] = max_acked_;
  size_t holding = 0;
  for (const MemoryStorage* d : disks) {
    auto t = d->TermAt(index);
    if (d->GetSnapshot().meta.index >= index || (t.ok() && *t == term)) ++holding;
  }
  if (holding < quorum_) {
    Fail("durability: acknowledged write " + S(term) + "/" + S(index) + " is durable on " +
         S(holding) + " disks, fewer than a quorum");
  }
}

void Checker::CheckFinal(NodeId id, const RaftLog& log, const SmState& sm) {
  for (const auto& [index, term] : acked_) {
    if (sm.applied < index) {
      Fail("durability: " + S(id) + " has not applied acknowledged write " + S(term) + "/" +
           S(index) + " (applied " + S(sm.applied) + ")");
      return;
    }
    if (index + 1 >= log.FirstIndex() && log.TermOf(index) != term) {
      Fail("durability: " + S(id) + " lost acknowledged write " + S(term) + "/" + S(index));
      return;
    }
  }
}

}  // namespace shoal::raft::sim
