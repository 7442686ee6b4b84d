#include "server/connection.h"

#include <spdlog/spdlog.h>

#include <cstring>
#include <random>

#include "core/strutil.h"
#include "server/notify.h"
#include "server/server.h"

namespace shoal::server {
namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;
// Output buffers above this are released after a write rather than kept.
constexpr size_t kKeepOutputCapacityBytes = 1 << 20;

bool AllowedWhenSubscribed(std::string_view name) {
  return name == "subscribe" || name == "psubscribe" || name == "ssubscribe" ||
         name == "unsubscribe" || name == "punsubscribe" || name == "sunsubscribe" ||
         name == "ping" || name == "quit" || name == "reset";
}

std::string Endpoint(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace

Connection::Connection(Server& server, Worker& worker, asio::ip::tcp::socket socket)
    : server_(server),
      worker_(worker),
      socket_(std::move(socket)),
      id_(server.NextClientId()),
      writer_(&out_) {
  std::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  info_.id = id_;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) info_.addr = Endpoint(remote);
  auto local = socket_.local_endpoint(ec);
  if (!ec) info_.laddr = Endpoint(local);
  info_.fd = socket_.native_handle();
  info_.created_ms = server.clock().NowMs();
  info_.last_active_ms = info_.created_ms;
  SetAuthenticated(!server.auth_required());
}

void Connection::SetAuthenticated(bool yes) {
  authenticated_ = yes;
  resp::ParserLimits limits;
  limits.max_bulk_bytes = server_.max_bulk_bytes();
  limits.max_multibulk_len = server_.max_multibulk_len();
  limits.unauthenticated = !yes;
  parser_.set_limits(limits);
}

void Connection::Start() { DoRead(); }

void Connection::Kill() {
  auto self = shared_from_this();
  asio::post(worker_.io, [self] { self->Close("killed"); });
}

ClientInfo Connection::Info() {
  std::lock_guard<std::mutex> g(info_mu_);
  ClientInfo out = info_;
  if (const CommandSpec* c = last_cmd_.load(std::memory_order_relaxed)) out.last_cmd = c->name;
  out.sub = sub_counts_[0].load(std::memory_order_relaxed);
  out.psub = sub_counts_[1].load(std::memory_order_relaxed);
  out.ssub = sub_counts_[2].load(std::memory_order_relaxed);
  out.omem = omem_.load(std::memory_order_relaxed);
  int64_t active = last_active_ms_.load(std::memory_order_relaxed);
  if (active > 0) out.last_active_ms = active;
  return out;
}

void Connection::SetName(std::string name) {
  std::lock_guard<std::mutex> g(info_mu_);
  info_.name = std::move(name);
}

void Connection::SetLibInfo(std::string name, std::string ver) {
  std::lock_guard<std::mutex> g(info_mu_);
  if (!name.empty()) info_.lib_name = std::move(name);
  if (!ver.empty()) info_.lib_ver = std::move(ver);
}

void Connection::SetProtocol(resp::Protocol p) {
  writer_.set_protocol(p);
  std::lock_guard<std::mutex> g(info_mu_);
  info_.resp = static_cast<int>(p);
}

void Connection::DoRead() {
  if (closed_) return;
  // Room for one chunk; for a large bulk in progress, the buffer doubles
  // as its bytes arrive (memory follows data received, not data announced).
  size_t want = kReadChunkBytes;
  if (parser_.bytes_wanted() > 0) {
    want = std::max(want, std::min(static_cast<size_t>(parser_.bytes_wanted()), in_.size()));
  }
  in_.Reserve(want);
  reading_ = true;
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(in_.write_ptr(), in_.free_bytes()),
                          [self](const std::error_code& ec, size_t n) { self->OnRead(ec, n); });
}

void Connection::OnRead(const std::error_code& ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (ec) {
    Close(ec == asio::error::eof ? "client closed" : "read error");
    return;
  }
  in_.Commit(n);
  server_.stats().net_input_bytes.fetch_add(n, std::memory_order_relaxed);
  // As in Redis, the limit applies to what is buffered, checked before any
  // of it runs: a single argument over the limit closes the connection.
  if (static_cast<int64_t>(in_.size()) > server_.query_buffer_limit()) {
    spdlog::warn("closing client {}: query buffer of {} bytes over client-query-buffer-limit", id_,
                 in_.size());
    Close("query buffer limit");
    return;
  }
  ProcessInput();
}

void Connection::ProcessInput() {
  now_ms_ = server_.clock().NowMs();
  batch_clock_us_ = 0;
  size_t pos = 0;
  while (pos < in_.size() && !close_after_write_ && !closed_) {
    auto r = parser_.Parse(in_.unread(pos));
    if (r == resp::RequestParser::Outcome::kNeedMore) break;
    if (r == resp::RequestParser::Outcome::kError) {
      writer_.Error("ERR " + parser_.error());
      server_.stats().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("client {} protocol error: {}", id_, parser_.error());
      parser_.Reset();
      close_after_write_ = true;
      pos = in_.size();
      break;
    }
    const auto& args = parser_.args();
    if (!args.empty() && !Dispatch(args)) {
      // Waits for the commands in flight; parsed again when they finish.
      parser_.Reset();
      blocked_ = true;
      break;
    }
    pos += parser_.consumed();
  }
  if (closed_) return;
  // Keep the unparsed tail at the front of the buffer.
  if (pos > 0) in_.Consume(pos);
  // Release a buffer that grew for a large value.
  in_.ShrinkIfEmpty(4 * kReadChunkBytes);
  FinishBatch();
}

void Connection::FinishBatch() {
  if (wrote_) {
    wrote_ = false;
    sync_wait_ = true;
    // The group commit: the replies of writes leave only after the WAL
    // flush (and fsync with `always`) that carries them. The flush runs
    // once the worker has handled every connection that is ready now, so
    // one flush serves them all (Worker::RunSync).
    worker_.WaitForSync(shared_from_this());
    return;
  }
  SendReplies();
}

void Connection::AfterSync(const Status& s) {
  sync_wait_ = false;
  if (closed_) return;
  if (!s.ok()) {
    spdlog::error("WAL sync failed, dropping client {} without replies: {}", id_, s.ToString());
    Close("sync failed");
    return;
  }
  SendReplies();
}

void Connection::SendReplies() { Continue(); }

void Connection::Continue() {
  if (closed_) return;
  while (!slots_.empty() && slots_.front().done) {
    out_.append(slots_.front().data);
    slots_.pop_front();
  }
  if (writing_) return;
  // A read may be outstanding (a blocked client is still read): replies go
  // out anyway.
  if (!out_.empty()) {
    DoWrite();
    return;
  }
  if (reading_) return;
  if (inflight_ > 0) {
    // Each completion calls Continue. A client waiting in a blocking
    // command is still read (unless it already sent more than the command:
    // reading on would move that input under the parser): its disconnect
    // ends the wait at once, and the element goes to the next waiter.
    if (blocked_cmd_ && !blocked_) DoRead();
    return;
  }
  if (close_after_write_) {
    Close("quit");
    return;
  }
  if (blocked_) {
    if (awaiting_leader_) return;  // the leader-wait timer resumes it
    blocked_ = false;
    ProcessInput();
    return;
  }
  DoRead();
}

Connection::ReplySlot* Connection::NewSlot() {
  ++inflight_;
  return &slots_.emplace_back();
}

void Connection::Fill(ReplySlot* slot, std::string data) {
  slot->data = std::move(data);
  slot->done = true;
  if (--inflight_ == 0) inflight_kind_ = Deferred::kNone;
  Continue();
}

void Connection::DoWrite() {
  // Replies that finish while this write is under way collect in out_.
  wbuf_.swap(out_);
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(wbuf_), [self](const std::error_code& ec, size_t n) {
    self->writing_ = false;
    if (self->closed_) return;
    if (ec) {
      self->Close("write error");
      return;
    }
    self->server_.stats().net_output_bytes.fetch_add(n, std::memory_order_relaxed);
    self->wbuf_.clear();
    if (self->wbuf_.capacity() > kKeepOutputCapacityBytes) self->wbuf_.shrink_to_fit();
    self->omem_.store(self->out_.size(), std::memory_order_relaxed);
    self->Continue();
  });
}

void Connection::Close(const char* why) {
  if (closed_) return;
  closed_ = true;
  if (blocked_cmd_) FinishBlocked({});
  UnsubscribeAll();
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  spdlog::debug("client {} closed: {}", id_, why);
  server_.Unregister(id_);
}

bool Connection::Dispatch(Args args) {
  // Behind a reply still to come, an immediate reply takes a slot too.
  bool behind = !slots_.empty();
  size_t mark = out_.size();
  bool ran = DispatchCommand(args);
  if (behind && out_.size() > mark) {
    ReplySlot& slot = slots_.emplace_back();
    slot.data.assign(out_, mark, std::string::npos);
    slot.done = true;
    out_.resize(mark);
  }
  return ran;
}

bool Connection::DispatchCommand(Args args) {
  const auto& table = CommandTable::Get();
  const CommandSpec* spec = table.Find(args[0]);
  auto& stats = server_.stats();
  stats.commands_processed.fetch_add(1, std::memory_order_relaxed);
  if (spec == nullptr) {
    std::string msg = "ERR unknown command '" + std::string(args[0].substr(0, 128)) +
                      "', with args beginning with: ";
    for (size_t i = 1; i < args.size() && msg.size() < 256; ++i) {
      msg += "'" + std::string(args[i].substr(0, 128)) + "' ";
    }
    stats.error_replies.fetch_add(1, std::memory_order_relaxed);
    writer_.Error(msg);
    if (in_multi_) multi_failed_ = true;
    return true;
  }
  // Container commands (CLIENT, CONFIG...): the subcommand's own entry is
  // checked for arity and counted in the statistics.
  const CommandSpec* top = spec;
  if (!spec->subcommands.empty() && args.size() >= 2) {
    const CommandSpec* sub = CommandTable::FindSub(*spec, args[1]);
    if (sub == nullptr && authenticated_) {
      stats.error_replies.fetch_add(1, std::memory_order_relaxed);
      writer_.Error("ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) + "'. Try " +
                    ToUpper(spec->name) + " HELP.");
      if (in_multi_) multi_failed_ = true;
      return true;
    }
    if (sub != nullptr) spec = sub;
  }
  size_t idx = table.IndexOf(spec);
  CommandStat& cs = worker_.cmd_stats[idx];
  if (!authenticated_ && !(top->flags & kNoAuth)) {
    cs.rejected.fetch_add(1, std::memory_order_relaxed);
    stats.error_replies.fetch_add(1, std::memory_order_relaxed);
    writer_.Error("NOAUTH Authentication required.");
    return true;
  }
  if (!ArityOk(*spec, args.size())) {
    cs.rejected.fetch_add(1, std::memory_order_relaxed);
    stats.error_replies.fetch_add(1, std::memory_order_relaxed);
    writer_.Error("ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
    if (in_multi_) multi_failed_ = true;
    return true;
  }
  // RESP2 subscribed mode: the connection carries messages; only the
  // commands that manage it may run (RESP3 clients may run anything).
  if (!writer_.resp3() && subscribed() && !AllowedWhenSubscribed(top->name)) {
    cs.rejected.fetch_add(1, std::memory_order_relaxed);
    stats.error_replies.fetch_add(1, std::memory_order_relaxed);
    writer_.Error("ERR Can't execute '" + std::string(spec->name) +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                  "this context");
    return true;
  }
  const bool tx_control = (top->flags & kTxControl) != 0;
  if (in_multi_ && !tx_control) {
    QueueCommand(top, spec, args);
    return true;
  }
  if (server_.host() != nullptr && (spec->first_key > 0 || spec->keys != nullptr) && !tx_control) {
    return DispatchClustered(top, spec, args);
  }
  // Keyless commands run in request order: after what is in flight.
  if (inflight_ > 0) return false;
  last_cmd_.store(spec, std::memory_order_relaxed);
  last_active_ms_.store(now_ms_, std::memory_order_relaxed);
  Execute(top, spec, args, writer_);
  return true;
}

void Connection::Execute(const CommandSpec* top, const CommandSpec* spec, Args args,
                         resp::Writer& out) {
  auto& stats = server_.stats();
  CommandStat& cs = worker_.cmd_stats[CommandTable::Get().IndexOf(spec)];
  std::string* buf = out.buffer();
  size_t before = buf->size();
  // One clock reading per command: a command starts when the previous one
  // of the batch ended.
  int64_t t0 = batch_clock_us_ != 0 ? batch_clock_us_ : server_.clock().MonotonicUs();
  CommandContext ctx(server_, this, out, now_ms_, spec);
  const bool notify = server_.notify_flags() != 0 && (spec->flags & kWrite) &&
                      capture_ == nullptr && server_.host() == nullptr;
  notify::BeforeWrite before_state;
  if (notify) before_state = notify::BeforeWrite(server_, *spec, args);
  top->handler(ctx, args);
  int64_t t1 = server_.clock().MonotonicUs();
  batch_clock_us_ = t1;
  cs.calls.fetch_add(1, std::memory_order_relaxed);
  cs.usec.fetch_add(static_cast<uint64_t>(t1 - t0), std::memory_order_relaxed);
  if (buf->size() > before && (*buf)[before] == '-') {
    cs.failed.fetch_add(1, std::memory_order_relaxed);
    stats.error_replies.fetch_add(1, std::memory_order_relaxed);
  }
  // Single node: a write was applied just now (in cluster mode, when its
  // proposal comes back: cluster_dispatch.cc).
  if (notify)
    notify::AfterWrite(server_, *spec, args, std::string_view(*buf).substr(before), before_state);
}

void CommandContext::WrongArity() {
  out.Error("ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
}

uint64_t RandomSeed() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return rng();
}

uint64_t CommandContext::Seed() {
  if (in_exec_) return seed_++;
  return RandomSeed();
}

void CommandContext::Propose(storage::Op& op) {
  op.now_ms = now_ms;
  if (in_exec_) {
    server.state_machine().Apply(op, &out);
    return;
  }
  if (std::string* capture = conn->capture()) {
    // Cluster mode: the dispatcher proposes it to the key's shard.
    *capture = storage::EncodeOp(op);
    return;
  }
  if (server.host() != nullptr) {
    out.Error("ERR this command is not supported in cluster mode");
    return;
  }
  conn->MarkWrote();
  server.replicator().Propose(op, &out);
}

storage::Keyspace& CommandContext::ks() { return server.keyspace(); }

}  // namespace shoal::server
