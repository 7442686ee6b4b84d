#include "server/pubsub.h"

#include <algorithm>
#include <mutex>

#include "core/strutil.h"
#include "server/connection.h"
#include "server/server.h"

namespace shoal::server {
namespace {

// One message for one worker's subscribers.
struct Batch {
  std::vector<std::pair<std::weak_ptr<Connection>, const std::string*>> to;  // pattern or null
};

struct Message {
  bool shard;
  std::string channel;
  std::string message;
  // Patterns that matched, owned here so the batches can point at them.
  std::vector<std::string> patterns;
};

}  // namespace

bool PubSubHub::Add(PubKind kind, const std::string& name, const std::shared_ptr<Connection>& c) {
  std::unique_lock<std::shared_mutex> g(mu_);
  auto& subs = table(kind)[name];
  for (const auto& s : subs) {
    if (s.id == c->id()) return false;
  }
  subs.push_back(Sub{c->id(), c, &c->worker()});
  return true;
}

bool PubSubHub::Remove(PubKind kind, const std::string& name, uint64_t conn_id) {
  std::unique_lock<std::shared_mutex> g(mu_);
  auto& t = table(kind);
  auto it = t.find(name);
  if (it == t.end()) return false;
  auto& subs = it->second;
  auto pos = std::find_if(subs.begin(), subs.end(), [&](const Sub& s) { return s.id == conn_id; });
  if (pos == subs.end()) return false;
  subs.erase(pos);
  if (subs.empty()) t.erase(it);
  return true;
}

int64_t PubSubHub::Deliver(bool shard, std::string_view channel, std::string_view message) {
  auto msg = std::make_shared<Message>();
  std::vector<std::pair<Worker*, Batch>> batches;
  auto batch_of = [&](Worker* w) -> Batch& {
    for (auto& b : batches) {
      if (b.first == w) return b.second;
    }
    return batches.emplace_back(w, Batch{}).second;
  };
  int64_t receivers = 0;
  {
    std::shared_lock<std::shared_mutex> g(mu_);
    const Table& direct = tables_[static_cast<int>(shard ? PubKind::kShard : PubKind::kChannel)];
    auto it = direct.find(std::string(channel));
    if (it != direct.end()) {
      for (const auto& s : it->second) batch_of(s.worker).to.emplace_back(s.conn, nullptr);
      receivers += static_cast<int64_t>(it->second.size());
    }
    if (!shard) {
      const Table& patterns = tables_[static_cast<int>(PubKind::kPattern)];
      // Reserved up front: batches point into this vector.
      size_t matching = 0;
      for (const auto& [pattern, subs] : patterns) {
        if (GlobMatch(pattern, channel)) ++matching;
      }
      msg->patterns.reserve(matching);
      for (const auto& [pattern, subs] : patterns) {
        if (!GlobMatch(pattern, channel)) continue;
        const std::string* p = &msg->patterns.emplace_back(pattern);
        for (const auto& s : subs) batch_of(s.worker).to.emplace_back(s.conn, p);
        receivers += static_cast<int64_t>(subs.size());
      }
    }
  }
  if (receivers == 0) return 0;
  msg->shard = shard;
  msg->channel.assign(channel);
  msg->message.assign(message);
  for (auto& [worker, batch] : batches) {
    asio::post(worker->io, [msg, batch = std::move(batch)] {
      for (const auto& [weak, pattern] : batch.to) {
        if (auto c = weak.lock()) c->PushPubSub(msg->shard, pattern, msg->channel, msg->message);
      }
    });
  }
  return receivers;
}

std::vector<std::string> PubSubHub::Channels(bool shard, std::optional<std::string_view> pattern) {
  std::shared_lock<std::shared_mutex> g(mu_);
  std::vector<std::string> out;
  for (const auto& [name, subs] :
       tables_[static_cast<int>(shard ? PubKind::kShard : PubKind::kChannel)]) {
    if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

int64_t PubSubHub::ChannelCount(bool shard) {
  std::shared_lock<std::shared_mutex> g(mu_);
  return static_cast<int64_t>(table(shard ? PubKind::kShard : PubKind::kChannel).size());
}

int64_t PubSubHub::NumSub(bool shard, std::string_view channel) {
  std::shared_lock<std::shared_mutex> g(mu_);
  const Table& t = tables_[static_cast<int>(shard ? PubKind::kShard : PubKind::kChannel)];
  auto it = t.find(std::string(channel));
  return it == t.end() ? 0 : static_cast<int64_t>(it->second.size());
}

int64_t PubSubHub::NumPat() {
  std::shared_lock<std::shared_mutex> g(mu_);
  return static_cast<int64_t>(tables_[static_cast<int>(PubKind::kPattern)].size());
}

}  // namespace shoal::server
