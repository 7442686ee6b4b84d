#include "cluster/wire.h"

#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "core/check.h"
#include "core/coding.h"
#include "core/hash.h"

namespace shoal::cluster {
namespace {

// Frame header offsets.
constexpr size_t kLengthOffset = 1;
constexpr size_t kChecksumOffset = 5;

// Smallest encodings, used to reject counts that the remaining bytes could
// never hold before reserving memory for them.
constexpr size_t kMinEnvelopeBytes = 14;  // group, 12 one-byte fields, no snapshot
constexpr size_t kMinEntryBytes = 4;      // term, index, type, data length
constexpr size_t kMinMemberBytes = 1;     // one varint

constexpr auto kLastMessageType = raft::MessageType::kCheckQuorum;
constexpr auto kLastEntryType = raft::EntryType::kConfChange;

void PutFixed32LE(std::string* dst, uint32_t v) {
  char b[4];
  for (char& c : b) {
    c = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  dst->append(b, 4);
}

uint32_t DecodeFixed32LE(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint32_t Checksum(std::string_view payload) {
  return static_cast<uint32_t>(Hash64(payload) & 0xffffffffU);
}

void PutIds(std::string* dst, const std::vector<raft::NodeId>& ids) {
  PutVarint64(dst, ids.size());
  for (raft::NodeId id : ids) PutVarint64(dst, id);
}

void PutMessage(std::string* dst, const raft::Message& m) {
  dst->push_back(static_cast<char>(m.type));
  PutVarint64(dst, m.to);
  PutVarint64(dst, m.from);
  PutVarint64(dst, m.term);
  PutVarint64(dst, m.log_term);
  PutVarint64(dst, m.index);
  PutVarint64(dst, m.commit);
  dst->push_back(m.reject ? 1 : 0);
  PutVarint64(dst, m.reject_hint);
  PutVarint64(dst, m.hint_term);
  PutLengthPrefixed(dst, m.context);
  PutVarint64(dst, m.entries.size());
  for (const raft::Entry& e : m.entries) {
    PutVarint64(dst, e.term);
    PutVarint64(dst, e.index);
    dst->push_back(static_cast<char>(e.type));
    PutLengthPrefixed(dst, e.data);
  }
  if (m.snapshot == nullptr) {
    dst->push_back(0);
    return;
  }
  dst->push_back(1);
  const raft::Snapshot& s = *m.snapshot;
  PutVarint64(dst, s.meta.index);
  PutVarint64(dst, s.meta.term);
  PutIds(dst, s.meta.conf.voters);
  PutIds(dst, s.meta.conf.learners);
  PutLengthPrefixed(dst, s.data);
}

// Reads the payload front to back; every getter returns false (and leaves
// `error` set) on truncated or out-of-range input.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool done() const { return in_.empty(); }
  size_t left() const { return in_.size(); }
  const char* error() const { return error_; }

  bool Varint(uint64_t* v, const char* what) {
    auto r = GetVarint64(&in_);
    if (!r) return Fail(what);
    *v = *r;
    return true;
  }
  bool Byte(uint8_t* v, uint8_t max, const char* what) {
    if (in_.empty() || static_cast<uint8_t>(in_[0]) > max) return Fail(what);
    *v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Bytes(std::string* v, const char* what) {
    auto r = GetLengthPrefixed(&in_);
    if (!r) return Fail(what);
    v->assign(*r);
    return true;
  }
  // A count bounded by `max` and by what `min_bytes` per item could fit.
  bool Count(uint64_t* n, uint64_t max, size_t min_bytes, const char* what) {
    if (!Varint(n, what)) return false;
    if (*n > max || *n > in_.size() / min_bytes) return Fail(what);
    return true;
  }
  bool Fail(const char* what) {
    error_ = what;
    return false;
  }

 private:
  std::string_view in_;
  const char* error_ = "";
};

bool GetIds(Reader* r, std::vector<raft::NodeId>* ids, const char* what) {
  uint64_t n = 0;
  if (!r->Count(&n, kMaxConfMembers, kMinMemberBytes, what)) return false;
  ids->resize(n);
  for (raft::NodeId& id : *ids) {
    if (!r->Varint(&id, what)) return false;
  }
  return true;
}

bool GetMessage(Reader* r, raft::Message* m) {
  uint8_t type = 0;
  if (!r->Byte(&type, static_cast<uint8_t>(kLastMessageType), "unknown message type")) {
    return false;
  }
  m->type = static_cast<raft::MessageType>(type);
  // Local messages (kHup, kBeat, ...) drive a node's own Raft; one arriving
  // from the network would let a peer trigger elections or heartbeats.
  if (m->IsLocal()) return r->Fail("local message type on the wire");
  uint8_t reject = 0;
  if (!r->Varint(&m->to, "truncated message") || !r->Varint(&m->from, "truncated message") ||
      !r->Varint(&m->term, "truncated message") || !r->Varint(&m->log_term, "truncated message") ||
      !r->Varint(&m->index, "truncated message") || !r->Varint(&m->commit, "truncated message") ||
      !r->Byte(&reject, 1, "bad reject flag") || !r->Varint(&m->reject_hint, "truncated message") ||
      !r->Varint(&m->hint_term, "truncated message") ||
      !r->Bytes(&m->context, "truncated context")) {
    return false;
  }
  m->reject = reject != 0;
  uint64_t n = 0;
  if (!r->Count(&n, kMaxEntriesPerMessage, kMinEntryBytes, "bad entry count")) return false;
  m->entries.resize(n);
  for (raft::Entry& e : m->entries) {
    uint8_t etype = 0;
    if (!r->Varint(&e.term, "truncated entry") || !r->Varint(&e.index, "truncated entry") ||
        !r->Byte(&etype, static_cast<uint8_t>(kLastEntryType), "unknown entry type") ||
        !r->Bytes(&e.data, "truncated entry data")) {
      return false;
    }
    e.type = static_cast<raft::EntryType>(etype);
  }
  uint8_t has_snapshot = 0;
  if (!r->Byte(&has_snapshot, 1, "bad snapshot flag")) return false;
  if (has_snapshot == 0) return true;
  auto s = std::make_shared<raft::Snapshot>();
  if (!r->Varint(&s->meta.index, "truncated snapshot") ||
      !r->Varint(&s->meta.term, "truncated snapshot") ||
      !GetIds(r, &s->meta.conf.voters, "bad snapshot voters") ||
      !GetIds(r, &s->meta.conf.learners, "bad snapshot learners") ||
      !r->Bytes(&s->data, "truncated snapshot data")) {
    return false;
  }
  m->snapshot = std::move(s);
  return true;
}

bool DecodePayload(std::string_view payload, DecodedFrame* out, std::string* error) {
  Reader r(payload);
  uint64_t n = 0;
  if (!r.Varint(&out->sender, "truncated sender") ||
      !r.Count(&n, kMaxEnvelopesPerFrame, kMinEnvelopeBytes, "bad envelope count")) {
    *error = r.error();
    return false;
  }
  out->envelopes.clear();
  out->envelopes.resize(n);
  for (Envelope& env : out->envelopes) {
    uint64_t group = 0;
    bool ok = r.Varint(&group, "truncated group") &&
              (group <= std::numeric_limits<uint32_t>::max() || r.Fail("group id over 32 bits")) &&
              GetMessage(&r, &env.msg);
    if (!ok) {
      *error = r.error();
      return false;
    }
    env.group = static_cast<uint32_t>(group);
  }
  if (!r.done()) {
    *error = "trailing bytes after the last envelope";
    return false;
  }
  return true;
}

}  // namespace

void EncodeFrame(uint64_t sender, std::span<const Envelope> envs, std::string* out) {
  size_t start = out->size();
  // Header first with placeholders, payload straight after it, then the
  // header is patched: the payload is never copied.
  out->append(kFrameHeaderBytes, '\0');
  PutVarint64(out, sender);
  PutVarint64(out, envs.size());
  for (const Envelope& env : envs) {
    CHECK(!env.msg.IsLocal());
    PutVarint64(out, env.group);
    PutMessage(out, env.msg);
  }
  size_t payload_len = out->size() - start - kFrameHeaderBytes;
  CHECK(payload_len <= std::numeric_limits<uint32_t>::max());
  std::string_view payload(out->data() + start + kFrameHeaderBytes, payload_len);
  std::string header;
  header.push_back(static_cast<char>(kWireVersion));
  PutFixed32LE(&header, static_cast<uint32_t>(payload_len));
  PutFixed32LE(&header, Checksum(payload));
  out->replace(start, kFrameHeaderBytes, header);
}

DecodeOutcome DecodeFrame(std::string_view buf, size_t* consumed, DecodedFrame* out,
                          std::string* error) {
  if (buf.empty()) return DecodeOutcome::kNeedMore;
  if (static_cast<uint8_t>(buf[0]) != kWireVersion) {
    *error = "unknown frame version " + std::to_string(static_cast<uint8_t>(buf[0]));
    return DecodeOutcome::kCorrupt;
  }
  if (buf.size() < kChecksumOffset) return DecodeOutcome::kNeedMore;
  uint32_t payload_len = DecodeFixed32LE(buf.data() + kLengthOffset);
  if (payload_len > kMaxFrameBytes - kFrameHeaderBytes) {
    *error = "frame payload of " + std::to_string(payload_len) + " bytes over the limit";
    return DecodeOutcome::kCorrupt;
  }
  size_t frame_len = kFrameHeaderBytes + payload_len;
  if (buf.size() < frame_len) return DecodeOutcome::kNeedMore;
  std::string_view payload = buf.substr(kFrameHeaderBytes, payload_len);
  if (Checksum(payload) != DecodeFixed32LE(buf.data() + kChecksumOffset)) {
    *error = "frame checksum mismatch";
    return DecodeOutcome::kCorrupt;
  }
  if (!DecodePayload(payload, out, error)) return DecodeOutcome::kCorrupt;
  *consumed = frame_len;
  return DecodeOutcome::kOk;
}

}  // namespace shoal::cluster
