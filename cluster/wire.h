// The node-to-node bus frame (docs/cluster-bus.md): Raft messages of many
// groups, from one sender, in one length-prefixed, checksummed frame.
//
//   frame   = version:1 (= kWireVersion) | payload_len:4 LE | checksum:4 LE | payload
//   payload = sender:varint | count:varint | count x (group:varint | message)
//
// checksum is the low 32 bits of Hash64(payload) (xxh3-64, seed 0). The
// message encoding is in docs/cluster-bus.md. Pure functions: no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/raft/types.h"

namespace shoal::cluster {

// One Raft message and the group (shard) it belongs to.
struct Envelope {
  uint32_t group = 0;
  raft::Message msg;
};

// Frozen: a new encoding gets a new version; a reader rejects versions it
// does not know.
inline constexpr uint8_t kWireVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 9;

// Largest frame (header included) a reader accepts. Bounds the receive
// buffer; a snapshot larger than this cannot cross the bus in one message.
inline constexpr size_t kMaxFrameBytes = size_t{1} << 30;
// Sanity bounds on counts inside a payload, checked before anything is
// allocated for them (a count is also never larger than the bytes left).
inline constexpr uint64_t kMaxEnvelopesPerFrame = uint64_t{1} << 20;
inline constexpr uint64_t kMaxEntriesPerMessage = uint64_t{1} << 20;
inline constexpr uint64_t kMaxConfMembers = uint64_t{1} << 16;  // voters or learners

// Appends one frame carrying all `envs` to *out (an empty span gives a frame
// with count 0). Messages must not be local (raft::Message::IsLocal: kHup,
// kBeat, ...): sending one is a programmer error (CHECK), as is a payload
// over 4 GiB. A frame may come out larger than kMaxFrameBytes (a huge
// snapshot); readers reject it, so senders check the size and drop it.
void EncodeFrame(uint64_t sender, std::span<const Envelope> envs, std::string* out);

enum class DecodeOutcome { kNeedMore, kOk, kCorrupt };

struct DecodedFrame {
  uint64_t sender = 0;
  std::vector<Envelope> envelopes;
};

// Decodes the frame at the start of `buf`.
// - kNeedMore: `buf` holds a valid prefix of a frame; read more and retry.
//   Nothing else is set.
// - kOk: *out holds the frame and *consumed its size in bytes (the next
//   frame starts at buf[*consumed]).
// - kCorrupt: *error says why (bad version, length over kMaxFrameBytes,
//   checksum mismatch, truncated or malformed payload, local or unknown
//   message type). The stream cannot be resynchronised: drop the connection.
// A bad version or length is reported as soon as the first 5 bytes are in.
DecodeOutcome DecodeFrame(std::string_view buf, size_t* consumed, DecodedFrame* out,
                          std::string* error);

}  // namespace shoal::cluster
