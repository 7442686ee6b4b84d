#include "storage/state_machine.h"

#include <algorithm>

#include "storage/apply.h"
#include "storage/coll.h"

namespace shoal::storage {

namespace internal {

bool Load(ApplyCtx& c, const KeyRef& k, Loaded* out) {
  // Writes do not fill the cache on a miss: the write itself will.
  auto r = c.ks.Read(k, c.op.now_ms, &out->scratch, /*touch=*/false);
  if (!r.ok()) {
    c.Failed(r.status());
    return false;
  }
  out->rec = *r;
  out->live = out->rec && !out->rec->expired(c.op.now_ms);
  return true;
}

}  // namespace internal

void StateMachine::ApplyCommand(const Op& op, internal::ApplyCtx& c) {
  const coll::CmdImpl* impl = op.args.empty() ? nullptr : coll::FindImpl(op.args[0]);
  if (impl == nullptr) {
    return c.reply.Error("ERR unknown replicated command");
  }
  std::vector<std::string> ready;
  const bool listen = ready_listener_ != nullptr && ready_listener_->Waiting();
  coll::Env env{*ks_, op.now_ms, static_cast<uint64_t>(op.num), c.reply, /*write=*/true};
  if (listen) env.ready = &ready;
  env.retry = (op.flags & op_flags::kRetry) != 0;
  std::string* buf = c.reply.buffer();
  const size_t mark = buf->size();
  impl->fn(env, op.args);
  if (env.would_block && (op.flags & op_flags::kMayBlock)) {
    buf->resize(mark);
    if (env.block_ids.empty()) {
      buf->append(kWouldBlockReply);
    } else {
      buf->append(kWouldBlockReply.substr(0, kWouldBlockReply.size() - 2));
      buf->append(" ");
      buf->append(env.block_ids);
      buf->append("\r\n");
    }
  }
  if (env.changed) c.changed = true;
  if (!ready.empty()) {
    std::sort(ready.begin(), ready.end());
    ready.erase(std::unique(ready.begin(), ready.end()), ready.end());
    ready_listener_->OnReady(std::move(ready));
  }
}

void StateMachine::Apply(const Op& op, resp::Writer* reply) {
  // Followers apply without a client; their replies go nowhere.
  std::string sink;
  resp::Writer discard(&sink);
  internal::ApplyCtx c{*ks_, options_, op, reply ? *reply : discard};
  using internal::ApplyCtx;
  switch (op.code) {
    case OpCode::kSet:
      internal::ApplySet(c);
      break;
    case OpCode::kMSet:
      internal::ApplyMSet(c, false);
      break;
    case OpCode::kMSetNx:
      internal::ApplyMSet(c, true);
      break;
    case OpCode::kIncrBy:
      internal::ApplyIncrBy(c);
      break;
    case OpCode::kIncrByFloat:
      internal::ApplyIncrByFloat(c);
      break;
    case OpCode::kAppend:
      internal::ApplyAppend(c);
      break;
    case OpCode::kSetRange:
      internal::ApplySetRange(c);
      break;
    case OpCode::kSetBit:
      internal::ApplySetBit(c);
      break;
    case OpCode::kGetDel:
      internal::ApplyGetDel(c);
      break;
    case OpCode::kGetEx:
      internal::ApplyGetEx(c);
      break;
    case OpCode::kDel:
      internal::ApplyDel(c);
      break;
    case OpCode::kExpire:
      internal::ApplyExpire(c);
      break;
    case OpCode::kPersist:
      internal::ApplyPersist(c);
      break;
    case OpCode::kRename:
      internal::ApplyRename(c);
      break;
    case OpCode::kCopy:
      internal::ApplyCopy(c);
      break;
    case OpCode::kFlushAll:
      internal::ApplyFlushAll(c);
      break;
    case OpCode::kExpireIfDue:
      internal::ApplyExpireIfDue(c);
      break;
    case OpCode::kCommand:
      ApplyCommand(op, c);
      break;
    case OpCode::kExec:
      if (exec_runner_ == nullptr) {
        c.reply.Error("ERR transactions are not available");
      } else {
        exec_runner_->RunExec(op, c.reply, reply != nullptr);
        c.changed = true;
      }
      break;
  }
  if (c.changed) changes_.fetch_add(1, std::memory_order_relaxed);
  // Stream readers blocked on a deleted key are answered at once (Redis);
  // anyone else woken by it just waits again.
  if (op.code == OpCode::kDel && c.changed && ready_listener_ != nullptr &&
      ready_listener_->Waiting()) {
    ready_listener_->OnReady(std::vector<std::string>(op.args.begin(), op.args.end()));
  }
}

}  // namespace shoal::storage
