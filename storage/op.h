// The replicated operation: what a write command becomes before it is
// proposed (DESIGN.md §4). Everything that could differ between replicas is
// fixed by the proposer: absolute expiry times, the proposer's clock (now_ms,
// used for every expiry decision during apply), random seeds. Applying the
// same Op to the same state gives the same state and reply on every node.
//
// Wire format (docs/storage-format.md, "Operation"):
//   [version:1][code:1][flags:varint][now_ms:varint][num:zigzag varint]
//   [argc:varint]([len:varint][bytes])*
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace shoal::storage {

// On the log: never change the numbers.
enum class OpCode : uint8_t {
  kSet = 1,           // args: key value; num: expire_at (0 none); flags: SetFlag
  kMSet = 2,          // args: k1 v1 k2 v2 ...
  kMSetNx = 3,        // args: k1 v1 ...
  kIncrBy = 4,        // args: key; num: delta
  kIncrByFloat = 5,   // args: key increment
  kAppend = 6,        // args: key value
  kSetRange = 7,      // args: key value; num: offset
  kSetBit = 8,        // args: key; num: bit offset; flags: bit value
  kGetDel = 9,        // args: key
  kGetEx = 10,        // args: key; num: expire_at; flags: GetExFlag
  kDel = 11,          // args: keys
  kExpire = 12,       // args: key; num: expire_at; flags: ExpireFlag
  kPersist = 13,      // args: key
  kRename = 14,       // args: src dst; flags: kRenameNx
  kCopy = 15,         // args: src dst; flags: kCopyReplace
  kFlushAll = 16,     // no args
  kExpireIfDue = 17,  // args: key — deletes it if expired at now_ms
  kCommand = 18,      // args: a collection command's argv (storage/coll.h); num: seed
  kExec = 19,         // MULTI/EXEC: flags: W watched keys; args: (key, digest:8)*W, then one
                      // length-prefixed argv per queued command; num: seed
};
inline constexpr OpCode kLastOpCode = OpCode::kExec;

namespace op_flags {
// kSet
inline constexpr uint32_t kNx = 1;
inline constexpr uint32_t kXx = 2;
inline constexpr uint32_t kGet = 4;
inline constexpr uint32_t kKeepTtl = 8;
inline constexpr uint32_t kReplyInt = 16;  // SETNX's reply: :1 / :0
// kGetEx
inline constexpr uint32_t kPersist = 1;
inline constexpr uint32_t kSetExpire = 2;
// kExpire
inline constexpr uint32_t kExpNx = 1;
inline constexpr uint32_t kExpXx = 2;
inline constexpr uint32_t kExpGt = 4;
inline constexpr uint32_t kExpLt = 8;
// kRename / kCopy
inline constexpr uint32_t kRenameNx = 1;
inline constexpr uint32_t kCopyReplace = 1;
// kDel
inline constexpr uint32_t kDelReplyOk = 0;
// kCommand: a blocking command's attempt; when it finds nothing to pop the
// reply is kWouldBlockReply (the proposer then blocks the client).
inline constexpr uint32_t kMayBlock = 1;
// kCommand with kMayBlock: a retry of a blocked client (XREADGROUP then
// reports a key or group that went away).
inline constexpr uint32_t kRetry = 2;
}  // namespace op_flags

// Never sent to a client: the proposing node turns it into waiting. XREAD
// appends the IDs it resolved ("-SHOAL_WOULDBLOCK <id> <id>...\r\n").
inline constexpr std::string_view kWouldBlockReply = "-SHOAL_WOULDBLOCK\r\n";
inline bool IsWouldBlock(std::string_view reply) {
  return reply.starts_with(kWouldBlockReply.substr(0, kWouldBlockReply.size() - 2));
}
// The IDs a would-block reply carries ("" when none).
inline std::string_view WouldBlockIds(std::string_view reply) {
  size_t head = kWouldBlockReply.size() - 2;
  if (reply.size() <= head + 3) return {};
  return reply.substr(head + 1, reply.size() - head - 3);
}

inline constexpr uint8_t kOpFormatV1 = 1;

struct Op {
  OpCode code = OpCode::kSet;
  uint32_t flags = 0;
  int64_t now_ms = 0;
  int64_t num = 0;
  // Views: into the client's request while proposing locally, into the
  // decoded log entry when applying a replicated one.
  std::vector<std::string_view> args;
};

std::string EncodeOp(const Op& op);
// One command's argv as a single argument ([count:varint]([len:varint][bytes])*)
// for kExec, and back (views into `data`; nullopt when malformed).
std::string EncodeArgv(std::span<const std::string_view> argv);
std::optional<std::vector<std::string_view>> DecodeArgv(std::string_view data);
// Decodes an entry; the returned Op's args point into `data`.
Result<Op> DecodeOp(std::string_view data);

}  // namespace shoal::storage
