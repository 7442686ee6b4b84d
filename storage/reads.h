// Read-only commands over the keyspace (Redis 7 semantics). Each takes the
// stripe locks it needs and writes its reply. Arguments arrive parsed and
// validated by the command layer. Reads treat expired keys as absent and
// report them with Keyspace::NoteExpired so the leader deletes them through
// the log (DESIGN.md §3).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/resp/writer.h"
#include "storage/keyspace.h"

namespace shoal::storage::reads {

enum class RangeUnit : uint8_t { kByte, kBit };
enum class TtlForm : uint8_t { kRelativeSec, kRelativeMs, kAbsoluteSec, kAbsoluteMs };

// The type of a live key, or nullopt if it does not exist (or on a storage
// error). For handlers that must decide between replies before proposing.
std::optional<ValueType> LiveType(Keyspace& ks, std::string_view key, int64_t now_ms);

void Get(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w);
void MGet(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w);
void StrLen(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w);
void GetRange(Keyspace& ks, std::string_view key, int64_t start, int64_t end, int64_t now_ms,
              resp::Writer& w);
void GetBit(Keyspace& ks, std::string_view key, uint64_t offset, int64_t now_ms, resp::Writer& w);
// range: nullopt for the whole string.
void BitCount(Keyspace& ks, std::string_view key, std::optional<std::pair<int64_t, int64_t>> range,
              RangeUnit unit, int64_t now_ms, resp::Writer& w);
void BitPos(Keyspace& ks, std::string_view key, int bit, std::optional<int64_t> start,
            std::optional<int64_t> end, RangeUnit unit, int64_t now_ms, resp::Writer& w);

void Exists(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w);
void Touch(Keyspace& ks, std::span<const std::string_view> keys, int64_t now_ms, resp::Writer& w);
void Type(Keyspace& ks, std::string_view key, int64_t now_ms, resp::Writer& w);
void Ttl(Keyspace& ks, std::string_view key, TtlForm form, int64_t now_ms, resp::Writer& w);

enum class ObjectField : uint8_t { kEncoding, kFreq, kIdleTime, kRefCount };
void Object(Keyspace& ks, ObjectField field, std::string_view key, int64_t now_ms, resp::Writer& w);

struct ScanArgs {
  uint64_t cursor = 0;
  std::optional<std::string_view> pattern;
  int64_t count = 10;
  std::optional<std::string_view> type;
};
// Cursor = the next hash slot to visit (0 when done): every key present for
// the whole scan is returned at least once (docs/adr/003-scan-cursor.md).
void Scan(Keyspace& ks, const ScanArgs& args, int64_t now_ms, resp::Writer& w);
void Keys(Keyspace& ks, std::string_view pattern, int64_t now_ms, resp::Writer& w);
// Live keys of one hash slot, at most `max` (CLUSTER GETKEYSINSLOT /
// COUNTKEYSINSLOT).
Result<std::vector<std::string>> KeysInSlot(Keyspace& ks, uint16_t slot, size_t max,
                                            int64_t now_ms);
void RandomKey(Keyspace& ks, uint64_t seed, int64_t now_ms, resp::Writer& w);

}  // namespace shoal::storage::reads
