// Clients blocked by BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX and BZMPOP: per key, a FIFO queue of waiters.
//
// A blocking command is first proposed as an ordinary write that pops if
// it can; when every key is empty, the applied op answers "would block"
// (storage::kWouldBlockReply) and changed nothing, and the client waits
// here. Applies on this node (leader or follower replica) report the lists
// and sorted sets they left non-empty (storage::ReadyListener); the first
// waiter of such a key is woken and proposes its pop again, one retry at a
// time per key, so waiters are served in the order they blocked. A waiter
// that finds the key emptied by someone else keeps its place. Stream
// readers (BlockWait::shared) are all woken by a ready key.
//
// Thread-safety: all methods are thread-safe (one mutex); retries run on
// the waiter's worker thread.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/state_machine.h"

namespace shoal::server {

class Connection;
struct Worker;

struct BlockWait {
  std::weak_ptr<Connection> conn;
  Worker* worker = nullptr;
  std::vector<std::string> keys;
  // XREAD / XREADGROUP: a new entry may serve every such waiter (reading
  // takes nothing away from other readers), so all of them are woken at
  // once; pops are woken one at a time, in order.
  bool shared = false;
  // Guarded by the registry's mutex.
  bool done = false;
  bool retrying = false;
  bool again = false;  // a key became ready while a retry was in flight
};

class BlockingRegistry final : public storage::ReadyListener {
 public:
  bool Waiting() const override { return waiting_.load(std::memory_order_relaxed) > 0; }
  void OnReady(std::vector<std::string> keys) override;

  // Queues `w` behind the waiters already on each of its keys.
  void Add(const std::shared_ptr<BlockWait>& w);
  // A retry finished: `served` (the waiter is done; the next one of each
  // key gets its turn) or still waiting.
  void RetryDone(const std::shared_ptr<BlockWait>& w, bool served);
  // The waiter stopped waiting (timeout, disconnect, error).
  void Remove(const std::shared_ptr<BlockWait>& w);
  // Wakes the first waiter of every key `want` accepts: the safety net for
  // wake-ups this node cannot see (it holds no replica of the key's shard).
  void KickAll(const std::function<bool(const std::string&)>& want);
  int64_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

 private:
  void WakeFirst(const std::string& key);  // mu_ held
  void Post(const std::shared_ptr<BlockWait>& w);
  void Finish(const std::shared_ptr<BlockWait>& w);  // mu_ held

  std::mutex mu_;
  std::unordered_map<std::string, std::deque<std::shared_ptr<BlockWait>>> queues_;
  std::atomic<int64_t> waiting_{0};
};

}  // namespace shoal::server
