// Argument parsing shared by command handlers. Each helper replies with the
// Redis error itself on failure, so handlers read as straight-line code:
//   auto n = IntArg(ctx, args[2]); if (!n) return;
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "server/connection.h"

namespace shoal::server {

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

// A KeysFn for "<cmd> [fixed keys...] numkeys key [key ...] ...": keys at
// 1..`fixed`, then `numkeys` (at index fixed+1) keys after it.
template <size_t Fixed>
std::vector<size_t> NumKeysAfter(Args args);

// "ERR syntax error".
void SyntaxError(CommandContext& ctx);

bool Is(std::string_view arg, std::string_view word);

// A HELP subcommand's reply: one simple string per line.
void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines);

template <size_t Fixed>
std::vector<size_t> NumKeysAfter(Args args) {
  std::vector<size_t> out;
  for (size_t i = 1; i <= Fixed && i < args.size(); ++i) out.push_back(i);
  if (args.size() <= Fixed + 1) return out;
  int64_t n = 0;
  for (char c : args[Fixed + 1]) {
    if (c < '0' || c > '9' || n > 1000000) return out;
    n = n * 10 + (c - '0');
  }
  for (size_t i = Fixed + 2; i < args.size() && static_cast<int64_t>(i - Fixed - 2) < n; ++i) {
    out.push_back(i);
  }
  return out;
}

}  // namespace shoal::server
