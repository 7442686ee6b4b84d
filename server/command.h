// The command table (DESIGN.md §2): one constexpr entry per command with
// name, arity, flags and key positions, checked in one place (the
// dispatcher) before any handler runs. Handlers parse their own options and
// either read the keyspace or propose a storage::Op.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace shoal::server {

class CommandContext;
using Args = std::span<const std::string_view>;
using Handler = void (*)(CommandContext& ctx, Args args);
// Key positions of a command that first/last/step cannot describe (a
// numkeys argument: ZUNIONSTORE, LMPOP, SINTERCARD...): the indexes of its
// key arguments in `args` (args[0] is the name). Indexes past the end are
// never returned; a malformed numkeys returns what it can (the handler
// replies the error).
using KeysFn = std::vector<size_t> (*)(Args args);

// Command flags, named as Redis's COMMAND reply names them.
enum CmdFlag : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kDenyOom = 1u << 2,
  kAdmin = 1u << 3,
  kPubSub = 1u << 4,
  kNoScript = 1u << 5,
  kBlocking = 1u << 6,
  kLoading = 1u << 7,
  kStale = 1u << 8,
  kFast = 1u << 9,
  kNoAuth = 1u << 10,
  kMayReplicate = 1u << 11,
  kAllowBusy = 1u << 12,
  // shoal's own: MULTI, EXEC, DISCARD, WATCH — run at once on the client's
  // node even inside MULTI, never routed (not a Redis COMMAND flag).
  kTxControl = 1u << 13,
};

// One line of COMMAND DOCS' "arguments": name, type and flags as Redis
// describes them (type: key, string, integer, double, pattern, unix-time,
// pure-token, oneof, block).
struct ArgDoc {
  std::string_view name;
  std::string_view type;
  std::string_view token = {};  // the literal word, for pure-token/oneof members
  bool optional = false;
  bool multiple = false;
};

struct CommandSpec {
  std::string_view name;  // lower case; "client|list" for subcommands
  int arity;              // > 0: exactly; < 0: at least -arity (name included)
  uint32_t flags;
  int first_key;  // 0: no keys
  int last_key;   // -1: last argument
  int key_step;
  Handler handler;
  std::string_view group;
  std::string_view since;
  std::string_view summary;
  std::string_view complexity = "O(1)";
  std::span<const CommandSpec> subcommands = {};
  std::span<const ArgDoc> args = {};
  KeysFn keys = nullptr;  // set when first/last/step cannot describe the keys
};

// Lists of each command family, defined next to their handlers.
std::span<const CommandSpec> StringCommands();
std::span<const CommandSpec> KeyCommands();
std::span<const CommandSpec> ConnectionCommands();
std::span<const CommandSpec> ServerCommands();
std::span<const CommandSpec> ClusterCommands();
std::span<const CommandSpec> HashCommands();
std::span<const CommandSpec> ListCommands();
std::span<const CommandSpec> SetCommands();
std::span<const CommandSpec> ZsetCommands();
std::span<const CommandSpec> TransactionCommands();
std::span<const CommandSpec> StreamCommands();
std::span<const CommandSpec> PubSubCommands();

// The indexes of the key arguments of `args` for `spec` (KeysFn, or
// first/last/step).
std::vector<size_t> KeyIndexes(const CommandSpec& spec, Args args);

// Whether a call is proposed as a write: write commands, and a blocking
// read asked to block (XREAD ... BLOCK ms: its attempts are proposed like
// BLPOP's, so an applied XADD wakes it in log order).
bool IsWriteCall(const CommandSpec& spec, Args args);
// XREAD / XREADGROUP: blocking reads whose BLOCK option decides.
bool IsStreamRead(const CommandSpec& spec);
// Whether a blocking-capable command was asked to block: always for
// BLPOP & co., with a BLOCK option for XREAD / XREADGROUP.
bool BlocksCall(const CommandSpec& spec, Args args);

// The whole table.
class CommandTable {
 public:
  static const CommandTable& Get();
  // Case-insensitive; nullptr if unknown.
  const CommandSpec* Find(std::string_view name) const;
  // Subcommand of a container command (CLIENT LIST...); nullptr if unknown.
  static const CommandSpec* FindSub(const CommandSpec& parent, std::string_view sub);
  std::span<const CommandSpec* const> all() const { return all_; }
  // Every command and subcommand, for per-command statistics; IndexOf
  // gives a spec's position in it.
  std::span<const CommandSpec* const> with_subcommands() const { return with_subs_; }
  size_t IndexOf(const CommandSpec* spec) const;
  // Number of top-level commands (COMMAND COUNT).
  size_t size() const { return all_.size(); }

 private:
  CommandTable();
  std::vector<const CommandSpec*> all_;
  std::vector<const CommandSpec*> with_subs_;
};

// Arity check in Redis's convention.
inline bool ArityOk(const CommandSpec& c, size_t argc) {
  auto n = static_cast<int64_t>(argc);
  return c.arity > 0 ? n == c.arity : n >= -c.arity;
}

}  // namespace shoal::server
