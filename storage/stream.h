// Streams over the collection encoding (storage/coll.h, docs/storage-format.md
// "Streams"). A stream is a collection of type kStream: its metadata record
// holds the version and the entry count (CollMeta.count; unlike the other
// types a stream stays when it has no entries), and everything else is a
// sub-record of that version:
//
//   tag 'S'  ""                                   -> StreamState
//   tag 'e'  [id:16]                              -> EncodeFields(field, value, ...)
//   tag 'g'  [group]                              -> GroupState
//   tag 'c'  [grouplen:4][group][consumer]        -> ConsumerState
//   tag 'p'  [grouplen:4][group][id:16]           -> PendingEntry (group's PEL)
//   tag 'q'  [grouplen:4][group][consumerlen:4][consumer][id:16] -> "" (consumer's PEL)
//
// [id:16] is StreamId::Encode (ms then seq, 8 bytes big-endian each), so
// entries, PEL records and consumer PEL records iterate in ID order. Every
// write is deterministic: auto IDs come from env.now_ms (stamped by the
// proposer) and the stream's last ID, delivery times from env.now_ms.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::storage::stream {

// Sub-record tags (on disk: never change).
inline constexpr char kTagState = 'S';
inline constexpr char kTagEntry = 'e';
inline constexpr char kTagGroup = 'g';
inline constexpr char kTagConsumer = 'c';
inline constexpr char kTagPending = 'p';
inline constexpr char kTagConsumerPending = 'q';

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  auto operator<=>(const StreamId&) const = default;  // NOLINT(modernize-use-nullptr)
  bool IsZero() const { return ms == 0 && seq == 0; }
  static constexpr StreamId Max() { return {UINT64_MAX, UINT64_MAX}; }
  // "ms-seq"
  std::string ToString() const;
  // 16 bytes, big-endian ms then seq: byte order = ID order.
  std::string Encode() const;
  static StreamId Decode(std::string_view sixteen);
  // The next / previous ID; false at the ends (Max / 0-0).
  bool Incr();
  bool Decr();
};

// Redis's stream ID errors.
inline constexpr const char* kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";
inline constexpr const char* kIdTooSmall =
    "ERR The ID specified in XADD is equal or smaller than the target stream top item";
inline constexpr const char* kIdZero = "ERR The ID specified in XADD must be greater than 0-0";
inline constexpr const char* kIdExhausted =
    "ERR The stream has exhausted the last possible ID, unable to add more items";

// "ms-seq" or "ms" (seq = `missing_seq`). Also "-" (0-0) and "+" (max)
// when `allow_specials`. nullopt when malformed.
std::optional<StreamId> ParseId(std::string_view s, uint64_t missing_seq = 0,
                                bool allow_specials = false);
// A range bound of XRANGE/XPENDING...: "-", "+", "ms", "ms-seq", and an
// exclusive "(id". `start`: a missing seq is 0 (else max). Exclusive bounds
// are moved one ID inward; *empty is set when that is impossible (the range
// is then empty). nullopt when malformed (an error for the caller).
std::optional<StreamId> ParseRangeBound(std::string_view s, bool start, bool* empty);

// XADD's ID argument: "*", "ms-*", "ms-seq" or "ms".
struct AddIdSpec {
  bool auto_ms = false;   // "*"
  bool auto_seq = false;  // "ms-*"
  StreamId id;            // the explicit parts
};
std::optional<AddIdSpec> ParseAddId(std::string_view s);
// The ID XADD assigns given the stream's last ID and the proposer's clock;
// nullopt with *error set (kIdTooSmall, kIdZero, kIdExhausted).
std::optional<StreamId> NextAddId(const AddIdSpec& spec, StreamId last, int64_t now_ms,
                                  const char** error);

// The 'S' record.
struct StreamState {
  StreamId last_id;            // last ID ever added (or set by XSETID)
  StreamId max_deleted_id;     // largest ID deleted (XDEL, trimming)
  uint64_t entries_added = 0;  // entries ever added
};
std::string EncodeState(const StreamState& s);
std::optional<StreamState> DecodeState(std::string_view v);

// An entry's value: its field/value pairs, in order.
std::string EncodeFields(const std::vector<std::pair<std::string_view, std::string_view>>& fv);
// Views into `v`; false when corrupt.
bool DecodeFields(std::string_view v,
                  std::vector<std::pair<std::string_view, std::string_view>>* fv);

// The 'g' record.
struct GroupState {
  StreamId last_delivered;
  int64_t entries_read = -1;  // -1: unknown (Redis's "entries-read" nil)
  uint64_t pending = 0;       // PEL size
};
std::string EncodeGroup(const GroupState& g);
std::optional<GroupState> DecodeGroup(std::string_view v);

// The 'c' record.
struct ConsumerState {
  int64_t seen_ms = 0;     // last attempted interaction
  int64_t active_ms = -1;  // last successful interaction (-1: never)
  uint64_t pending = 0;    // entries in its PEL
};
std::string EncodeConsumer(const ConsumerState& c);
std::optional<ConsumerState> DecodeConsumer(std::string_view v);

// The 'p' record.
struct PendingEntry {
  int64_t delivery_ms = 0;
  uint64_t delivery_count = 0;
  std::string consumer;
};
std::string EncodePending(const PendingEntry& p);
std::optional<PendingEntry> DecodePending(std::string_view v);

// The `rest` parts (after the tag) of 'c', 'p' and 'q' sub-keys, and the
// prefixes to iterate a group's or a consumer's records.
std::string GroupPart(std::string_view group);  // [grouplen:4][group]
std::string ConsumerRest(std::string_view group, std::string_view consumer);
std::string PendingRest(std::string_view group, StreamId id);
std::string ConsumerPendingPrefix(std::string_view group, std::string_view consumer);
std::string ConsumerPendingRest(std::string_view group, std::string_view consumer, StreamId id);

}  // namespace shoal::storage::stream
