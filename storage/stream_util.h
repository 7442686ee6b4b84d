// Pieces the stream command files (storage/cmd_stream*.cc) share: opening a
// stream, its state record, entries, groups, consumers, argument parsing,
// Redis's entries-read bookkeeping and the replies and errors more than one
// command gives. Record layouts: storage/stream.h. Functions that read or
// write a stream run under the caller's lock on its key.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/coll.h"
#include "storage/stream.h"

namespace shoal::storage::stream {

using coll::Argv;
using coll::Env;
using coll::Handle;

// ---- the stream and its entries ----

// Opens `key` as a stream: false after replying WRONGTYPE or a storage
// error. h->live is false when the key does not exist (or expired).
bool OpenStream(Env& env, std::string_view key, Handle* h);
// A new empty stream in `h` (coll::Create + a zero state).
void CreateStream(Env& env, Handle* h, StreamState* st);
// The 'S' record of a live stream; false after replying on failure.
bool LoadState(Env& env, const Handle& h, StreamState* st);
void PutState(WriteTxn& txn, const Handle& h, const StreamState& st);
// The stream's last ID, what "$" means: 0-0 for a missing stream. False
// after replying on failure.
bool LastId(Env& env, const Handle& h, StreamId* id);

std::string EntryKey(const Handle& h, StreamId id);
// The sub-keys of a group's PEL record of `id` ('p') and of a consumer's
// ('q').
std::string PendingKey(const Handle& h, std::string_view group, StreamId id);
std::string ConsumerPendingKey(const Handle& h, std::string_view group, std::string_view consumer,
                               StreamId id);
// The first key after every sub-key whose last 16 bytes are IDs <= the ID
// that `key` ends with: the end of a cursor range up to that ID inclusive.
std::string UpTo(std::string key);

// Entries with IDs in [lo, hi], in order (reverse: from hi down), at most
// `count` of them (0: all). Values are the encoded field lists. False after
// replying on a storage error.
using Entries = std::vector<std::pair<StreamId, std::string>>;
bool RangeEntries(Env& env, const Handle& h, StreamId lo, StreamId hi, bool reverse, uint64_t count,
                  Entries* out);
// The first / last entry's ID; nullopt when the stream has no entries.
bool FirstEntryId(Env& env, const Handle& h, std::optional<StreamId>* id);
bool LastEntryId(Env& env, const Handle& h, std::optional<StreamId>* id);

// ---- groups and consumers ----

// A consumer group's record; *g is nullopt when the group does not exist.
bool LoadGroup(Env& env, const Handle& h, std::string_view group, std::optional<GroupState>* g);
void PutGroup(WriteTxn& txn, const Handle& h, std::string_view group, const GroupState& g);
bool LoadConsumer(Env& env, const Handle& h, std::string_view group, std::string_view consumer,
                  std::optional<ConsumerState>* c);
void PutConsumer(WriteTxn& txn, const Handle& h, std::string_view group, std::string_view consumer,
                 const ConsumerState& c);

// A group's or a consumer's record with its name.
template <typename State>
struct Named {
  std::string name;
  State state;
};
using NamedGroup = Named<GroupState>;
using NamedConsumer = Named<ConsumerState>;
// Every group of the stream, and every consumer of `group`, by name. False
// after replying on failure.
bool LoadGroups(Env& env, const Handle& h, std::vector<NamedGroup>* out);
bool LoadConsumers(Env& env, const Handle& h, std::string_view group,
                   std::vector<NamedConsumer>* out);

// A PEL entry with its ID.
struct PelItem {
  StreamId id;
  PendingEntry p;
};

// ---- entries-read bookkeeping (Redis's, for the lag XINFO reports) ----

// What the entries-read estimates need beyond the state record.
struct StreamFacts {
  uint64_t length = 0;
  StreamState st;
  StreamId first_id;  // of the first entry; 0-0 when empty (Redis's first_id)
};
bool LoadFacts(Env& env, const Handle& h, StreamFacts* f);
// Moves the group past the delivered entry `id` (XREADGROUP ">"), keeping
// its entries-read counter when it can be told, else -1 (unknown).
void NoteDelivered(const StreamFacts& f, GroupState* g, StreamId id);
// A group's lag, or nullopt when it cannot be told (a null reply).
std::optional<int64_t> GroupLag(const StreamFacts& f, const GroupState& g);

// ---- arguments (each replies the Redis error and returns false) ----

// An ID as XDEL, XSETID, XREAD, XACK and MINID take it: "ms" or "ms-seq",
// not "-" / "+".
bool StrictId(Env& env, std::string_view s, StreamId* id);
// A range bound as XRANGE, XPENDING and XAUTOCLAIM take it ("-", "+",
// "(id"...); an exclusive bound that leaves nothing is an error.
bool RangeBound(Env& env, std::string_view s, bool start, StreamId* id);
// The BLOCK value of XREAD / XREADGROUP (milliseconds), checked as Redis
// 7.2 checks it: the deadline must not overflow.
bool BlockMsOk(Env& env, std::string_view s);

// The options of XREAD and XREADGROUP.
struct ReadArgs {
  uint64_t count = 0;  // 0: no limit
  bool block = false;
  bool noack = false;                // XREADGROUP only
  std::string_view group, consumer;  // XREADGROUP only
  Argv keys;                         // after STREAMS
  Argv ids;                          // one per key
};
// XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS ...
bool ParseReadArgs(Env& env, Argv argv, bool xreadgroup, ReadArgs* a);

// ---- replies and errors ----

void ReplyId(Env& env, StreamId id);
// One entry as Redis replies it: [id, [field, value, ...]]. A deleted
// entry (an empty value) is [id, nil] (XREADGROUP's history).
void ReplyEntry(Env& env, StreamId id, std::string_view value);
void ReplyEntries(Env& env, const Entries& entries);
// XREAD's and XREADGROUP's reply: per stream served, its key and entries (a
// map in RESP3).
struct KeyEntries {
  std::string_view key;
  Entries entries;
};
void ReplyKeyEntries(Env& env, const std::vector<KeyEntries>& served);
// "ERR storage error: bad stream <what>": a record that does not decode.
void ReplyCorrupt(Env& env, std::string_view what);
// A HELP subcommand's reply: the lines as simple strings.
void ReplyHelp(Env& env, std::span<const std::string_view> lines);
// The errors of XINFO and XGROUP (`cmd`) for an unknown subcommand and for
// a known one with wrong arguments.
void ReplyUnknownSubcommand(Env& env, std::string_view cmd, std::string_view sub);
void ReplySubcommandSyntax(Env& env, std::string_view cmd, std::string_view sub);

// "NOGROUP No such key '<key>' or consumer group '<group>'" (XPENDING,
// XCLAIM, XAUTOCLAIM; XREADGROUP adds where).
std::string NoGroup(std::string_view key, std::string_view group);
// "NOGROUP No such consumer group '<group>' for key name '<key>'" (XGROUP,
// XINFO CONSUMERS).
std::string NoSuchGroup(std::string_view key, std::string_view group);
// XGROUP's error for a missing key (without MKSTREAM).
inline constexpr const char* kXgroupNeedsKey =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";

}  // namespace shoal::storage::stream
