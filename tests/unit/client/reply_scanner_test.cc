// Reply framing: where the first complete RESP2/RESP3 reply in a buffer ends.
#include "client/reply_scanner.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/resp/value.h"

namespace shoal::client {
namespace {

// One reply of every kind, each complete on its own.
const std::vector<std::string>& Samples() {
  static const std::vector<std::string> kSamples = {
      "+OK\r\n",
      "-ERR unknown command 'FOO'\r\n",
      ":0\r\n",
      ":-9223372036854775808\r\n",
      "$5\r\nhello\r\n",
      "$0\r\n\r\n",
      "$4\r\na\r\nb\r\n",  // CRLF inside a bulk is data
      "$-1\r\n",
      "*-1\r\n",
      "_\r\n",
      ",3.14\r\n",
      ",-inf\r\n",
      "#t\r\n",
      "#f\r\n",
      "(3492890328409238509324850943850943825024385\r\n",
      "=15\r\ntxt:Some string\r\n",
      "!21\r\nSYNTAX invalid syntax\r\n",
      "*0\r\n",
      "*3\r\n:1\r\n$3\r\nfoo\r\n_\r\n",
      "*2\r\n*2\r\n+a\r\n+b\r\n*0\r\n",
      "%2\r\n+first\r\n:1\r\n+second\r\n*1\r\n#f\r\n",
      "%0\r\n",
      "~3\r\n+a\r\n:2\r\n,1.5\r\n",
      ">3\r\n+message\r\n+chan\r\n$2\r\nhi\r\n",
      "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n",
      "*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n",  // attribute inside an array
  };
  return kSamples;
}

TEST(ReplyScanner, FramesEveryTypeExactly) {
  for (const auto& s : Samples()) {
    auto r = ScanReply(s);
    ASSERT_EQ(r.outcome, ScanOutcome::kComplete) << s;
    EXPECT_EQ(r.length, s.size()) << s;
    // Bytes of the next reply do not change where this one ends.
    r = ScanReply(s + "+next\r\n");
    ASSERT_EQ(r.outcome, ScanOutcome::kComplete) << s;
    EXPECT_EQ(r.length, s.size()) << s;
  }
}

TEST(ReplyScanner, AgreesWithTheDecodingParser) {
  for (const auto& s : Samples()) {
    resp::Value v;
    size_t consumed = 0;
    ASSERT_EQ(resp::ReplyParser::Parse(s + ":1\r\n", &v, &consumed),
              resp::ReplyParser::Outcome::kValue)
        << s;
    EXPECT_EQ(ScanReply(s + ":1\r\n").length, consumed) << s;
  }
}

TEST(ReplyScanner, EveryStrictPrefixNeedsMore) {
  EXPECT_EQ(ScanReply("").outcome, ScanOutcome::kNeedMore);
  for (const auto& s : Samples()) {
    for (size_t n = 0; n < s.size(); ++n) {
      EXPECT_EQ(ScanReply(s.substr(0, n)).outcome, ScanOutcome::kNeedMore) << s << " @" << n;
    }
  }
}

TEST(ReplyScanner, RejectsMalformedReplies) {
  const std::vector<std::string> bad = {
      "?what\r\n",  // unknown type byte
      "+OK\n",      // bare LF
      "+O\rK\r\n",  // CR inside a line
      ":12a\r\n",   // not an integer
      ":\r\n",      // empty integer
      ":12345678901234567890\r\n",
      "(12.5\r\n",         // big numbers are integers
      "$-2\r\n",           // only -1 means null
      "$\r\n",             // missing length
      "$3\r\nabcd\r\n",    // body longer than declared
      "$3\r\nab\r\n\r\n",  // body shorter than declared
      "$1234567890123456789\r\n",
      "#x\r\n",         // booleans are t or f
      "_x\r\n",         // null has no payload
      ",\r\n",          // empty double
      "=3\r\ntxt\r\n",  // verbatim needs "fmt:"
      "=5\r\ntxt-a\r\n",
      "%-1\r\n",  // only arrays and bulks have a RESP2 null form
      "~-1\r\n",
      "*x\r\n",
      "*1\r\n?\r\n",  // malformed element
      "*2\r\n:1\r\n$2\r\nabc\r\n",
      "*4294967297\r\n",  // beyond kMaxAggregateCount
  };
  for (const auto& b : bad) {
    EXPECT_EQ(ScanReply(b).outcome, ScanOutcome::kMalformed) << b;
  }
}

std::string Nested(int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += "*1\r\n";
  return s + ":7\r\n";
}

TEST(ReplyScanner, EnforcesTheNestingLimit) {
  const std::string ok = Nested(kMaxReplyDepth);
  auto r = ScanReply(ok);
  ASSERT_EQ(r.outcome, ScanOutcome::kComplete);
  EXPECT_EQ(r.length, ok.size());
  EXPECT_EQ(ScanReply(Nested(kMaxReplyDepth + 1)).outcome, ScanOutcome::kMalformed);
}

TEST(ReplyScanner, FramesALargeBulk) {
  const std::string body(1 << 20, 'x');
  const std::string s = "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
  EXPECT_EQ(ScanReply(s.substr(0, s.size() - 1)).outcome, ScanOutcome::kNeedMore);
  auto r = ScanReply(s);
  ASSERT_EQ(r.outcome, ScanOutcome::kComplete);
  EXPECT_EQ(r.length, s.size());
}

// Frames `stream` the way a connection does: the buffer grows in the given
// pieces, complete replies are taken off its front, and the scanner resumes
// across calls. Returns the lengths of the replies found.
std::vector<size_t> FrameInPieces(const std::string& stream, const std::vector<size_t>& cuts) {
  std::vector<size_t> lengths;
  ReplyScanner scanner;
  std::string buffer;
  size_t fed = 0;
  auto drain = [&] {
    while (!buffer.empty()) {
      auto r = scanner.Scan(buffer);
      if (r.outcome != ScanOutcome::kComplete) {
        EXPECT_EQ(r.outcome, ScanOutcome::kNeedMore);
        return;
      }
      lengths.push_back(r.length);
      buffer.erase(0, r.length);
      scanner.Reset();
    }
  };
  for (size_t cut : cuts) {
    buffer.append(stream, fed, cut - fed);
    fed = cut;
    drain();
  }
  buffer.append(stream, fed);
  drain();
  EXPECT_TRUE(buffer.empty());
  return lengths;
}

TEST(ReplyScanner, PipelinedRepliesSplitAtEveryByteBoundary) {
  std::string stream;
  std::vector<size_t> expected;
  for (const auto& s : Samples()) {
    stream += s;
    expected.push_back(s.size());
  }
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    EXPECT_EQ(FrameInPieces(stream, {cut}), expected) << "split at " << cut;
  }
  for (size_t a = 0; a <= stream.size(); a += 7) {
    for (size_t b = a; b <= stream.size(); b += 5) {
      EXPECT_EQ(FrameInPieces(stream, {a, b}), expected) << "split at " << a << "," << b;
    }
  }
}

TEST(ReplyScanner, ResumesByteByByte) {
  std::string stream;
  std::vector<size_t> expected;
  for (const auto& s : Samples()) {
    stream += s;
    expected.push_back(s.size());
  }
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  EXPECT_EQ(FrameInPieces(stream, cuts), expected);
}

// Random nested replies from a seeded generator.
std::string RandomReply(std::mt19937& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth >= 4 ? 6 : 10));
  auto word = [&] { return std::string(rng() % 5, static_cast<char>('a' + rng() % 26)); };
  switch (kind) {
    case 0:
      return "+" + word() + "\r\n";
    case 1:
      return ":" + std::to_string(static_cast<int32_t>(rng())) + "\r\n";
    case 2: {
      std::string body = word() + "\r\n" + word();
      return "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
    }
    case 3:
      return "_\r\n";
    case 4:
      return "#t\r\n";
    case 5:
      return "$-1\r\n";
    default: {
      const char type = "*%~|"[kind - 6];
      const size_t n = rng() % 4;
      std::string s = type + std::to_string(n) + "\r\n";
      const size_t children = type == '%' ? 2 * n : type == '|' ? 2 * n + 1 : n;
      for (size_t i = 0; i < children; ++i) s += RandomReply(rng, depth + 1);
      return s;
    }
  }
}

TEST(ReplyScanner, RandomNestedRepliesFrameExactly) {
  const uint32_t seed = 20240601;
  std::mt19937 rng(seed);
  for (int i = 0; i < 2000; ++i) {
    const std::string a = RandomReply(rng, 0);
    const std::string b = RandomReply(rng, 0);
    auto r = ScanReply(a + b);
    ASSERT_EQ(r.outcome, ScanOutcome::kComplete) << "seed " << seed << " #" << i << ": " << a;
    ASSERT_EQ(r.length, a.size()) << "seed " << seed << " #" << i << ": " << a;
    const size_t cut = rng() % a.size();
    ASSERT_EQ(ScanReply(a.substr(0, cut)).outcome, ScanOutcome::kNeedMore)
        << "seed " << seed << " #" << i << ": " << a;
  }
}

}  // namespace
}  // namespace shoal::client
