// resp::Writer (exact RESP2 and RESP3 bytes of every method) and
// resp::ReplyParser (decoding, incremental input, round trips, bad input).
#include "core/resp/writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/resp/value.h"

namespace shoal::resp {
namespace {

using VT = Value::Type;

// Runs `fn` against a fresh writer of protocol `proto`; returns the bytes.
template <typename Fn>
std::string Write(Protocol proto, Fn&& fn) {
  std::string out;
  Writer w(&out, proto);
  fn(w);
  return out;
}

template <typename Fn>
std::string Resp2(Fn&& fn) {
  return Write(Protocol::kResp2, fn);
}

template <typename Fn>
std::string Resp3(Fn&& fn) {
  return Write(Protocol::kResp3, fn);
}

// Decodes exactly one reply that must span all of `data`.
Value ParseAll(std::string_view data) {
  Value v;
  size_t consumed = 0;
  EXPECT_EQ(ReplyParser::Parse(data, &v, &consumed), ReplyParser::Outcome::kValue) << data;
  EXPECT_EQ(consumed, data.size()) << data;
  return v;
}

// --- Writer: protocol-independent replies ------------------------------------

TEST(Writer, DefaultsToResp2AndSwitchesProtocol) {
  std::string out;
  Writer w(&out);
  EXPECT_EQ(w.protocol(), Protocol::kResp2);
  EXPECT_FALSE(w.resp3());
  w.set_protocol(Protocol::kResp3);
  EXPECT_TRUE(w.resp3());
  EXPECT_EQ(w.buffer(), &out);
}

TEST(Writer, AppendsToExistingBuffer) {
  std::string out = "+PONG\r\n";
  Writer w(&out);
  w.Ok();
  w.Integer(7);
  EXPECT_EQ(out, "+PONG\r\n+OK\r\n:7\r\n");
}

TEST(Writer, SameBytesInBothProtocolsForBasicTypes) {
  for (Protocol p : {Protocol::kResp2, Protocol::kResp3}) {
    EXPECT_EQ(Write(p, [](Writer& w) { w.Ok(); }), "+OK\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Simple("PONG"); }), "+PONG\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Simple(""); }), "+\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Error("ERR syntax error"); }), "-ERR syntax error\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Integer(0); }), ":0\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Integer(-42); }), ":-42\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Bulk("hello"); }), "$5\r\nhello\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.Bulk(""); }), "$0\r\n\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.ArrayHeader(3); }), "*3\r\n");
    EXPECT_EQ(Write(p, [](Writer& w) { w.ArrayHeader(0); }), "*0\r\n");
  }
}

TEST(Writer, IntegerExtremes) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Integer(INT64_MAX); }), ":9223372036854775807\r\n");
  EXPECT_EQ(Resp2([](Writer& w) { w.Integer(INT64_MIN); }), ":-9223372036854775808\r\n");
}

TEST(Writer, BulkCarriesBinaryBytes) {
  const std::string v("a\r\n\0b", 5);
  EXPECT_EQ(Resp2([&](Writer& w) { w.Bulk(v); }), std::string("$5\r\na\r\n\0b\r\n", 11));
}

TEST(Writer, ErrorLineBreaksBecomeSpaces) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Error("ERR bad\r\nthing\n"); }), "-ERR bad  thing \r\n");
}

TEST(Writer, ErrorSanitizingLeavesEarlierBytesAlone) {
  std::string out = "$2\r\n\r\n\r\n";
  Writer w(&out);
  w.Error("ERR x\ny");
  EXPECT_EQ(out, "$2\r\n\r\n\r\n-ERR x y\r\n");
}

TEST(Writer, BulkArrayWritesHeaderAndElements) {
  std::vector<std::string> items = {"a", "", "ccc"};
  EXPECT_EQ(Resp2([&](Writer& w) { w.BulkArray(items); }),
            "*3\r\n$1\r\na\r\n$0\r\n\r\n$3\r\nccc\r\n");
  std::vector<std::string_view> none;
  EXPECT_EQ(Resp3([&](Writer& w) { w.BulkArray(none); }), "*0\r\n");
}

// --- Writer: protocol-dependent replies --------------------------------------

TEST(Writer, NullIsDollarMinusOneInResp2AndUnderscoreInResp3) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Null(); }), "$-1\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Null(); }), "_\r\n");
}

TEST(Writer, NullArrayIsStarMinusOneInResp2AndUnderscoreInResp3) {
  EXPECT_EQ(Resp2([](Writer& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.NullArray(); }), "_\r\n");
}

TEST(Writer, MapIsFlatArrayOfTwiceTheLengthInResp2) {
  EXPECT_EQ(Resp2([](Writer& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Resp2([](Writer& w) { w.MapHeader(0); }), "*0\r\n");
}

TEST(Writer, SetAndPushAreArraysInResp2) {
  EXPECT_EQ(Resp2([](Writer& w) { w.SetHeader(3); }), "*3\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.SetHeader(3); }), "~3\r\n");
  EXPECT_EQ(Resp2([](Writer& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.PushHeader(3); }), ">3\r\n");
}

TEST(Writer, DoubleIsBulkInResp2AndCommaInResp3) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Double(1.5); }), "$3\r\n1.5\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Double(1.5); }), ",1.5\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Double(3); }), ",3\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Double(-0.25); }), ",-0.25\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Double(0); }), ",0\r\n");
}

TEST(Writer, InfiniteDoublesAreSpelledInf) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Resp3([&](Writer& w) { w.Double(inf); }), ",inf\r\n");
  EXPECT_EQ(Resp3([&](Writer& w) { w.Double(-inf); }), ",-inf\r\n");
  EXPECT_EQ(Resp2([&](Writer& w) { w.Double(inf); }), "$3\r\ninf\r\n");
  EXPECT_EQ(Resp2([&](Writer& w) { w.Double(-inf); }), "$4\r\n-inf\r\n");
}

TEST(Writer, BoolIsIntegerInResp2) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Bool(true); }), ":1\r\n");
  EXPECT_EQ(Resp2([](Writer& w) { w.Bool(false); }), ":0\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Bool(true); }), "#t\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Bool(false); }), "#f\r\n");
}

TEST(Writer, BigNumberIsBulkInResp2) {
  const char digits[] = "3492890328409238509324850943850943825024385";
  EXPECT_EQ(Resp2([&](Writer& w) { w.BigNumber(digits); }),
            "$43\r\n3492890328409238509324850943850943825024385\r\n");
  EXPECT_EQ(Resp3([&](Writer& w) { w.BigNumber(digits); }),
            "(3492890328409238509324850943850943825024385\r\n");
}

TEST(Writer, VerbatimIsBulkInResp2) {
  EXPECT_EQ(Resp2([](Writer& w) { w.Verbatim("txt", "Some string"); }), "$11\r\nSome string\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Verbatim("txt", "Some string"); }),
            "=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(Resp3([](Writer& w) { w.Verbatim("markdown", ""); }), "=4\r\nmar:\r\n");
}

// --- ReplyParser -------------------------------------------------------------

TEST(ReplyParser, DecodesEveryScalarType) {
  Value v = ParseAll("+OK\r\n");
  EXPECT_EQ(v.type, VT::kSimple);
  EXPECT_EQ(v.str, "OK");
  v = ParseAll("-ERR nope\r\n");
  EXPECT_EQ(v.type, VT::kError);
  EXPECT_TRUE(v.is_error());
  EXPECT_EQ(v.str, "ERR nope");
  v = ParseAll(":-9223372036854775808\r\n");
  EXPECT_EQ(v.type, VT::kInteger);
  EXPECT_EQ(v.integer, INT64_MIN);
  v = ParseAll("$5\r\nhe\r\nl\r\n");
  EXPECT_EQ(v.type, VT::kBulk);
  EXPECT_EQ(v.str, "he\r\nl");
  v = ParseAll("$-1\r\n");
  EXPECT_EQ(v.type, VT::kNull);
  v = ParseAll("*-1\r\n");
  EXPECT_EQ(v.type, VT::kNull);
  v = ParseAll("_\r\n");
  EXPECT_EQ(v.type, VT::kNull);
  v = ParseAll(",-2.5\r\n");
  EXPECT_EQ(v.type, VT::kDouble);
  EXPECT_EQ(v.dbl, -2.5);
  EXPECT_EQ(v.str, "-2.5");
  v = ParseAll("#t\r\n");
  EXPECT_EQ(v.type, VT::kBool);
  EXPECT_EQ(v.integer, 1);
  v = ParseAll("#f\r\n");
  EXPECT_EQ(v.integer, 0);
  v = ParseAll("(12345678901234567890\r\n");
  EXPECT_EQ(v.type, VT::kBigNumber);
  EXPECT_EQ(v.str, "12345678901234567890");
  v = ParseAll("=8\r\ntxt:abcd\r\n");
  EXPECT_EQ(v.type, VT::kVerbatim);
  EXPECT_EQ(v.str, "abcd");
  v = ParseAll("!8\r\nERR boom\r\n");
  EXPECT_EQ(v.type, VT::kError);
  EXPECT_EQ(v.str, "ERR boom");
}

TEST(ReplyParser, DecodesNestedAggregates) {
  Value v = ParseAll("*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n%1\r\n+k\r\n~1\r\n#t\r\n");
  ASSERT_EQ(v.type, VT::kArray);
  ASSERT_EQ(v.elements.size(), 3u);
  EXPECT_EQ(v.elements[0].integer, 1);
  ASSERT_EQ(v.elements[1].elements.size(), 2u);
  EXPECT_EQ(v.elements[1].elements[1].str, "b");
  ASSERT_EQ(v.elements[2].type, VT::kMap);
  ASSERT_EQ(v.elements[2].elements.size(), 2u);
  EXPECT_EQ(v.elements[2].elements[1].type, VT::kSet);
  EXPECT_EQ(v.ToString(), "[1, [\"a\", \"b\"], [\"k\", [1]]]");
}

TEST(ReplyParser, PushIsItsOwnType) {
  Value v = ParseAll(">2\r\n$7\r\nmessage\r\n$2\r\nhi\r\n");
  EXPECT_EQ(v.type, VT::kPush);
  EXPECT_EQ(v.elements.size(), 2u);
}

TEST(ReplyParser, AttributeIsSkipped) {
  Value v = ParseAll("|1\r\n+ttl\r\n:3\r\n:42\r\n");
  EXPECT_EQ(v.type, VT::kInteger);
  EXPECT_EQ(v.integer, 42);
}

TEST(ReplyParser, ConsumesOnlyTheFirstReply) {
  Value v;
  size_t consumed = 0;
  ASSERT_EQ(ReplyParser::Parse("+OK\r\n:1\r\n", &v, &consumed), ReplyParser::Outcome::kValue);
  EXPECT_EQ(consumed, 5u);
}

TEST(ReplyParser, EveryStrictPrefixNeedsMore) {
  const std::string data = "*4\r\n$3\r\nfoo\r\n%1\r\n+a\r\n,1.5\r\n_\r\n=7\r\ntxt:abc\r\n";
  for (size_t n = 0; n < data.size(); ++n) {
    Value v;
    size_t consumed = 0;
    EXPECT_EQ(ReplyParser::Parse(data.substr(0, n), &v, &consumed), ReplyParser::Outcome::kNeedMore)
        << "prefix length " << n;
  }
  (void)ParseAll(data);
}

TEST(ReplyParser, UnknownTypeByteIsError) {
  Value v;
  size_t consumed = 0;
  EXPECT_EQ(ReplyParser::Parse("?what\r\n", &v, &consumed), ReplyParser::Outcome::kError);
  EXPECT_EQ(ReplyParser::Parse("OK\r\n", &v, &consumed), ReplyParser::Outcome::kError);
}

TEST(ReplyParser, BadNumbersAreErrors) {
  Value v;
  size_t consumed = 0;
  EXPECT_EQ(ReplyParser::Parse(":12a\r\n", &v, &consumed), ReplyParser::Outcome::kError);
  EXPECT_EQ(ReplyParser::Parse(":\r\n", &v, &consumed), ReplyParser::Outcome::kError);
  EXPECT_EQ(ReplyParser::Parse("$x\r\n", &v, &consumed), ReplyParser::Outcome::kError);
  EXPECT_EQ(ReplyParser::Parse("*1.5\r\n", &v, &consumed), ReplyParser::Outcome::kError);
  EXPECT_EQ(ReplyParser::Parse(":99999999999999999999\r\n", &v, &consumed),
            ReplyParser::Outcome::kError);
}

TEST(ReplyParser, DeepNestingIsRefusedNotOverflowed) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  Value v;
  size_t consumed = 0;
  EXPECT_EQ(ReplyParser::Parse(deep, &v, &consumed), ReplyParser::Outcome::kError);
  std::string attrs;
  for (int i = 0; i < 100000; ++i) attrs += "|0\r\n";
  attrs += ":1\r\n";
  EXPECT_EQ(ReplyParser::Parse(attrs, &v, &consumed), ReplyParser::Outcome::kError);
}

TEST(ReplyParser, ModerateNestingIsFine) {
  std::string nested;
  for (int i = 0; i < 100; ++i) nested += "*1\r\n";
  nested += ":1\r\n";
  Value v = ParseAll(nested);
  const Value* at = &v;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(at->type, VT::kArray);
    ASSERT_EQ(at->elements.size(), 1u);
    at = &at->elements[0];
  }
  EXPECT_EQ(at->integer, 1);
}

TEST(ReplyParser, AbsurdAggregateCountIsAnError) {
  // The count alone must neither allocate nor be taken at its word; the
  // map count is doubled internally, which must not overflow.
  for (const char* data : {"*9223372036854775807\r\n:1\r\n", "%4611686018427387904\r\n+a\r\n",
                           "%9223372036854775807\r\n", "~1000000000000\r\n"}) {
    Value v;
    size_t consumed = 0;
    EXPECT_EQ(ReplyParser::Parse(data, &v, &consumed), ReplyParser::Outcome::kError) << data;
  }
}

TEST(ReplyParser, LargeButPlausibleCountWithoutElementsNeedsMore) {
  Value v;
  size_t consumed = 0;
  EXPECT_EQ(ReplyParser::Parse("*1000000\r\n:1\r\n", &v, &consumed),
            ReplyParser::Outcome::kNeedMore);
}

TEST(ReplyParser, ToStringShowsNilAndErrors) {
  EXPECT_EQ(ParseAll("*3\r\n$-1\r\n-ERR x\r\n:5\r\n").ToString(), "[(nil), (error) ERR x, 5]");
}

// --- Round trips -------------------------------------------------------------

// Writes one of everything.
void WriteEverything(Writer& w) {
  w.ArrayHeader(12);
  w.Ok();
  w.Error("ERR x");
  w.Integer(-7);
  w.Bulk(std::string("bin\0\r\n", 6));
  w.Null();
  w.NullArray();
  w.MapHeader(1);
  w.Bulk("field");
  w.Integer(1);
  w.SetHeader(2);
  w.Bulk("m1");
  w.Bulk("m2");
  w.Double(2.5);
  w.Bool(true);
  w.BigNumber("123456789012345678901234567890");
  w.Verbatim("txt", "line1\nline2");
}

TEST(WriterRoundTrip, Resp3KeepsEveryType) {
  std::string out;
  Writer w(&out, Protocol::kResp3);
  WriteEverything(w);
  Value v = ParseAll(out);
  ASSERT_EQ(v.type, VT::kArray);
  ASSERT_EQ(v.elements.size(), 12u);
  const auto& e = v.elements;
  EXPECT_EQ(e[0].type, VT::kSimple);
  EXPECT_EQ(e[0].str, "OK");
  EXPECT_EQ(e[1].type, VT::kError);
  EXPECT_EQ(e[1].str, "ERR x");
  EXPECT_EQ(e[2].type, VT::kInteger);
  EXPECT_EQ(e[2].integer, -7);
  EXPECT_EQ(e[3].type, VT::kBulk);
  EXPECT_EQ(e[3].str, std::string("bin\0\r\n", 6));
  EXPECT_EQ(e[4].type, VT::kNull);
  EXPECT_EQ(e[5].type, VT::kNull);
  ASSERT_EQ(e[6].type, VT::kMap);
  ASSERT_EQ(e[6].elements.size(), 2u);
  EXPECT_EQ(e[6].elements[0].str, "field");
  EXPECT_EQ(e[6].elements[1].integer, 1);
  ASSERT_EQ(e[7].type, VT::kSet);
  EXPECT_EQ(e[7].elements.size(), 2u);
  EXPECT_EQ(e[8].type, VT::kDouble);
  EXPECT_EQ(e[8].dbl, 2.5);
  EXPECT_EQ(e[9].type, VT::kBool);
  EXPECT_EQ(e[9].integer, 1);
  EXPECT_EQ(e[10].type, VT::kBigNumber);
  EXPECT_EQ(e[10].str, "123456789012345678901234567890");
  EXPECT_EQ(e[11].type, VT::kVerbatim);
  EXPECT_EQ(e[11].str, "line1\nline2");
}

TEST(WriterRoundTrip, PushIsPushInResp3AndArrayInResp2) {
  auto push = [](Writer& w) {
    w.PushHeader(2);
    w.Bulk("message");
    w.Simple("hi");
  };
  EXPECT_EQ(ParseAll(Resp3(push)).type, VT::kPush);
  EXPECT_EQ(ParseAll(Resp2(push)).type, VT::kArray);
}

TEST(WriterRoundTrip, Resp2FlattensToResp2Types) {
  std::string out;
  Writer w(&out, Protocol::kResp2);
  WriteEverything(w);
  Value v = ParseAll(out);
  ASSERT_EQ(v.elements.size(), 12u);
  const auto& e = v.elements;
  EXPECT_EQ(e[4].type, VT::kNull);
  EXPECT_EQ(e[5].type, VT::kNull);
  ASSERT_EQ(e[6].type, VT::kArray);
  EXPECT_EQ(e[6].elements.size(), 2u);
  ASSERT_EQ(e[7].type, VT::kArray);
  EXPECT_EQ(e[7].elements.size(), 2u);
  EXPECT_EQ(e[8].type, VT::kBulk);
  EXPECT_EQ(e[8].str, "2.5");
  EXPECT_EQ(e[9].type, VT::kInteger);
  EXPECT_EQ(e[9].integer, 1);
  EXPECT_EQ(e[10].type, VT::kBulk);
  EXPECT_EQ(e[11].type, VT::kBulk);
  EXPECT_EQ(e[11].str, "line1\nline2");
}

TEST(WriterRoundTrip, RandomDoublesSurviveResp3) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (std::isnan(d)) continue;
    SCOPED_TRACE(std::to_string(bits));
    Value v = ParseAll(Resp3([&](Writer& w) { w.Double(d); }));
    ASSERT_EQ(v.type, VT::kDouble);
    EXPECT_EQ(v.dbl, d);
  }
}

TEST(WriterRoundTrip, RandomBulksAndIntegersSurviveBothProtocols) {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    for (Protocol p : {Protocol::kResp2, Protocol::kResp3}) {
      std::vector<std::string> bulks;
      std::vector<int64_t> ints;
      std::string out;
      Writer w(&out, p);
      const size_t n = rng() % 8;
      w.ArrayHeader(static_cast<int64_t>(2 * n));
      for (size_t k = 0; k < n; ++k) {
        std::string b(rng() % 50, '\0');
        for (auto& c : b) c = static_cast<char>(rng() & 0xff);
        auto x = static_cast<int64_t>((static_cast<uint64_t>(rng()) << 32) | rng());
        w.Bulk(b);
        w.Integer(x);
        bulks.push_back(b);
        ints.push_back(x);
      }
      Value v = ParseAll(out);
      ASSERT_EQ(v.elements.size(), 2 * n);
      for (size_t k = 0; k < n; ++k) {
        EXPECT_EQ(v.elements[2 * k].str, bulks[k]);
        EXPECT_EQ(v.elements[2 * k + 1].integer, ints[k]);
      }
    }
  }
}

TEST(ReplyParserRandom, GarbageNeverCrashes) {
  // Exact-size heap copies: meaningful under AddressSanitizer.
  const char kBytes[] = "*%~>|$=!:+-_,#(\r\n0123456789-";
  for (uint32_t seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE("seed=" + std::to_string(seed));
    std::mt19937 rng(seed);
    std::string s(rng() % 64, '\0');
    for (auto& c : s) {
      c = rng() % 4 ? kBytes[rng() % (sizeof(kBytes) - 1)] : static_cast<char>(rng() & 0xff);
    }
    std::unique_ptr<char[]> buf(new char[s.size()]);
    std::memcpy(buf.get(), s.data(), s.size());
    Value v;
    size_t consumed = 0;
    auto r = ReplyParser::Parse(std::string_view(buf.get(), s.size()), &v, &consumed);
    ASSERT_TRUE(r == ReplyParser::Outcome::kValue || r == ReplyParser::Outcome::kNeedMore ||
                r == ReplyParser::Outcome::kError);
    if (r == ReplyParser::Outcome::kValue) {
      EXPECT_GT(consumed, 0u);
      EXPECT_LE(consumed, s.size());
    }
  }
}

}  // namespace
}  // namespace shoal::resp
