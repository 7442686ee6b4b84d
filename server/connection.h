// One client connection: reads requests, parses them incrementally,
// dispatches each through the command table, and writes the replies of a
// whole batch (pipeline) in one write, in request order.
//
// Thread-safety: a connection lives on one worker's io_context; all its
// methods run there except Kill() and Info(), which are thread-safe
// (Kill posts to the worker; Info reads fields guarded by info_mu_).
#pragma once

#include <asio.hpp>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "cluster/host.h"
#include "core/resp/request_parser.h"
#include "core/resp/writer.h"
#include "server/command.h"
#include "server/input_buffer.h"
#include "server/pubsub.h"
#include "storage/keyspace.h"
#include "storage/op.h"

namespace shoal::server {

class Server;
struct Worker;
struct BlockWait;

// What CLIENT LIST / CLIENT INFO show of a connection.
struct ClientInfo {
  uint64_t id = 0;
  std::string addr, laddr, name, lib_name, lib_ver, last_cmd;
  int64_t created_ms = 0;
  int64_t last_active_ms = 0;
  int resp = 2;
  size_t query_buffer = 0;
  int fd = -1;
  int64_t sub = 0, psub = 0, ssub = 0;  // subscriptions
  size_t omem = 0;                      // output bytes not yet written
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, Worker& worker, asio::ip::tcp::socket socket);
  ~Connection();
  void Start();
  // Closes the connection after the current batch. Thread-safe.
  void Kill();
  ClientInfo Info();

  uint64_t id() const { return id_; }
  Server& server() { return server_; }
  Worker& worker() { return worker_; }
  resp::Writer& writer() { return writer_; }

  // Session state, used by the handlers on this connection's thread.
  bool authenticated() const { return authenticated_; }
  // Also lifts the small request limits of unauthenticated clients.
  void SetAuthenticated(bool yes);
  void SetName(std::string name);
  void SetLibInfo(std::string name, std::string ver);
  void SetProtocol(resp::Protocol p);
  // Close once the pending replies are written (QUIT, protocol errors).
  void CloseAfterReply() { close_after_write_ = true; }
  // Arrange for a batch's writes to be synced before replies go out.
  void MarkWrote() { wrote_ = true; }
  // Called by the worker after the group flush this connection waited for.
  void AfterSync(const Status& s);

  // Cluster mode. A connection that asked for the cluster layout (CLUSTER
  // SLOTS/SHARDS/NODES) or sent READONLY/READWRITE speaks the cluster
  // protocol: it gets -MOVED instead of having its commands forwarded.
  bool cluster_aware() const { return cluster_aware_; }
  // Whether a command for a shard led elsewhere gets -MOVED rather than
  // being forwarded (cluster-redirect, and whether this client is aware).
  bool WantsMoved() const;
  void SetClusterAware() { cluster_aware_ = true; }
  void SetFollowerReads(bool yes) { follower_reads_ = yes; }
  // Set while a write handler runs in cluster mode: Propose hands the
  // encoded op here instead of applying it.
  std::string* capture() { return capture_; }
  // Cluster mode, from a keyless command's handler: proposes one encoded op
  // to each listed shard (which this node leads); the reply is +OK once all
  // applied, else the first error.
  void ProposeToShards(std::vector<std::pair<uint32_t, std::string>>&& ops);
  // Cluster mode, WAIT: replies how many followers of the shard this
  // connection last wrote to hold that write, waiting up to `timeout_ms`
  // (0: no limit) for `want` of them; asks the shard's leader if it is
  // another node. `shard` UINT32_MAX: this connection's last write's.
  void WaitReplicas(int64_t want, int64_t timeout_ms, uint32_t shard = UINT32_MAX);
  // Cluster mode, SHOAL.PROPOSE: proposes an encoded op (checked by the
  // caller) to `shard`, here or at its leader.
  void ProposeRaw(uint32_t shard, std::string op);

  // A reply that will come later (a proposal, a read waiting for its
  // ReadIndex, a forwarded command), in request order among the others.
  struct ReplySlot {
    std::string data;
    bool done = false;
  };

  // Blocking commands (server/blocking.h). Block: the command in `rs` (a
  // new slot when null) found nothing to pop; the client waits until a key
  // is ready or the timeout passes. RetryBlocked: the registry's wake-up.
  // `would_block`: the attempt's reply (XREAD's resolved IDs replace its
  // own in the retries).
  void Block(ReplySlot* rs, const CommandSpec* spec, std::vector<std::string> argv,
             std::string_view would_block = {});
  void RetryBlocked();

  // Pub/sub (server/pubsub.h, server/commands/pubsub.cc). Subscribe /
  // Unsubscribe reply Redis's confirmations (one per channel; an empty
  // `names` unsubscribes from all). A connection with subscriptions is in
  // subscribed mode (RESP2: only the pub/sub commands, PING, QUIT, RESET).
  void Subscribe(PubKind kind, Args names);
  void Unsubscribe(PubKind kind, Args names);
  void UnsubscribeAll();
  bool subscribed() const;
  // A message for this subscriber (on its worker thread): appended to the
  // output; a subscriber over client-output-buffer-limit pubsub is closed.
  void PushPubSub(bool shard, const std::string* pattern, const std::string& channel,
                  const std::string& message);

  // Transactions (server/transaction.cc).
  bool in_multi() const { return in_multi_; }
  void StartMulti() { in_multi_ = true; }
  void Discard();
  // WATCH: records the keys' digests; false after replying an error.
  void Watch(CommandContext& ctx, Args keys);
  void Unwatch() { watched_.clear(); }
  void Exec(CommandContext& ctx);

 private:
  // What in-flight deferred commands are doing: only commands of the same
  // kind and target may overlap, so a read never runs before an earlier
  // write of the same connection has been applied.
  // kBlocked: a blocking command waits; nothing may overlap it.
  enum class Deferred : uint8_t { kNone, kLocalWrite, kLocalRead, kForward, kBlocked };

  void DoRead();
  void OnRead(const std::error_code& ec, size_t n);
  void ProcessInput();
  // false: not run now (it waits for in-flight commands); parse it again.
  bool Dispatch(Args args);
  bool DispatchCommand(Args args);
  void Execute(const CommandSpec* top, const CommandSpec* spec, Args args, resp::Writer& out);
  // Cluster routing of a keyed command; false when it must wait.
  bool DispatchClustered(const CommandSpec* top, const CommandSpec* spec, Args args);
  // The shard's leader; 0 after replying -CLUSTERDOWN (none known).
  uint64_t LeaderOrReply(uint32_t shard);
  // Cluster mode, no leader known for a command's shard: true when it waits
  // (the caller returns false: parsed again when a poll timer fires), false
  // once the wait is over (answer -CLUSTERDOWN).
  bool AwaitLeader();
  static constexpr int kLeaderPollMs = 2;
  // How long a command waits for its shard to have a leader: one election
  // timeout.
  int64_t LeaderWaitMs() const;
  // Runs `fn` after kLeaderPollMs on this worker, unless the connection
  // closed meanwhile.
  void AfterLeaderPoll(std::function<void()> fn);
  static std::string ReadNotConfirmed(uint32_t shard);
  ReplySlot* NewSlot();
  void Fill(ReplySlot* slot, std::string data);
  // `block`: the blocking command being tried (the leader may answer
  // "would block"); null for every other command.
  struct BlockTry {
    const CommandSpec* spec;
    std::vector<std::string> argv;
  };
  void Forward(ReplySlot* slot, uint64_t node, std::string encoded, bool write, int hops,
               std::shared_ptr<BlockTry> block = nullptr);
  // Queues a command between MULTI and EXEC.
  void QueueCommand(const CommandSpec* top, const CommandSpec* spec, Args args);
  // Cluster mode: proposes an encoded op to `shard` (on its leader) or
  // forwards `forward_args` to the leader; the reply fills a new slot.
  void SubmitToShard(uint32_t shard, uint16_t slot, std::string op,
                     std::vector<std::string> forward_args);
  // One attempt of the blocked command; `done` gets its raw reply.
  void TryBlockedOnce(const std::function<void(std::string)>& done);
  void FinishBlocked(std::string reply);
  std::string BlockedNull() const;
  void OnWriteDone(ReplySlot* slot, uint32_t shard, uint16_t key_slot, cluster::Outcome o,
                   std::string reply);
  // A write's never-proposed op after kNotLeader: proposed here, sent to
  // the new leader (SHOAL.PROPOSE) or answered MOVED, once a leader is
  // known (waiting up to an election timeout); an empty op cannot be
  // handed on (-TRYAGAIN).
  void RerouteOp(ReplySlot* slot, uint32_t shard, uint16_t key_slot, std::string op,
                 int64_t waited_ms);
  // A read refused for kNotLeader: forwarded to the shard's leader (this
  // node included) once one is known, waiting up to an election timeout.
  void RerouteRead(ReplySlot* slot, uint32_t shard, std::string encoded, int64_t waited_ms);
  void OnReadDone(ReplySlot* slot, const CommandSpec* top, const CommandSpec* spec, uint32_t shard,
                  const std::vector<std::string>& owned, cluster::Outcome o);
  void RunDeferredRead(ReplySlot* slot, const CommandSpec* top, const CommandSpec* spec,
                       const std::vector<std::string>& args);
  void FinishBatch();
  void SendReplies();
  // Moves finished replies out, writes, and reads or resumes parsing when
  // nothing is in flight.
  void Continue();
  void DoWrite();
  void Close(const char* why);

  Server& server_;
  Worker& worker_;
  asio::ip::tcp::socket socket_;
  uint64_t id_;
  resp::RequestParser parser_;
  InputBuffer in_;
  std::string out_;
  resp::Writer writer_;
  bool authenticated_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  bool wrote_ = false;
  bool sync_wait_ = false;  // replies wait for a group flush (pushes too)
  bool writing_ = false;
  bool reading_ = false;
  bool blocked_ = false;  // unparsed input waits for in-flight commands
  bool cluster_aware_ = false;
  bool follower_reads_ = false;             // READONLY
  uint32_t last_write_shard_ = UINT32_MAX;  // WAIT: the shard of the last write
  // A command waiting for its shard to have a known leader (AwaitLeader).
  int64_t no_leader_since_ms_ = 0;
  bool awaiting_leader_ = false;
  std::string* capture_ = nullptr;
  std::string wbuf_;  // bytes being written
  // Replies behind the first deferred one, in request order.
  std::deque<ReplySlot> slots_;
  int inflight_ = 0;
  Deferred inflight_kind_ = Deferred::kNone;
  uint64_t inflight_target_ = 0;
  int64_t now_ms_ = 0;
  int64_t batch_clock_us_ = 0;  // end of the batch's previous command

  // The blocking command this client waits in, if any.
  struct Blocked {
    std::shared_ptr<BlockWait> wait;
    ReplySlot* slot = nullptr;
    const CommandSpec* spec = nullptr;
    std::vector<std::string> argv;
    std::unique_ptr<asio::steady_timer> timer;
    bool timed_out = false;  // the timeout passed while a retry was in flight
    // Nothing else may hold the connection while it waits (no read, no
    // timer with timeout 0); released when the wait ends.
    std::shared_ptr<Connection> keep;
  };
  std::unique_ptr<Blocked> blocked_cmd_;

  // Subscriptions, by PubKind.
  std::unordered_set<std::string> subs_[3];
  int64_t soft_limit_since_ms_ = 0;  // output over the soft limit since
  // For Info() on other threads.
  std::atomic<int64_t> sub_counts_[3] = {0, 0, 0};
  std::atomic<size_t> omem_{0};

  // MULTI state.
  bool in_multi_ = false;
  bool multi_failed_ = false;  // a command was refused while queueing: EXECABORT
  std::vector<std::vector<std::string>> queued_;
  std::vector<std::pair<std::string, uint64_t>> watched_;  // key, digest

  std::mutex info_mu_;
  ClientInfo info_;  // guarded by info_mu_, except the two fields below
  // Updated per command without the lock; Info() copies them in.
  std::atomic<const CommandSpec*> last_cmd_{nullptr};
  std::atomic<int64_t> last_active_ms_{0};
};

// 64 random bits from a per-thread generator (seeds of proposed ops).
uint64_t RandomSeed();

// What a handler sees: the server's services, its connection and the
// reply writer, plus the batch's clock reading.
class CommandContext {
 public:
  CommandContext(Server& server, Connection* conn, resp::Writer& out, int64_t now_ms,
                 const CommandSpec* spec)
      : server(server), conn(conn), out(out), now_ms(now_ms), spec(spec) {}

  Server& server;
  // Null while a transaction's command runs inside its EXEC apply (the
  // commands allowed in MULTI never need it).
  Connection* conn;
  resp::Writer& out;
  const int64_t now_ms;
  const CommandSpec* spec;

  // Inside an applied transaction: writes apply at once on this thread
  // (they are part of the EXEC op), and randomness comes from the op.
  void SetInExec(uint64_t seed) {
    in_exec_ = true;
    seed_ = seed;
  }
  bool in_exec() const { return in_exec_; }
  // A seed for a command's randomness: deterministic inside EXEC, random
  // otherwise (it travels in the proposed op).
  uint64_t Seed();

  // Replies "ERR wrong number of arguments for '<name>' command".
  void WrongArity();
  void Error(std::string_view msg) { out.Error(msg); }
  // Proposes a write (stamped with now_ms); the reply is written when it
  // is applied.
  void Propose(storage::Op& op);
  storage::Keyspace& ks();

 private:
  bool in_exec_ = false;
  uint64_t seed_ = 0;
};

}  // namespace shoal::server
