// Argument parsing shared by command handlers, and pieces the command tables
// share. Each parsing helper replies with the Redis error itself on failure,
// so handlers read as straight-line code:
//   auto n = IntArg(ctx, args[2]); if (!n) return;
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "server/command.h"
#include "server/connection.h"

namespace shoal::server {

// Flag sets shared by the command tables.
inline constexpr uint32_t kReadFast = kReadOnly | kFast;
inline constexpr uint32_t kWriteFast = kWrite | kFast;
inline constexpr uint32_t kWriteDenyOom = kWrite | kDenyOom;
inline constexpr uint32_t kWriteDenyOomFast = kWrite | kDenyOom | kFast;
inline constexpr uint32_t kBlockingWrite = kWrite | kNoScript | kBlocking;

// Complexities shared by commands of several families.
inline constexpr std::string_view kScanCost =
    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.";
inline constexpr std::string_view kEachAddedCost =
    "O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.";

// Strict int64; replies "ERR value is not an integer or out of range".
std::optional<int64_t> IntArg(CommandContext& ctx, std::string_view s);

enum class TimeUnit { kSeconds, kMillis };
// Turns an expiry argument into absolute Unix ms. `absolute`: the argument
// is a timestamp (EXAT/PXAT) rather than a duration (EX/PX). Non-positive
// values and overflows reply "ERR invalid expire time in '<cmd>' command"
// when `positive_only`; otherwise only overflow is an error (EXPIRE accepts
// negatives, meaning "already expired").
std::optional<int64_t> ExpireArg(CommandContext& ctx, std::string_view s, TimeUnit unit,
                                 bool absolute, bool positive_only);

// ExpireArg without the reply: the error text goes to *error instead.
std::optional<int64_t> ParseExpire(std::string_view s, TimeUnit unit, bool absolute,
                                   bool positive_only, int64_t now_ms, std::string_view cmd,
                                   std::string* error);

// The handler of every command implemented in storage/coll.h's registry
// (hashes, lists, sets, sorted sets): a write is proposed as one
// OpCode::kCommand op carrying the arguments and a random seed, and runs
// when applied; a read runs at once. The implementation is found by the
// command's name.
void StorageCmd(CommandContext& ctx, Args args);

// A KeysFn for "<cmd> [fixed keys...] [skipped...] numkeys key [key ...] ...":
// keys at 1..`Fixed`, then `Skipped` arguments that are not keys (BLMPOP's
// timeout), then `numkeys` (at index Fixed+Skipped+1) keys after it.
template <size_t Fixed, size_t Skipped = 0>
std::vector<size_t> NumKeysAfter(Args args);

// "ERR syntax error".
void SyntaxError(CommandContext& ctx);

bool Is(std::string_view arg, std::string_view word);

// A HELP subcommand's reply: one simple string per line.
void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines);

template <size_t Fixed, size_t Skipped>
std::vector<size_t> NumKeysAfter(Args args) {
  constexpr size_t kNumKeysAt = Fixed + Skipped + 1;
  std::vector<size_t> out;
  for (size_t i = 1; i <= Fixed && i < args.size(); ++i) out.push_back(i);
  if (args.size() <= kNumKeysAt) return out;
  int64_t n = 0;
  for (char c : args[kNumKeysAt]) {
    if (c < '0' || c > '9' || n > 1000000) return out;
    n = n * 10 + (c - '0');
  }
  for (size_t i = kNumKeysAt + 1; i < args.size() && static_cast<int64_t>(i - kNumKeysAt - 1) < n;
       ++i) {
    out.push_back(i);
  }
  return out;
}

}  // namespace shoal::server
