// RequestParser: multibulk and inline requests, pipelining, incremental
// feeding, protocol errors (exact messages) and limits.
#include "core/resp/request_parser.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::resp {
namespace {

using Outcome = RequestParser::Outcome;
using Args = std::vector<std::string>;

Args Copy(const RequestParser& p) { return Args(p.args().begin(), p.args().end()); }

// What a connection sees when it parses a stream: the commands, the outcome
// that stopped the loop (kNeedMore once everything is consumed) and the
// error text.
struct Transcript {
  std::vector<Args> commands;
  Outcome last = Outcome::kNeedMore;
  std::string error;
  size_t consumed = 0;
};

// Parses `data` as one buffer, like the server's read loop.
Transcript ParseStream(std::string_view data, ParserLimits limits = {}) {
  RequestParser p(limits);
  Transcript t;
  size_t pos = 0;
  while (true) {
    Outcome r = p.Parse(data.substr(pos));
    t.last = r;
    if (r != Outcome::kCommand) break;
    EXPECT_GT(p.consumed(), 0u);
    EXPECT_LE(p.consumed(), data.size() - pos);
    t.commands.push_back(Copy(p));
    pos += p.consumed();
  }
  if (t.last == Outcome::kError) t.error = p.error();
  t.consumed = pos;
  return t;
}

// Feeds `data` one byte at a time into a growing buffer, consuming commands
// as they complete, the way a connection with tiny reads would.
Transcript ParseByteByByte(std::string_view data, ParserLimits limits = {}) {
  RequestParser p(limits);
  Transcript t;
  std::string buffer;
  size_t consumed_total = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    buffer.push_back(data[i]);
    while (true) {
      Outcome r = p.Parse(buffer);
      t.last = r;
      if (r == Outcome::kError) {
        t.error = p.error();
        t.consumed = consumed_total;
        return t;
      }
      if (r == Outcome::kNeedMore) break;
      t.commands.push_back(Copy(p));
      consumed_total += p.consumed();
      buffer.erase(0, p.consumed());
      if (buffer.empty()) {
        // A command boundary: the parser would wait for more.
        t.last = Outcome::kNeedMore;
        break;
      }
    }
  }
  t.consumed = consumed_total;
  return t;
}

std::string ErrorOf(std::string_view data, ParserLimits limits = {}) {
  RequestParser p(limits);
  Outcome r = p.Parse(data);
  EXPECT_EQ(r, Outcome::kError) << "input: " << data;
  return p.error();
}

// --- Multibulk ---------------------------------------------------------------

TEST(RequestParser, MultibulkCommandYieldsItsArguments) {
  const std::string data = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
  RequestParser p;
  ASSERT_EQ(p.Parse(data), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"SET", "k", "value"}));
  EXPECT_EQ(p.consumed(), data.size());
  EXPECT_EQ(p.bytes_wanted(), 0);
}

TEST(RequestParser, MultibulkArgumentsPointIntoTheInput) {
  const std::string data = "*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n";
  RequestParser p;
  ASSERT_EQ(p.Parse(data), Outcome::kCommand);
  ASSERT_EQ(p.args().size(), 2u);
  for (std::string_view a : p.args()) {
    EXPECT_GE(a.data(), data.data());
    EXPECT_LE(a.data() + a.size(), data.data() + data.size());
  }
}

TEST(RequestParser, BulkPayloadKeepsBinaryBytesVerbatim) {
  const std::string value("a\r\nb\0c$*\r\n", 10);
  std::string data =
      "*2\r\n$3\r\nSET\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  RequestParser p;
  ASSERT_EQ(p.Parse(data), Outcome::kCommand);
  ASSERT_EQ(p.args().size(), 2u);
  EXPECT_EQ(p.args()[1], value);
}

TEST(RequestParser, EmptyBulkIsAnEmptyArgument) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"ECHO", ""}));
}

TEST(RequestParser, EmptyMultibulkIsConsumedWithNoArguments) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*0\r\n*1\r\n$4\r\nPING\r\n"), Outcome::kCommand);
  EXPECT_TRUE(p.args().empty());
  EXPECT_EQ(p.consumed(), 4u);
}

TEST(RequestParser, NegativeMultibulkCountIsAnEmptyCommand) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*-1\r\n"), Outcome::kCommand);
  EXPECT_TRUE(p.args().empty());
  EXPECT_EQ(p.consumed(), 5u);
}

TEST(RequestParser, EmptyMultibulkClearsArgumentsOfThePreviousCommand) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n"), Outcome::kCommand);
  ASSERT_EQ(p.args().size(), 1u);
  ASSERT_EQ(p.Parse("*0\r\n"), Outcome::kCommand);
  EXPECT_TRUE(p.args().empty());
}

TEST(RequestParser, EmptyInputNeedsMore) {
  RequestParser p;
  EXPECT_EQ(p.Parse(""), Outcome::kNeedMore);
}

TEST(RequestParser, EveryStrictPrefixOfAFrameNeedsMore) {
  const std::string data = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n0123456789\r\n";
  for (size_t n = 0; n < data.size(); ++n) {
    RequestParser p;
    EXPECT_EQ(p.Parse(data.substr(0, n)), Outcome::kNeedMore) << "prefix length " << n;
  }
}

TEST(RequestParser, BytesWantedTellsWhatFinishesTheBulk) {
  RequestParser p;
  std::string data = "*2\r\n$3\r\nSET\r\n$10\r\nabc";
  ASSERT_EQ(p.Parse(data), Outcome::kNeedMore);
  EXPECT_EQ(p.bytes_wanted(), 9);  // 7 payload bytes + CRLF
  data += "defghij";
  ASSERT_EQ(p.Parse(data), Outcome::kNeedMore);
  EXPECT_EQ(p.bytes_wanted(), 2);
  data += "\r\n";
  ASSERT_EQ(p.Parse(data), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"SET", "abcdefghij"}));
  EXPECT_EQ(p.bytes_wanted(), 0);
}

TEST(RequestParser, ResumesAfterTheBufferMoved) {
  // The connection may compact or grow its buffer between calls; the parser
  // keeps offsets, not pointers.
  RequestParser p;
  std::string first = "*2\r\n$4\r\nECHO\r\n$5\r\nhe";
  ASSERT_EQ(p.Parse(first), Outcome::kNeedMore);
  std::string second = first + "llo\r\n";
  first.assign(first.size(), 'X');  // the old bytes are gone
  ASSERT_EQ(p.Parse(second), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"ECHO", "hello"}));
}

TEST(RequestParser, ResetDropsAPartialCommand) {
  RequestParser p;
  ASSERT_EQ(p.Parse("*2\r\n$4\r\nECHO\r\n$5\r\nhe"), Outcome::kNeedMore);
  p.Reset();
  ASSERT_EQ(p.Parse("*1\r\n$4\r\nPING\r\n"), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"PING"}));
  EXPECT_EQ(p.bytes_wanted(), 0);
}

// --- Inline ------------------------------------------------------------------

TEST(RequestParser, InlineCommandSplitsOnWhitespace) {
  RequestParser p;
  ASSERT_EQ(p.Parse("SET  key \t value\r\n"), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"SET", "key", "value"}));
  EXPECT_EQ(p.consumed(), 18u);
}

TEST(RequestParser, InlineCommandMayEndWithABareNewline) {
  RequestParser p;
  ASSERT_EQ(p.Parse("PING\nPING\r\n"), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"PING"}));
  EXPECT_EQ(p.consumed(), 5u);
}

TEST(RequestParser, InlineDoubleQuotesUnderstandEscapes) {
  RequestParser p;
  const std::string line = std::string(R"(SET "a key" "\x41\x7a\n\r\t\b\a\\\"\q" "")") + "\r\n";
  ASSERT_EQ(p.Parse(line), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"SET", "a key", "Az\n\r\t\b\a\\\"q", ""}));
}

TEST(RequestParser, InlineHexEscapeNeedsTwoHexDigits) {
  RequestParser p;
  const std::string line = std::string(R"("\x4" "\xZZ" "\xfF")") + "\r\n";
  ASSERT_EQ(p.Parse(line), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"x4", "xZZ", "\xff"}));
}

TEST(RequestParser, InlineSingleQuotesOnlyEscapeTheQuote) {
  RequestParser p;
  const std::string line = std::string(R"(SET 'it\'s' 'a\nb "c"')") + "\r\n";
  ASSERT_EQ(p.Parse(line), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"SET", "it's", R"(a\nb "c")"}));
}

TEST(RequestParser, InlineQuotesMayStartInsideAWord) {
  RequestParser p;
  ASSERT_EQ(p.Parse("ab\"c d\"\r\n"), Outcome::kCommand);
  EXPECT_EQ(Copy(p), (Args{"abc d"}));
}

TEST(RequestParser, InlineEmptyLineIsACommandWithNoArguments) {
  RequestParser p;
  ASSERT_EQ(p.Parse("\r\nPING\r\n"), Outcome::kCommand);
  EXPECT_TRUE(p.args().empty());
  EXPECT_EQ(p.consumed(), 2u);
  ASSERT_EQ(p.Parse("   \n"), Outcome::kCommand);
  EXPECT_TRUE(p.args().empty());
}

TEST(RequestParser, InlineWithoutNewlineNeedsMore) {
  RequestParser p;
  EXPECT_EQ(p.Parse("SET k v\r"), Outcome::kNeedMore);
}

// --- Pipelining and incremental feeding --------------------------------------

const char kPipeline[] =
    "*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
    "GET a\r\n"
    "*0\r\n"
    "*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\r\n\r\n"
    "ECHO \"x y\" 'z'\n"
    "*1\r\n$4\r\nPING\r\n";

const std::vector<Args> kPipelineCommands = {
    {"SET", "a", "1"}, {"GET", "a"}, {}, {"ECHO", "\r\n\r\n"}, {"ECHO", "x y", "z"}, {"PING"},
};

TEST(RequestParser, PipelinedCommandsInOneBufferComeOutInOrder) {
  Transcript t = ParseStream(kPipeline);
  EXPECT_EQ(t.commands, kPipelineCommands);
  EXPECT_EQ(t.last, Outcome::kNeedMore);
  EXPECT_EQ(t.consumed, sizeof(kPipeline) - 1);
}

TEST(RequestParser, ByteByByteFeedingGivesTheSameCommands) {
  Transcript whole = ParseStream(kPipeline);
  Transcript bytes = ParseByteByByte(kPipeline);
  EXPECT_EQ(bytes.commands, whole.commands);
  EXPECT_EQ(bytes.last, Outcome::kNeedMore);
  EXPECT_EQ(bytes.consumed, whole.consumed);
}

TEST(RequestParser, ByteByByteFeedingReportsTheSameError) {
  const std::string data = std::string(kPipeline) + "*1\r\n$3\r\nabcX\r\n";
  Transcript whole = ParseStream(data);
  Transcript bytes = ParseByteByByte(data);
  EXPECT_EQ(whole.commands, kPipelineCommands);
  EXPECT_EQ(whole.last, Outcome::kError);
  EXPECT_EQ(bytes.commands, whole.commands);
  EXPECT_EQ(bytes.last, Outcome::kError);
  EXPECT_EQ(bytes.error, whole.error);
}

TEST(RequestParser, LargeBulkFedByteByByteIsNotRescanned) {
  // 200 KB value fed byte by byte finishes in linear time: the parser keeps
  // its place inside the bulk and answers each call in O(1).
  const std::string value(200 * 1024, 'v');
  const std::string data =
      "*2\r\n$4\r\nECHO\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  Transcript t = ParseByteByByte(data);
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0][1], value);
}

// --- Protocol errors ---------------------------------------------------------

TEST(RequestParser, NonNumericMultibulkCountIsProtocolError) {
  EXPECT_EQ(ErrorOf("*abc\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*1x\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*-\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*+1\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("* 1\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*99999999999999999999\r\n"), "Protocol error: invalid multibulk length");
}

TEST(RequestParser, MissingDollarIsProtocolError) {
  EXPECT_EQ(ErrorOf("*2\r\n$3\r\nGET\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
  EXPECT_EQ(ErrorOf("*1\r\nPING\r\n"), "Protocol error: expected '$', got 'P'");
}

TEST(RequestParser, NonNumericBulkLengthIsProtocolError) {
  EXPECT_EQ(ErrorOf("*1\r\n$x\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$3a\r\nabc\r\n"), "Protocol error: invalid bulk length");
}

TEST(RequestParser, NegativeBulkLengthIsProtocolError) {
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$-5\r\n"), "Protocol error: invalid bulk length");
}

TEST(RequestParser, BulkNotFollowedByCrlfIsProtocolError) {
  EXPECT_EQ(ErrorOf("*1\r\n$3\r\nabcd\r\n"), "Protocol error: expected CRLF after bulk string");
  EXPECT_EQ(ErrorOf("*1\r\n$3\r\nabc\n\r"), "Protocol error: expected CRLF after bulk string");
}

TEST(RequestParser, UnbalancedQuotesAreProtocolErrors) {
  const std::string msg = "Protocol error: unbalanced quotes in request";
  EXPECT_EQ(ErrorOf("SET \"abc\r\n"), msg);
  EXPECT_EQ(ErrorOf("SET 'abc\r\n"), msg);
  EXPECT_EQ(ErrorOf("SET \"abc\"def\r\n"), msg);
  EXPECT_EQ(ErrorOf("SET 'abc'def\r\n"), msg);
  EXPECT_EQ(ErrorOf("SET \"abc\\\"\r\n"), msg);
}

// --- Limits ------------------------------------------------------------------

TEST(RequestParser, BulkLengthOverLimitIsProtocolError) {
  ParserLimits limits;
  limits.max_bulk_bytes = 10;
  EXPECT_EQ(ErrorOf("*1\r\n$11\r\n", limits), "Protocol error: invalid bulk length");
  RequestParser p(limits);
  ASSERT_EQ(p.Parse("*1\r\n$10\r\n0123456789\r\n"), Outcome::kCommand);
  EXPECT_EQ(p.args()[0], "0123456789");
}

TEST(RequestParser, DefaultBulkLimitIs512Megabytes) {
  EXPECT_EQ(ErrorOf("*1\r\n$536870913\r\n"), "Protocol error: invalid bulk length");
  RequestParser p;
  EXPECT_EQ(p.Parse("*1\r\n$536870912\r\n"), Outcome::kNeedMore);
  EXPECT_EQ(p.bytes_wanted(), 536870914);
}

TEST(RequestParser, MultibulkCountOverLimitIsProtocolError) {
  ParserLimits limits;
  limits.max_multibulk_len = 4;
  EXPECT_EQ(ErrorOf("*5\r\n", limits), "Protocol error: invalid multibulk length");
  RequestParser p(limits);
  EXPECT_EQ(p.Parse("*4\r\n"), Outcome::kNeedMore);
}

TEST(RequestParser, HugeMultibulkCountWithoutDataOnlyWaits) {
  RequestParser p;
  EXPECT_EQ(p.Parse("*1000000000\r\n$1\r\na\r\n"), Outcome::kNeedMore);
}

TEST(RequestParser, InlineLongerThanLimitIsProtocolError) {
  ParserLimits limits;
  limits.max_inline_bytes = 16;
  RequestParser p(limits);
  EXPECT_EQ(p.Parse(std::string(16, 'a')), Outcome::kNeedMore);
  EXPECT_EQ(ErrorOf(std::string(17, 'a'), limits), "Protocol error: too big inline request");
}

TEST(RequestParser, MultibulkCountLineLongerThanLimitIsProtocolError) {
  ParserLimits limits;
  limits.max_inline_bytes = 16;
  RequestParser p(limits);
  EXPECT_EQ(p.Parse("*" + std::string(15, '1')), Outcome::kNeedMore);
  EXPECT_EQ(ErrorOf("*" + std::string(16, '1'), limits),
            "Protocol error: too big mbulk count string");
}

TEST(RequestParser, BulkLengthLineLongerThanLimitIsProtocolError) {
  ParserLimits limits;
  limits.max_inline_bytes = 16;
  RequestParser p(limits);
  EXPECT_EQ(p.Parse("*1\r\n$" + std::string(15, '1')), Outcome::kNeedMore);
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(16, '1'), limits),
            "Protocol error: too big bulk count string");
}

// --- SplitInlineArgs ---------------------------------------------------------

TEST(SplitInlineArgs, BlankLineGivesNoArguments) {
  std::vector<std::string> out;
  ASSERT_TRUE(SplitInlineArgs("", &out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(SplitInlineArgs(" \t ", &out));
  EXPECT_TRUE(out.empty());
}

TEST(SplitInlineArgs, AppendsToTheOutput) {
  std::vector<std::string> out = {"keep"};
  ASSERT_TRUE(SplitInlineArgs("a 'b c' \"d\"", &out));
  EXPECT_EQ(out, (std::vector<std::string>{"keep", "a", "b c", "d"}));
}

TEST(SplitInlineArgs, QuoteAtTheVeryEndIsUnbalanced) {
  std::vector<std::string> out;
  EXPECT_FALSE(SplitInlineArgs("a \"", &out));
  EXPECT_FALSE(SplitInlineArgs("a '", &out));
  EXPECT_FALSE(SplitInlineArgs("\"\\", &out));
}

}  // namespace
}  // namespace shoal::resp
