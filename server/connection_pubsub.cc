// A connection's side of pub/sub (server/pubsub.h): its subscriptions, the
// confirmations, the messages pushed to it and the output buffer limit of
// subscribers (client-output-buffer-limit pubsub).
#include <spdlog/spdlog.h>

#include "server/connection.h"
#include "server/server.h"

namespace shoal::server {
namespace {

std::string_view SubscribeWord(PubKind kind) {
  switch (kind) {
    case PubKind::kChannel:
      return "subscribe";
    case PubKind::kPattern:
      return "psubscribe";
    case PubKind::kShard:
      return "ssubscribe";
  }
  return "subscribe";
}

std::string_view UnsubscribeWord(PubKind kind) {
  switch (kind) {
    case PubKind::kChannel:
      return "unsubscribe";
    case PubKind::kPattern:
      return "punsubscribe";
    case PubKind::kShard:
      return "sunsubscribe";
  }
  return "unsubscribe";
}

}  // namespace

bool Connection::subscribed() const {
  return !subs_[0].empty() || !subs_[1].empty() || !subs_[2].empty();
}

void Connection::Subscribe(PubKind kind, Args names) {
  auto& mine = subs_[static_cast<int>(kind)];
  auto& hub = server_.pubsub();
  auto self = shared_from_this();
  for (auto name : names) {
    std::string n(name);
    if (mine.insert(n).second) hub.Add(kind, n, self);
    // The count is of channels and patterns together; shard channels
    // count alone (Redis).
    const auto count =
        kind == PubKind::kShard ? subs_[2].size() : subs_[0].size() + subs_[1].size();
    writer_.PushHeader(3);
    writer_.Bulk(SubscribeWord(kind));
    writer_.Bulk(name);
    writer_.Integer(static_cast<int64_t>(count));
  }
  sub_counts_[static_cast<int>(kind)].store(static_cast<int64_t>(mine.size()),
                                            std::memory_order_relaxed);
}

void Connection::Unsubscribe(PubKind kind, Args names) {
  auto& mine = subs_[static_cast<int>(kind)];
  auto& hub = server_.pubsub();
  auto count = [&] {
    return static_cast<int64_t>(kind == PubKind::kShard ? subs_[2].size()
                                                        : subs_[0].size() + subs_[1].size());
  };
  auto confirm = [&](const std::string* name) {
    writer_.PushHeader(3);
    writer_.Bulk(UnsubscribeWord(kind));
    if (name != nullptr) {
      writer_.Bulk(*name);
    } else {
      writer_.Null();
    }
    writer_.Integer(count());
  };
  if (names.empty()) {
    if (mine.empty()) confirm(nullptr);
    std::vector<std::string> all(mine.begin(), mine.end());
    for (const auto& n : all) {
      mine.erase(n);
      hub.Remove(kind, n, id_);
      confirm(&n);
    }
  } else {
    for (auto name : names) {
      std::string n(name);
      if (mine.erase(n) > 0) hub.Remove(kind, n, id_);
      confirm(&n);
    }
  }
  sub_counts_[static_cast<int>(kind)].store(static_cast<int64_t>(mine.size()),
                                            std::memory_order_relaxed);
}

void Connection::UnsubscribeAll() {
  auto& hub = server_.pubsub();
  for (int k = 0; k < 3; ++k) {
    for (const auto& n : subs_[k]) hub.Remove(static_cast<PubKind>(k), n, id_);
    subs_[k].clear();
    sub_counts_[k].store(0, std::memory_order_relaxed);
  }
}

void Connection::PushPubSub(bool shard, const std::string* pattern, const std::string& channel,
                            const std::string& message) {
  if (closed_) return;
  if (pattern != nullptr) {
    writer_.PushHeader(4);
    writer_.Bulk("pmessage");
    writer_.Bulk(*pattern);
  } else {
    writer_.PushHeader(3);
    writer_.Bulk(shard ? "smessage" : "message");
  }
  writer_.Bulk(channel);
  writer_.Bulk(message);
  const size_t pending = out_.size() + wbuf_.size();
  omem_.store(pending, std::memory_order_relaxed);
  const OutputLimit limit = server_.pubsub_output_limit();
  const bool over_hard = limit.hard > 0 && pending > limit.hard;
  bool over_soft = false;
  if (limit.soft > 0 && pending > limit.soft) {
    const int64_t now = server_.clock().NowMs();
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now;
    } else if (now - soft_limit_since_ms_ > limit.soft_seconds * 1000) {
      over_soft = true;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  if (over_hard || over_soft) {
    spdlog::warn(
        "closing subscriber {}: {} bytes of output not taken, over client-output-buffer-limit "
        "pubsub ({} limit)",
        id_, pending, over_hard ? "hard" : "soft");
    server_.stats().output_limit_disconnections.fetch_add(1, std::memory_order_relaxed);
    out_.clear();
    out_.shrink_to_fit();
    Close("output buffer limit");
    return;
  }
  // Behind replies that wait for their group flush, the push waits too.
  if (!sync_wait_) Continue();
}

}  // namespace shoal::server
