// Collections (hash, list, set, sorted set) over the metadata + versioned
// sub-key encoding (DESIGN.md §3, docs/storage-format.md "Collections").
//
// A collection's metadata record (CF meta) holds its version, member count
// and a write counter; its members live in CF sub under
// [slot:2][keylen:4][key][version:8][tag:1][rest]. Deleting or overwriting
// the key drops the metadata only: the old version's sub-records are
// unreachable at once and a compaction filter removes them later, so DEL of
// a million members is O(1).
//
// Collection commands run in an Env, both when a replicated write is
// applied (Env::write) and when a read is served. Writes must be
// deterministic: they may use env.now_ms and env.seed, never a clock or a
// random source of their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/resp/writer.h"
#include "storage/errors.h"
#include "storage/format.h"
#include "storage/keyspace.h"

namespace shoal::storage::coll {

using Argv = std::span<const std::string_view>;

// Sub-record tags. On disk: never change.
inline constexpr char kTagMember =
    'm';  // hash field -> value; set member -> ""; zset member -> score
inline constexpr char kTagScore = 's';  // zset: [score:8 sortable][member] -> ""
inline constexpr char kTagElem = 'l';   // list: [position:8 BE] -> element

// What a command runs with.
struct Env {
  Keyspace& ks;
  int64_t now_ms;
  uint64_t seed;  // deterministic randomness for this command
  resp::Writer& out;
  bool write;  // applying a replicated write: may change data
  bool changed = false;
  // Keys of lists and sorted sets that a write left non-empty (blocked
  // clients waiting on them may be served). Null when nobody listens.
  std::vector<std::string>* ready = nullptr;
  // Set by a blocking command (BLPOP...) that found nothing to pop: it
  // replied a null and changed nothing; the server blocks the client.
  bool would_block = false;
  // With would_block, XREAD's IDs as resolved now ("$" -> the stream's
  // last ID), space-separated, one per stream: the server retries with them.
  std::string block_ids = {};
  // A blocked client's retry (not its first attempt).
  bool retry = false;

  // Replies with a storage error and returns true if `s` failed.
  bool Failed(const Status& s);
  // Commits `txn` (marks the command as a change); false after replying an
  // error on failure.
  bool Commit(WriteTxn& txn);
  void NoteReady(std::string_view key) {
    if (ready) ready->emplace_back(key);
  }
};

// A key opened by a collection command. The caller holds its stripe lock
// (Keyspace::LockKey / LockKeys) from Open until after Commit. Do not move
// or copy a Handle after Open: `rec` may view into its own `scratch`.
struct Handle {
  KeyRef ref{};
  std::optional<Record> rec;  // the physical record (possibly expired), for WriteTxn
  std::string scratch;
  bool live = false;  // exists, not expired, and of the wanted type
  ValueType type = ValueType::kString;
  CollMeta meta;  // valid when live; for a new collection after Create
  int64_t expire_at_ms = 0;
};

enum class OpenResult : uint8_t { kOk, kError };
// Loads `key` for a command on `type`. h->live is false when the key does
// not exist (or has expired). A key of another type replies WRONGTYPE and
// returns false; so does a storage error (replied too).
bool Open(Env& env, std::string_view key, ValueType type, Handle* h);
// Loads any type (TYPE-agnostic commands: RENAME, COPY...). h->live set.
bool OpenAny(Env& env, std::string_view key, Handle* h);

// Makes `h` a new empty collection (fresh version, count 0, no expiry),
// keeping h->rec so the commit replaces what was there.
void Create(Env& env, Handle* h, ValueType type);

// The sub-record key of `h` with `tag` and `rest`.
std::string SubKey(const Handle& h, char tag, std::string_view rest);
// The prefix shared by every sub-record of `h` with `tag`.
std::string SubPrefix(const Handle& h, char tag);
// The first key after every key starting with `prefix`.
std::string PrefixEnd(std::string_view prefix);

// Point read of a sub-record, pending writes included. nullopt if absent;
// false after replying on a storage error.
bool GetSub(Env& env, std::string_view subkey, std::optional<std::string>* value);

// Iterates sub-records in [lo, hi) (pending writes included), forward or
// reverse. Keys and values are views valid until the next move.
class Cursor {
 public:
  Cursor(Env& env, std::string lo, std::string hi, bool reverse);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  bool Valid() const;
  std::string_view key() const;
  std::string_view value() const;
  // The part of the key after `prefix_len` bytes (e.g. the member).
  std::string_view suffix(size_t prefix_len) const { return key().substr(prefix_len); }
  void Next();
  // Forward: first key >= target; reverse: last key <= target.
  void Seek(std::string_view target);
  // False (after replying) when the underlying iterator failed.
  bool Ok(Env& env);

 private:
  std::unique_ptr<Keyspace::SubIterator> it_;
};

// Writes h's metadata (count as set by the caller, write counter bumped)
// into `txn`, or deletes the key when h->meta.count == 0. Sub-record changes
// go into the same txn with txn.PutSub / txn.DeleteSub.
void SaveMeta(Env& env, WriteTxn& txn, Handle* h);

// Copies every sub-record of `src` to `dst` (a fresh version) in `txn`:
// RENAME and COPY of collections. False after replying on failure.
bool CopySubs(Env& env, const Handle& src, uint64_t dst_version, const KeyRef& dst, WriteTxn& txn);

// ---- argument helpers (reply the Redis error and return nullopt) ----
std::optional<int64_t> Int(Env& env, std::string_view s);
// Doubles as Redis parses them ("inf", "-inf", "+inf" allowed; NaN not).
std::optional<double> Double(Env& env, std::string_view s, const char* error = errors::kNotFloat);
bool Is(std::string_view arg, std::string_view word);  // case-insensitive
// Redis's double formatting for replies (17 significant digits, "inf").
std::string FormatDouble(double d);
// A score reply: a double in RESP3, a bulk string in RESP2.
void ReplyScore(Env& env, double d);

// Sortable 8-byte encoding of a double (byte order = numeric order).
std::string EncodeScore(double d);
double DecodeScore(std::string_view eight);
// Raw 8-byte double (zset member -> score values).
std::string DoubleBytes(double d);
double BytesDouble(std::string_view eight);
// 8-byte big-endian unsigned.
std::string U64Bytes(uint64_t v);
uint64_t BytesU64(std::string_view eight);

// Deterministic pseudo-random stream from env.seed (SPOP, SRANDMEMBER...).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next();
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }

 private:
  uint64_t s_;
};

// ---- the command registry ----
using CmdFn = void (*)(Env& env, Argv argv);
struct CmdImpl {
  std::string_view name;  // lower case, as in the command table
  CmdFn fn;
};
// Per family, defined in cmd_<family>.cc.
std::span<const CmdImpl> HashImpls();
std::span<const CmdImpl> ListImpls();
std::span<const CmdImpl> SetImpls();
std::span<const CmdImpl> ZsetImpls();
std::span<const CmdImpl> StreamImpls();       // cmd_stream.cc
std::span<const CmdImpl> StreamGroupImpls();  // cmd_stream_group.cc
// Lookup by lower-case name; nullptr if unknown.
const CmdImpl* FindImpl(std::string_view name);

}  // namespace shoal::storage::coll
