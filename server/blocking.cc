#include "server/blocking.h"

#include <algorithm>

#include "server/connection.h"
#include "server/server.h"

namespace shoal::server {

void BlockingRegistry::OnReady(std::vector<std::string> keys) {
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& k : keys) WakeFirst(k);
}

void BlockingRegistry::Add(const std::shared_ptr<BlockWait>& w) {
  std::lock_guard<std::mutex> g(mu_);
  for (const auto& k : w->keys) queues_[k].push_back(w);
  waiting_.fetch_add(1, std::memory_order_relaxed);
}

void BlockingRegistry::RetryDone(const std::shared_ptr<BlockWait>& w, bool served) {
  std::lock_guard<std::mutex> g(mu_);
  if (w->done) return;
  w->retrying = false;
  if (served) {
    Finish(w);
    // The pop's own apply reports the key ready when it left elements
    // behind (possibly while this retry was in flight): the next waiter
    // looks then, and not otherwise.
    if (w->again) {
      for (const auto& k : w->keys) WakeFirst(k);
    }
    return;
  }
  if (w->again) {
    w->again = false;
    w->retrying = true;
    Post(w);
  }
}

void BlockingRegistry::Remove(const std::shared_ptr<BlockWait>& w) {
  std::lock_guard<std::mutex> g(mu_);
  if (w->done) return;
  const bool pass_on = w->retrying || w->again;
  Finish(w);
  // It may have been woken for data it will not take now.
  if (pass_on) {
    for (const auto& k : w->keys) WakeFirst(k);
  }
}

void BlockingRegistry::KickAll(const std::function<bool(const std::string&)>& want) {
  std::lock_guard<std::mutex> g(mu_);
  std::vector<std::string> keys;
  for (const auto& [k, q] : queues_) {
    if (want(k)) keys.push_back(k);
  }
  for (const auto& k : keys) WakeFirst(k);
}

void BlockingRegistry::Finish(const std::shared_ptr<BlockWait>& w) {
  w->done = true;
  waiting_.fetch_sub(1, std::memory_order_relaxed);
  for (const auto& k : w->keys) {
    auto it = queues_.find(k);
    if (it == queues_.end()) continue;
    auto& q = it->second;
    q.erase(std::remove(q.begin(), q.end(), w), q.end());
    if (q.empty()) queues_.erase(it);
  }
}

void BlockingRegistry::WakeFirst(const std::string& key) {
  auto it = queues_.find(key);
  if (it == queues_.end()) return;
  auto& q = it->second;
  while (!q.empty() && q.front()->done) q.pop_front();
  if (q.empty()) {
    queues_.erase(it);
    return;
  }
  auto wake = [this](const std::shared_ptr<BlockWait>& w) {
    if (w->retrying) {
      w->again = true;
      return;
    }
    w->retrying = true;
    Post(w);
  };
  if (!q.front()->shared) return wake(q.front());
  for (const auto& w : q) {
    if (!w->shared) break;
    if (!w->done) wake(w);
  }
}

void BlockingRegistry::Post(const std::shared_ptr<BlockWait>& w) {
  asio::post(w->worker->io, [this, w] {
    if (auto c = w->conn.lock()) {
      c->RetryBlocked();
      return;
    }
    Remove(w);
  });
}

}  // namespace shoal::server
