// The bus frame codec: round trips, checksum and length checks, truncation,
// malformed payloads and random garbage.
#include "cluster/wire.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/coding.h"
#include "core/hash.h"

namespace shoal::cluster {
namespace {

using raft::MessageType;

raft::Message FullMessage(MessageType type, uint64_t seed) {
  raft::Message m;
  m.type = type;
  m.to = 2 + seed;
  m.from = 3 + seed;
  m.term = 300 + seed;
  m.log_term = 299;
  m.index = 123456789012ULL;
  m.commit = 1ULL << 40;
  m.reject = seed % 2 == 1;
  m.reject_hint = 77;
  m.hint_term = std::numeric_limits<uint64_t>::max();
  m.context = std::string("ctx\0with nul", 12);
  m.entries.push_back({5, 10, raft::EntryType::kNormal, "set k v"});
  m.entries.push_back({5, 11, raft::EntryType::kConfChange, std::string(300, 'x')});
  m.entries.push_back({6, 12, raft::EntryType::kNormal, ""});
  auto snap = std::make_shared<raft::Snapshot>();
  snap->meta.index = 9;
  snap->meta.term = 4;
  snap->meta.conf.voters = {1, 2, 3};
  snap->meta.conf.learners = {4};
  snap->data = std::string(1000, '\xab');
  m.snapshot = snap;
  return m;
}

void ExpectSameMessage(const raft::Message& a, const raft::Message& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.from, b.from);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.log_term, b.log_term);
  EXPECT_EQ(a.index, b.index);
  EXPECT_EQ(a.commit, b.commit);
  EXPECT_EQ(a.reject, b.reject);
  EXPECT_EQ(a.reject_hint, b.reject_hint);
  EXPECT_EQ(a.hint_term, b.hint_term);
  EXPECT_EQ(a.context, b.context);
  EXPECT_EQ(a.entries, b.entries);
  ASSERT_EQ(a.snapshot == nullptr, b.snapshot == nullptr);
  if (a.snapshot != nullptr) {
    EXPECT_EQ(a.snapshot->meta, b.snapshot->meta);
    EXPECT_EQ(a.snapshot->data, b.snapshot->data);
  }
}

std::string Encode(uint64_t sender, const std::vector<Envelope>& envs) {
  std::string out;
  EncodeFrame(sender, envs, &out);
  return out;
}

DecodeOutcome Decode(std::string_view buf, DecodedFrame* out, size_t* consumed = nullptr,
                     std::string* error = nullptr) {
  size_t c = 0;
  std::string e;
  DecodeOutcome r = DecodeFrame(buf, consumed ? consumed : &c, out, error ? error : &e);
  return r;
}

// A frame around an arbitrary payload, with a correct header and checksum.
std::string FrameOf(std::string_view payload) {
  std::string out(1, static_cast<char>(kWireVersion));
  uint32_t len = static_cast<uint32_t>(payload.size());
  auto sum = static_cast<uint32_t>(Hash64(payload));
  for (uint32_t v : {len, sum}) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  out.append(payload);
  return out;
}

std::vector<MessageType> NetworkTypes() {
  std::vector<MessageType> out;
  for (int t = 0; t <= static_cast<int>(MessageType::kCheckQuorum); ++t) {
    raft::Message m;
    m.type = static_cast<MessageType>(t);
    if (!m.IsLocal()) out.push_back(m.type);
  }
  return out;
}

TEST(WireFrame, RoundTripsEveryNetworkMessageTypeWithEveryField) {
  for (MessageType type : NetworkTypes()) {
    SCOPED_TRACE(raft::MessageTypeName(type));
    std::vector<Envelope> envs = {{7, FullMessage(type, 1)}};
    std::string frame = Encode(42, envs);
    DecodedFrame got;
    size_t consumed = 0;
    std::string error;
    ASSERT_EQ(Decode(frame, &got, &consumed, &error), DecodeOutcome::kOk) << error;
    EXPECT_EQ(consumed, frame.size());
    EXPECT_EQ(got.sender, 42U);
    ASSERT_EQ(got.envelopes.size(), 1U);
    EXPECT_EQ(got.envelopes[0].group, 7U);
    ExpectSameMessage(got.envelopes[0].msg, envs[0].msg);
  }
}

TEST(WireFrame, RoundTripsDefaultMessagesWithoutEntriesOrSnapshot) {
  std::vector<Envelope> envs;
  for (MessageType type : NetworkTypes()) {
    Envelope env;
    env.msg.type = type;
    envs.push_back(env);
  }
  DecodedFrame got;
  ASSERT_EQ(Decode(Encode(0, envs), &got), DecodeOutcome::kOk);
  ASSERT_EQ(got.envelopes.size(), envs.size());
  for (size_t i = 0; i < envs.size(); ++i) ExpectSameMessage(got.envelopes[i].msg, envs[i].msg);
}

TEST(WireFrame, BatchesManyGroupsInOneFrame) {
  std::vector<Envelope> envs;
  for (uint32_t g : {0U, 1U, 1000U, std::numeric_limits<uint32_t>::max()}) {
    Envelope env{g, {}};
    env.msg.type = MessageType::kHeartbeat;
    env.msg.to = 2;
    env.msg.from = 1;
    env.msg.term = g;
    envs.push_back(env);
  }
  DecodedFrame got;
  ASSERT_EQ(Decode(Encode(1, envs), &got), DecodeOutcome::kOk);
  ASSERT_EQ(got.envelopes.size(), envs.size());
  for (size_t i = 0; i < envs.size(); ++i) {
    EXPECT_EQ(got.envelopes[i].group, envs[i].group);
    ExpectSameMessage(got.envelopes[i].msg, envs[i].msg);
  }
}

TEST(WireFrame, EmptyFrameRoundTrips) {
  std::string frame = Encode(9, {});
  DecodedFrame got;
  ASSERT_EQ(Decode(frame, &got), DecodeOutcome::kOk);
  EXPECT_EQ(got.sender, 9U);
  EXPECT_TRUE(got.envelopes.empty());
}

TEST(WireFrame, HeaderIsVersionLengthAndChecksumLittleEndian) {
  std::string frame = Encode(5, {});
  ASSERT_EQ(frame.size(), kFrameHeaderBytes + 2);  // sender 5, count 0
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), kWireVersion);
  EXPECT_EQ(frame.substr(1, 4), std::string("\x02\x00\x00\x00", 4));
  EXPECT_EQ(frame.substr(kFrameHeaderBytes), std::string("\x05\x00", 2));
  EXPECT_EQ(frame, FrameOf(frame.substr(kFrameHeaderBytes)));
  // The example in docs/cluster-bus.md, byte for byte: the format is frozen.
  EXPECT_EQ(frame, std::string("\x01\x02\x00\x00\x00\x2c\x82\xee\xad\x05\x00", 11));
}

TEST(WireFrame, AppendsAndConsecutiveFramesDecodeOneAtATime) {
  std::string buf = "prefix";
  EncodeFrame(1, std::vector<Envelope>{{3, FullMessage(MessageType::kApp, 0)}}, &buf);
  EncodeFrame(2, std::vector<Envelope>{{4, FullMessage(MessageType::kVote, 0)}}, &buf);
  ASSERT_EQ(buf.substr(0, 6), "prefix");
  std::string_view rest(buf);
  rest.remove_prefix(6);
  for (uint64_t sender : {1U, 2U}) {
    DecodedFrame got;
    size_t consumed = 0;
    ASSERT_EQ(Decode(rest, &got, &consumed), DecodeOutcome::kOk);
    EXPECT_EQ(got.sender, sender);
    rest.remove_prefix(consumed);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(WireFrame, EveryTruncationNeedsMore) {
  std::string frame = Encode(1, {{3, FullMessage(MessageType::kSnap, 0)}});
  for (size_t n = 0; n < frame.size(); ++n) {
    DecodedFrame got;
    ASSERT_EQ(Decode(std::string_view(frame).substr(0, n), &got), DecodeOutcome::kNeedMore)
        << "prefix of " << n << " bytes";
  }
}

TEST(WireFrame, ChecksumMismatchIsCorrupt) {
  std::string frame = Encode(1, {{3, FullMessage(MessageType::kApp, 0)}});
  frame.back() ^= 0x01;
  DecodedFrame got;
  std::string error;
  ASSERT_EQ(Decode(frame, &got, nullptr, &error), DecodeOutcome::kCorrupt);
  EXPECT_NE(error.find("checksum"), std::string::npos) << error;
}

TEST(WireFrame, NoSingleByteCorruptionDecodesAsAFrame) {
  Envelope env;
  env.group = 2;
  env.msg.type = MessageType::kAppResp;
  env.msg.to = 1;
  env.msg.from = 2;
  env.msg.term = 3;
  env.msg.index = 40;
  const std::string frame = Encode(2, {env});
  for (size_t pos = 0; pos < frame.size(); ++pos) {
    for (int mask : {0x01, 0x10, 0x80, 0xff}) {
      std::string bad = frame;
      bad[pos] = static_cast<char>(bad[pos] ^ mask);
      DecodedFrame got;
      DecodeOutcome r = Decode(bad, &got);
      EXPECT_NE(r, DecodeOutcome::kOk) << "byte " << pos << " ^ " << mask;
    }
  }
}

TEST(WireFrame, UnknownVersionIsCorruptFromTheFirstByte) {
  DecodedFrame got;
  std::string error;
  ASSERT_EQ(Decode(std::string(1, '\x02'), &got, nullptr, &error), DecodeOutcome::kCorrupt);
  EXPECT_NE(error.find("version"), std::string::npos) << error;
}

TEST(WireFrame, LengthOverTheLimitIsCorruptBeforeThePayloadArrives) {
  std::string header(1, static_cast<char>(kWireVersion));
  uint32_t len = static_cast<uint32_t>(kMaxFrameBytes);  // plus the header: over
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  DecodedFrame got;
  std::string error;
  ASSERT_EQ(Decode(header, &got, nullptr, &error), DecodeOutcome::kCorrupt);
  EXPECT_NE(error.find("over the limit"), std::string::npos) << error;
  header.replace(1, 4, "\xff\xff\xff\xff", 4);
  EXPECT_EQ(Decode(header, &got), DecodeOutcome::kCorrupt);
}

TEST(WireFrame, LengthAtTheLimitWaitsForThePayload) {
  std::string header(1, static_cast<char>(kWireVersion));
  auto len = static_cast<uint32_t>(kMaxFrameBytes - kFrameHeaderBytes);
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  header.append(4, '\0');
  DecodedFrame got;
  EXPECT_EQ(Decode(header, &got), DecodeOutcome::kNeedMore);
}

// Payloads with a valid checksum but broken content.
TEST(WireFrame, MalformedPayloadsAreCorrupt) {
  Envelope env;
  env.msg.type = MessageType::kHeartbeat;
  std::string good = Encode(1, {env}).substr(kFrameHeaderBytes);
  DecodedFrame got;
  ASSERT_EQ(Decode(FrameOf(good), &got), DecodeOutcome::kOk);

  struct Case {
    const char* name;
    std::string payload;
  };
  std::vector<Case> cases;
  cases.push_back({"trailing byte", good + "x"});
  cases.push_back({"truncated message", good.substr(0, good.size() - 1)});
  cases.push_back({"empty payload", ""});
  std::string payload = good;
  payload[3] = static_cast<char>(19);  // message type after sender, count, group
  cases.push_back({"unknown message type", payload});
  payload[3] = static_cast<char>(MessageType::kHup);
  cases.push_back({"local message type", payload});
  payload = good;
  payload[10] = 2;  // reject flag: after type and six one-byte varints
  cases.push_back({"reject flag not 0/1", payload});
  payload = good;
  payload.back() = 2;  // snapshot presence
  cases.push_back({"snapshot flag not 0/1", payload});
  payload = "\x01";
  PutVarint64(&payload, kMaxEnvelopesPerFrame + 1);
  cases.push_back({"envelope count over the limit", payload});
  payload = "\x01\x05";  // five envelopes, none present
  cases.push_back({"envelope count over the bytes left", payload});
  payload = "\x01\x01";
  PutVarint64(&payload, uint64_t{1} << 32);
  payload += good.substr(3);
  cases.push_back({"group over 32 bits", payload});
  payload = good.substr(0, good.size() - 2);
  PutVarint64(&payload, kMaxEntriesPerMessage + 1);
  payload.push_back(0);
  cases.push_back({"entry count over the limit", payload});
  payload = good.substr(0, good.size() - 2);
  payload += "\x01\x01\x01\x02";  // one entry: term 1, index 1, type 2
  payload.append("\x00\x00", 2);
  cases.push_back({"unknown entry type", payload});
  payload = good.substr(0, good.size() - 1);
  payload += "\x01\x01\x01";  // snapshot present, index 1, term 1, then voters
  PutVarint64(&payload, kMaxConfMembers + 1);
  cases.push_back({"voter count over the limit", payload});
  payload = std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  cases.push_back({"sender varint too long", payload});

  for (const Case& c : cases) {
    std::string error;
    EXPECT_EQ(Decode(FrameOf(c.payload), &got, nullptr, &error), DecodeOutcome::kCorrupt) << c.name;
    EXPECT_FALSE(error.empty()) << c.name;
  }
}

TEST(WireFrame, RandomGarbageNeverCrashes) {
  constexpr int kCases = 4000;
  std::mt19937_64 rng(20240611);
  std::vector<std::string> seeds;
  for (MessageType type : NetworkTypes()) {
    seeds.push_back(Encode(1, {{1, FullMessage(type, 0)}}).substr(kFrameHeaderBytes));
  }
  int ok = 0;
  for (int i = 0; i < kCases; ++i) {
    std::string payload;
    if (i % 2 == 0) {
      // Pure noise.
      payload.resize(rng() % 64);
      for (char& c : payload) c = static_cast<char>(rng());
    } else {
      // A valid payload with a few bytes changed or cut, re-checksummed so
      // that the payload decoder sees it.
      payload = seeds[rng() % seeds.size()];
      for (int k = 0; k < 3; ++k) payload[rng() % payload.size()] = static_cast<char>(rng());
      if (rng() % 4 == 0) payload.resize(rng() % payload.size());
    }
    std::string frame = i % 3 == 0 ? payload : FrameOf(payload);
    DecodedFrame got;
    size_t consumed = 0;
    std::string error;
    DecodeOutcome r = Decode(frame, &got, &consumed, &error);
    if (r == DecodeOutcome::kOk) {
      ++ok;
      EXPECT_LE(consumed, frame.size());
    }
    if (r == DecodeOutcome::kCorrupt) {
      EXPECT_FALSE(error.empty());
    }
  }
  // Mutations that happen to stay well-formed exist but are rare.
  EXPECT_LT(ok, kCases / 2);
}

}  // namespace
}  // namespace shoal::cluster
