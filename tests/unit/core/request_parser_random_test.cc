// Randomized RequestParser tests: round trips of random binary arguments
// through arbitrary splits of the stream, and mutated or random input that
// must never crash the parser or make it read outside its input.
//
// Every parse call gets its input in a heap block of exactly the input's
// size, so under AddressSanitizer a read one byte past the end is caught.
// Each iteration prints its seed on failure; set SHOAL_TEST_SEED to replay a
// run from another base seed.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/resp/request_parser.h"

namespace shoal::resp {
namespace {

using Outcome = RequestParser::Outcome;
using Args = std::vector<std::string>;

constexpr uint32_t kDefaultBaseSeed = 20240611;

uint32_t BaseSeed() {
  const char* env = std::getenv("SHOAL_TEST_SEED");
  if (env != nullptr && *env != '\0') return static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
  return kDefaultBaseSeed;
}

std::string SeedTrace(uint32_t seed) {
  return "seed=" + std::to_string(seed) + " (replay: SHOAL_TEST_SEED=" + std::to_string(seed) +
         " --gtest_filter=<this test>, iteration 0)";
}

// Bytes that matter to the protocol, chosen often so that random values are
// full of things that look like frame boundaries.
constexpr char kInteresting[] = {'\r', '\n', '\0', '$', '*', '"', '\'', '\\', ' ',
                                 '\t', '-',  '0',  '1', '9', 'x', ':',  '+',  '\xff'};

char RandomByte(std::mt19937& rng) {
  if (rng() % 3 == 0) return kInteresting[rng() % sizeof(kInteresting)];
  return static_cast<char>(rng() & 0xff);
}

std::string RandomBytes(std::mt19937& rng, size_t n) {
  std::string s;
  s.reserve(n);
  for (size_t i = 0; i < n; ++i) s.push_back(RandomByte(rng));
  return s;
}

size_t RandomLength(std::mt19937& rng) {
  uint32_t r = rng() % 10;
  if (r < 6) return rng() % 9;
  if (r < 9) return rng() % 65;
  return rng() % 2001;
}

Args RandomArgs(std::mt19937& rng) {
  Args args;
  size_t n = rng() % 10 == 0 ? 0 : 1 + rng() % 8;
  for (size_t i = 0; i < n; ++i) args.push_back(RandomBytes(rng, RandomLength(rng)));
  return args;
}

std::string EncodeMultibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// An inline line that SplitInlineArgs turns back into `args`: every argument
// double-quoted, every byte outside printable ASCII as \xHH, arguments
// separated by random runs of blanks.
std::string EncodeInline(std::mt19937& rng, const Args& args) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr char kBlanks[] = {' ', '\t', '\v', '\f'};
  std::string out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      const size_t blanks = 1 + rng() % 3;
      for (size_t b = 0; b < blanks; ++b) out.push_back(kBlanks[rng() % sizeof(kBlanks)]);
    }
    out.push_back('"');
    for (char c : args[i]) {
      auto u = static_cast<unsigned char>(c);
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else if (u < 0x20 || u >= 0x7f) {
        out += "\\x";
        out.push_back(kHex[u >> 4]);
        out.push_back(kHex[u & 15]);
      } else {
        out.push_back(c);
      }
    }
    out.push_back('"');
  }
  out += "\r\n";
  return out;
}

// Cut points (exclusive ends of what has arrived) ending with size.
std::vector<size_t> RandomChunkEnds(std::mt19937& rng, size_t size) {
  std::vector<size_t> ends;
  size_t at = 0;
  while (at < size) {
    size_t step;
    switch (rng() % 4) {
      case 0:
        step = 1;
        break;
      case 1:
        step = 1 + rng() % 4;
        break;
      case 2:
        step = 1 + rng() % 64;
        break;
      default:
        step = 1 + rng() % 1024;
        break;
    }
    at = std::min(size, at + step);
    ends.push_back(at);
  }
  if (ends.empty()) ends.push_back(0);
  return ends;
}

struct Transcript {
  std::vector<Args> commands;
  Outcome last = Outcome::kNeedMore;
  std::string error;
  size_t consumed = 0;
  bool operator==(const Transcript&) const = default;
};

// Parses `stream` as it arrives in pieces ending at `chunk_ends`, like a
// connection: commands are consumed from the front, the unconsumed tail is
// offered again with more bytes. Each call sees an exact-size heap copy of
// the unconsumed bytes. Checks the invariants every caller relies on.
Transcript ParseInChunks(std::string_view stream, const std::vector<size_t>& chunk_ends,
                         ParserLimits limits) {
  RequestParser p(limits);
  Transcript t;
  size_t start = 0;
  size_t calls = 0;
  for (size_t end : chunk_ends) {
    while (start < end) {
      const size_t n = end - start;
      std::unique_ptr<char[]> window(new char[n]);
      std::memcpy(window.get(), stream.data() + start, n);
      const std::string_view data(window.get(), n);
      const Outcome r = p.Parse(data);
      ++calls;
      EXPECT_TRUE(r == Outcome::kCommand || r == Outcome::kNeedMore || r == Outcome::kError);
      t.last = r;
      if (r == Outcome::kError) {
        t.error = p.error();
        EXPECT_EQ(t.error.rfind("Protocol error: ", 0), 0u) << t.error;
        t.consumed = start;
        return t;
      }
      if (r == Outcome::kNeedMore) {
        EXPECT_GE(p.bytes_wanted(), 0);
        break;
      }
      // A command always makes progress and never claims bytes it was not given.
      EXPECT_GT(p.consumed(), 0u);
      EXPECT_LE(p.consumed(), n);
      if (p.consumed() == 0 || p.consumed() > n) return t;
      if (data[0] == '*') {
        // Multibulk arguments are views into the command's own bytes.
        for (std::string_view a : p.args()) {
          EXPECT_GE(a.data(), data.data());
          EXPECT_LE(a.data() + a.size(), data.data() + p.consumed());
        }
      }
      t.commands.emplace_back(p.args().begin(), p.args().end());
      start += p.consumed();
      if (calls > 4 * stream.size() + 16) {
        ADD_FAILURE() << "parser does not converge";
        return t;
      }
    }
  }
  // Ending exactly at a command boundary means the parser waits for more.
  if (t.last == Outcome::kCommand) t.last = Outcome::kNeedMore;
  t.consumed = start;
  return t;
}

std::vector<size_t> Whole(size_t size) { return {size}; }

// --- Round trips -------------------------------------------------------------

TEST(RequestParserRandom, MultibulkRoundTripSurvivesArbitrarySplits) {
  const uint32_t base = BaseSeed();
  for (uint32_t iter = 0; iter < 300; ++iter) {
    const uint32_t seed = base + iter;
    SCOPED_TRACE(SeedTrace(seed));
    std::mt19937 rng(seed);
    std::vector<Args> commands;
    std::string stream;
    const size_t n = 1 + rng() % 12;
    for (size_t i = 0; i < n; ++i) {
      commands.push_back(RandomArgs(rng));
      stream += EncodeMultibulk(commands.back());
    }
    for (const auto& ends : {Whole(stream.size()), RandomChunkEnds(rng, stream.size())}) {
      Transcript t = ParseInChunks(stream, ends, ParserLimits{});
      EXPECT_EQ(t.last, Outcome::kNeedMore) << t.error;
      EXPECT_EQ(t.commands, commands);
      EXPECT_EQ(t.consumed, stream.size());
    }
    if (HasFailure()) return;
  }
}

TEST(RequestParserRandom, MultibulkRoundTripByteByByte) {
  const uint32_t base = BaseSeed() + 100000;
  for (uint32_t iter = 0; iter < 30; ++iter) {
    const uint32_t seed = base + iter;
    SCOPED_TRACE(SeedTrace(seed));
    std::mt19937 rng(seed);
    std::vector<Args> commands;
    std::string stream;
    for (size_t i = 0; i < 4; ++i) {
      commands.push_back(RandomArgs(rng));
      stream += EncodeMultibulk(commands.back());
    }
    std::vector<size_t> ends;
    for (size_t i = 1; i <= stream.size(); ++i) ends.push_back(i);
    Transcript t = ParseInChunks(stream, ends, ParserLimits{});
    EXPECT_EQ(t.last, Outcome::kNeedMore) << t.error;
    EXPECT_EQ(t.commands, commands);
    if (HasFailure()) return;
  }
}

TEST(RequestParserRandom, QuotedInlineRoundTripSurvivesArbitrarySplits) {
  const uint32_t base = BaseSeed() + 200000;
  for (uint32_t iter = 0; iter < 300; ++iter) {
    const uint32_t seed = base + iter;
    SCOPED_TRACE(SeedTrace(seed));
    std::mt19937 rng(seed);
    std::vector<Args> commands;
    std::string stream;
    const size_t n = 1 + rng() % 8;
    for (size_t i = 0; i < n; ++i) {
      Args args = RandomArgs(rng);
      for (auto& a : args) a.resize(std::min<size_t>(a.size(), 200));
      commands.push_back(args);
      // Inline and multibulk commands may share a pipeline.
      stream += rng() % 2 ? EncodeInline(rng, args) : EncodeMultibulk(args);
    }
    Transcript t = ParseInChunks(stream, RandomChunkEnds(rng, stream.size()), ParserLimits{});
    EXPECT_EQ(t.last, Outcome::kNeedMore) << t.error;
    EXPECT_EQ(t.commands, commands);
    if (HasFailure()) return;
  }
}

// --- Malformed input ---------------------------------------------------------

constexpr char kStructural[] = {'*', '$', '\r', '\n', '0', '1', '2', '9',
                                '-', '"', '\'', '\\', ' ', 'x', '\0'};

void Mutate(std::mt19937& rng, std::string* s) {
  const size_t at = s->empty() ? 0 : rng() % (s->size() + 1);
  switch (rng() % 7) {
    case 0:  // flip a byte to anything
      if (!s->empty()) (*s)[at % s->size()] = static_cast<char>(rng() & 0xff);
      break;
    case 1:  // flip a byte to something structural
      if (!s->empty()) (*s)[at % s->size()] = kStructural[rng() % sizeof(kStructural)];
      break;
    case 2:  // insert a few bytes
      s->insert(at, RandomBytes(rng, 1 + rng() % 8));
      break;
    case 3:  // delete a few bytes
      if (at < s->size()) s->erase(at, 1 + rng() % 8);
      break;
    case 4:  // truncate
      s->resize(at);
      break;
    case 5: {  // duplicate a slice somewhere else
      if (s->empty()) break;
      size_t from = rng() % s->size();
      std::string slice = s->substr(from, 1 + rng() % 16);
      s->insert(at, slice);
      break;
    }
    default:  // bump a digit, changing a length or a count
      for (size_t i = 0; i < s->size(); ++i) {
        size_t j = (at + i) % s->size();
        if ((*s)[j] >= '0' && (*s)[j] <= '9') {
          (*s)[j] = static_cast<char>('0' + rng() % 10);
          break;
        }
      }
      break;
  }
}

std::string RandomValidStream(std::mt19937& rng) {
  std::string stream;
  const size_t n = 1 + rng() % 4;
  for (size_t i = 0; i < n; ++i) {
    Args args = RandomArgs(rng);
    for (auto& a : args) a.resize(std::min<size_t>(a.size(), 40));
    stream += rng() % 3 ? EncodeMultibulk(args) : EncodeInline(rng, args);
  }
  return stream;
}

// Returns what parsing the whole stream at once gave.
Transcript CheckNoCrashAndAgreement(std::mt19937& rng, const std::string& stream) {
  // Large limits: splitting the stream must not change what is parsed, errors
  // included.
  Transcript whole = ParseInChunks(stream, Whole(stream.size()), ParserLimits{});
  Transcript split = ParseInChunks(stream, RandomChunkEnds(rng, stream.size()), ParserLimits{});
  EXPECT_EQ(split.commands, whole.commands);
  EXPECT_EQ(split.last, whole.last);
  EXPECT_EQ(split.error, whole.error);
  // Tight limits drive the limit paths; only safety is checked there.
  ParserLimits tight;
  tight.max_bulk_bytes = static_cast<int64_t>(rng() % 48);
  tight.max_multibulk_len = static_cast<int64_t>(rng() % 10);
  tight.max_inline_bytes = static_cast<int64_t>(1 + rng() % 40);
  (void)ParseInChunks(stream, Whole(stream.size()), tight);
  (void)ParseInChunks(stream, RandomChunkEnds(rng, stream.size()), tight);
  return whole;
}

// Counts outcomes so a test can tell it explored both commands and errors.
struct Tally {
  int commands = 0;
  int errors = 0;
  void Add(const Transcript& t) {
    commands += static_cast<int>(t.commands.size());
    errors += t.last == Outcome::kError ? 1 : 0;
  }
};

TEST(RequestParserRandom, MutatedFramesNeverCrashAndEndInAKnownOutcome) {
  const uint32_t base = BaseSeed() + 300000;
  Tally tally;
  for (uint32_t iter = 0; iter < 3000; ++iter) {
    const uint32_t seed = base + iter;
    SCOPED_TRACE(SeedTrace(seed));
    std::mt19937 rng(seed);
    std::string stream = RandomValidStream(rng);
    const size_t mutations = 1 + rng() % 4;
    for (size_t m = 0; m < mutations; ++m) Mutate(rng, &stream);
    tally.Add(CheckNoCrashAndAgreement(rng, stream));
    if (HasFailure()) return;
  }
  EXPECT_GT(tally.commands, 1000);
  EXPECT_GT(tally.errors, 500);
}

TEST(RequestParserRandom, RandomGarbageNeverCrashes) {
  const uint32_t base = BaseSeed() + 400000;
  Tally tally;
  for (uint32_t iter = 0; iter < 2000; ++iter) {
    const uint32_t seed = base + iter;
    SCOPED_TRACE(SeedTrace(seed));
    std::mt19937 rng(seed);
    std::string stream = RandomBytes(rng, rng() % 256);
    // Half the time, make it look like the start of a multibulk.
    if (rng() % 2) stream.insert(0, "*" + std::to_string(rng() % 5) + "\r\n");
    tally.Add(CheckNoCrashAndAgreement(rng, stream));
    if (HasFailure()) return;
  }
  EXPECT_GT(tally.errors, 500);
}

}  // namespace
}  // namespace shoal::resp
