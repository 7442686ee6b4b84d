// Pieces the stream command files share (storage/cmd_stream.cc,
// storage/cmd_stream_group.cc): opening a stream, its state record,
// entries, groups. Record layouts: storage/stream.h.
#pragma once

#include <optional>
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

// Opens `key` as a stream: false after replying WRONGTYPE or a storage
// error. h->live is false when the key does not exist (or expired).
bool OpenStream(Env& env, std::string_view key, Handle* h);
// A new empty stream in `h` (coll::Create + a zero state).
void CreateStream(Env& env, Handle* h, StreamState* st);
// The 'S' record of a live stream; false after replying on failure.
bool LoadState(Env& env, const Handle& h, StreamState* st);
void PutState(WriteTxn& txn, const Handle& h, const StreamState& st);

std::string EntryKey(const Handle& h, StreamId id);
// Entries with IDs in [lo, hi], in order (reverse: from hi down), at most
// `count` of them (0: all). Values are the encoded field lists. False after
// replying on a storage error.
using Entries = std::vector<std::pair<StreamId, std::string>>;
bool RangeEntries(Env& env, const Handle& h, StreamId lo, StreamId hi, bool reverse, uint64_t count,
                  Entries* out);
// The first / last entry's ID; nullopt when the stream has no entries.
bool FirstEntryId(Env& env, const Handle& h, std::optional<StreamId>* id);
bool LastEntryId(Env& env, const Handle& h, std::optional<StreamId>* id);
// One entry as Redis replies it: [id, [field, value, ...]]. A deleted
// entry (empty value view with `deleted`) is [id, nil] (XCLAIM/XAUTOCLAIM).
void ReplyEntry(Env& env, StreamId id, std::string_view value);
void ReplyEntries(Env& env, const Entries& entries);

// A consumer group's record; *g is nullopt when the group does not exist.
bool LoadGroup(Env& env, const Handle& h, std::string_view group, std::optional<GroupState>* g);
void PutGroup(WriteTxn& txn, const Handle& h, std::string_view group, const GroupState& g);
bool LoadConsumer(Env& env, const Handle& h, std::string_view group, std::string_view consumer,
                  std::optional<ConsumerState>* c);
void PutConsumer(WriteTxn& txn, const Handle& h, std::string_view group, std::string_view consumer,
                 const ConsumerState& c);

// "NOGROUP No such key '<key>' or consumer group '<group>' in <CMD> command" and the like are
// built by the callers; this is the shared XGROUP text for a missing key.
inline constexpr const char* kXgroupNeedsKey =
    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to "
    "use the MKSTREAM option to create an empty stream automatically.";

}  // namespace shoal::storage::stream
