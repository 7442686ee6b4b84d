#include "storage/rank_index.h"

#include <spdlog/spdlog.h>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "storage/format.h"

namespace shoal::storage {

struct RankIndexes::Index {
  // A red-black tree whose nodes know their subtree sizes (libstdc++'s
  // policy-based containers): order_of_key and find_by_order in O(log n).
  __gnu_pbds::tree<std::string, __gnu_pbds::null_type, std::less<std::string>,
                   __gnu_pbds::rb_tree_tag, __gnu_pbds::tree_order_statistics_node_update>
      tree;
  uint64_t used = 0;  // tick of the last use
};

RankIndexes::RankIndexes() : reaper_([this] { ReaperLoop(); }) {}

RankIndexes::~RankIndexes() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_one();
  reaper_.join();
}

void RankIndexes::ReaperLoop() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    reaper_cv_.wait(l, [this] { return stopping_ || !retired_.empty(); });
    auto batch = std::move(retired_);
    retired_.clear();
    l.unlock();
    batch.clear();  // the slow part, without the mutex
    l.lock();
    if (stopping_ && retired_.empty()) return;
  }
}

void RankIndexes::Retire(std::unique_ptr<Index> idx) {
  retired_.push_back(std::move(idx));
  reaper_cv_.notify_one();
}

bool RankIndexes::Ensure(
    const std::string& prefix, uint64_t count,
    const std::function<bool(const std::function<void(std::string_view)>&)>& scan) {
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = indexes_.find(prefix);
    if (it != indexes_.end()) {
      it->second->used = ++tick_;
      return true;
    }
  }
  if (count < kMinMembers || count > kMaxEntries) return false;
  // Built without the mutex: writes to other zsets go on meanwhile, and
  // this zset's cannot (the caller holds its stripe lock).
  auto idx = std::make_unique<Index>();
  bool ok = scan([&idx](std::string_view entry) { idx->tree.insert(std::string(entry)); });
  if (!ok) return false;
  std::lock_guard<std::mutex> g(mu_);
  EvictFor(idx->tree.size());
  entries_ += idx->tree.size();
  idx->used = ++tick_;
  spdlog::debug("rank index built for a sorted set of {} members", idx->tree.size());
  indexes_.emplace(prefix, std::move(idx));
  active_ = true;
  return true;
}

std::optional<uint64_t> RankIndexes::Rank(const std::string& prefix, std::string_view entry) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = indexes_.find(prefix);
  if (it == indexes_.end()) return std::nullopt;
  it->second->used = ++tick_;
  return it->second->tree.order_of_key(std::string(entry));
}

std::optional<std::string> RankIndexes::At(const std::string& prefix, uint64_t rank) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = indexes_.find(prefix);
  if (it == indexes_.end()) return std::nullopt;
  it->second->used = ++tick_;
  auto& tree = it->second->tree;
  if (rank >= tree.size()) return std::nullopt;
  return *tree.find_by_order(rank);
}

void RankIndexes::OnSubWrite(std::string_view key, bool put) {
  auto parts = DecodeSubKey(key);
  if (!parts || parts->rest.empty() || parts->rest[0] != 's') return;
  const size_t prefix_len = key.size() - parts->rest.size() + 1;
  std::lock_guard<std::mutex> g(mu_);
  auto it = indexes_.find(key.substr(0, prefix_len));
  if (it == indexes_.end()) return;
  auto& tree = it->second->tree;
  std::string entry(key.substr(prefix_len));
  if (put) {
    if (tree.insert(entry).second) ++entries_;
  } else if (tree.erase(entry)) {
    --entries_;
  }
}

void RankIndexes::Drop(std::string_view prefix) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = indexes_.find(prefix);
  if (it == indexes_.end()) return;
  entries_ -= it->second->tree.size();
  Retire(std::move(it->second));
  indexes_.erase(it);
  active_ = !indexes_.empty();
}

void RankIndexes::Clear() {
  std::lock_guard<std::mutex> g(mu_);
  for (auto& [prefix, idx] : indexes_) Retire(std::move(idx));
  indexes_.clear();
  entries_ = 0;
  active_ = false;
}

void RankIndexes::EvictFor(uint64_t incoming) {
  while (!indexes_.empty() && entries_ + incoming > kMaxEntries) {
    auto oldest = indexes_.begin();
    for (auto it = indexes_.begin(); it != indexes_.end(); ++it) {
      if (it->second->used < oldest->second->used) oldest = it;
    }
    entries_ -= oldest->second->tree.size();
    Retire(std::move(oldest->second));
    indexes_.erase(oldest);
  }
  active_ = !indexes_.empty();
}

}  // namespace shoal::storage
