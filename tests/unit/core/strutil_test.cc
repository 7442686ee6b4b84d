// Number parsing/formatting and glob matching with Redis's rules.
#include "core/strutil.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace shoal {
namespace {

// --- ParseInt64 --------------------------------------------------------------

TEST(ParseInt64, AcceptsPlainDecimalIntegers) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("7"), 7);
  EXPECT_EQ(ParseInt64("-7"), -7);
  EXPECT_EQ(ParseInt64("1234567890"), 1234567890);
  EXPECT_EQ(ParseInt64("-1000"), -1000);
}

TEST(ParseInt64, AcceptsTheInt64Extremes) {
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseInt64("-9223372036854775808"), INT64_MIN);
}

TEST(ParseInt64, RejectsOverflow) {
  EXPECT_EQ(ParseInt64("9223372036854775808"), std::nullopt);
  EXPECT_EQ(ParseInt64("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(ParseInt64("18446744073709551615"), std::nullopt);
  EXPECT_EQ(ParseInt64("18446744073709551616"), std::nullopt);
  EXPECT_EQ(ParseInt64("99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseInt64("-99999999999999999999"), std::nullopt);
  EXPECT_EQ(ParseInt64("100000000000000000000"), std::nullopt);
}

TEST(ParseInt64, RejectsNegativeZeroAndLeadingZeros) {
  EXPECT_EQ(ParseInt64("-0"), std::nullopt);
  EXPECT_EQ(ParseInt64("01"), std::nullopt);
  EXPECT_EQ(ParseInt64("00"), std::nullopt);
  EXPECT_EQ(ParseInt64("-01"), std::nullopt);
}

TEST(ParseInt64, RejectsSignsSpacesAndJunk) {
  for (std::string_view s : {"", "-", "+", "+1", " 1", "1 ", "1\t", "1a", "a1", "1.0", "1e3", "--1",
                             "0x10", "\xef\xbc\x91"}) {
    EXPECT_EQ(ParseInt64(s), std::nullopt) << "'" << s << "'";
  }
  EXPECT_EQ(ParseInt64(std::string_view("1\0", 2)), std::nullopt);
}

TEST(ParseInt64, ArgumentParserIsTheSameStrictParser) {
  EXPECT_EQ(ParseInt64("-5"), -5);
  EXPECT_EQ(ParseInt64("+5"), std::nullopt);
  EXPECT_EQ(ParseInt64("05"), std::nullopt);
}

TEST(ParseInt64, RoundTripsRandomValues) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 10000; ++i) {
    auto v = static_cast<int64_t>(rng()) >> (rng() % 64);
    EXPECT_EQ(ParseInt64(std::to_string(v)), v);
  }
}

// --- ParseLongDouble / ParseDouble -------------------------------------------

TEST(ParseLongDouble, AcceptsDecimalAndExponentForms) {
  EXPECT_EQ(ParseLongDouble("1.5"), 1.5L);
  EXPECT_EQ(ParseLongDouble("-0.25"), -0.25L);
  EXPECT_EQ(ParseLongDouble("10"), 10.0L);
  EXPECT_EQ(ParseLongDouble("5.0e3"), 5000.0L);
  EXPECT_EQ(ParseLongDouble(".5"), 0.5L);
}

TEST(ParseLongDouble, RejectsSpacesJunkAndNan) {
  for (std::string_view s : {"", " 1", "1 ", "\t1", "1\n", "abc", "1.5x", "nan", "-nan", "1..2"}) {
    EXPECT_EQ(ParseLongDouble(s), std::nullopt) << "'" << s << "'";
  }
}

TEST(ParseLongDouble, RejectsOutOfRangeValues) {
  EXPECT_EQ(ParseLongDouble("1e5000"), std::nullopt);
  EXPECT_EQ(ParseLongDouble("-1e5000"), std::nullopt);
  EXPECT_EQ(ParseLongDouble("1e-5000"), std::nullopt);
}

TEST(ParseLongDouble, RejectsOverlongInput) {
  EXPECT_EQ(ParseLongDouble("1." + std::string(5000, '0')), std::nullopt);
}

TEST(ParseDouble, AcceptsInfinitiesButNotNan) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(ParseDouble("inf"), inf);
  EXPECT_EQ(ParseDouble("+inf"), inf);
  EXPECT_EQ(ParseDouble("-inf"), -inf);
  EXPECT_EQ(ParseDouble("nan"), std::nullopt);
  EXPECT_EQ(ParseDouble("1.5"), 1.5);
  EXPECT_EQ(ParseDouble(" 1.5"), std::nullopt);
  EXPECT_EQ(ParseDouble("1.5 "), std::nullopt);
  EXPECT_EQ(ParseDouble(""), std::nullopt);
}

// Redis (getDoubleFromObject) refuses a literal that overflows to HUGE_VAL or
// underflows to zero, and accepts subnormal results.
TEST(ParseDouble, OverflowingLiteralIsRejectedLikeRedis) {
  EXPECT_EQ(ParseDouble("1e400"), std::nullopt);
  EXPECT_EQ(ParseDouble("-1e400"), std::nullopt);
}

TEST(ParseDouble, UnderflowToZeroIsRejectedLikeRedis) {
  EXPECT_EQ(ParseDouble("1e-400"), std::nullopt);
}

TEST(ParseDouble, SubnormalLiteralIsAcceptedLikeRedis) {
  auto v = ParseDouble("1e-310");
  ASSERT_TRUE(v.has_value());
  EXPECT_GT(*v, 0.0);
  EXPECT_LT(*v, std::numeric_limits<double>::min());
}

// --- Formatting --------------------------------------------------------------

TEST(FormatLongDoubleHuman, TrimsTrailingZerosAndThePoint) {
  EXPECT_EQ(FormatLongDoubleHuman(3.0L), "3");
  EXPECT_EQ(FormatLongDoubleHuman(-1.5L), "-1.5");
  EXPECT_EQ(FormatLongDoubleHuman(0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(5000.0L), "5000");
  EXPECT_EQ(FormatLongDoubleHuman(1e20L), "100000000000000000000");
}

TEST(FormatLongDoubleHuman, IncrByFloatSumsLookDecimal) {
  EXPECT_EQ(FormatLongDoubleHuman(10.5L + 0.1L), "10.6");
  EXPECT_EQ(FormatLongDoubleHuman(0.1L + 0.2L), "0.3");
  EXPECT_EQ(FormatLongDoubleHuman(5.0e3L + 2.0e2L), "5200");
}

TEST(FormatLongDoubleHuman, KeepsSeventeenFractionDigits) {
  EXPECT_EQ(FormatLongDoubleHuman(1.0L / 3.0L), "0.33333333333333333");
}

TEST(FormatLongDoubleHuman, NegativeZeroAndTinyNegativesPrintAsZero) {
  EXPECT_EQ(FormatLongDoubleHuman(-0.0L), "0");
  EXPECT_EQ(FormatLongDoubleHuman(-1e-20L), "0");
}

TEST(FormatLongDoubleHuman, HugeValuesStillFormat) {
  std::string s = FormatLongDoubleHuman(1e300L);
  EXPECT_EQ(s.size(), 301u);
  EXPECT_EQ(s.find_first_not_of("0123456789"), std::string::npos) << s;
}

TEST(FormatDouble, UsesSeventeenSignificantDigits) {
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(0), "0");
  EXPECT_EQ(FormatDouble(-2), "-2");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1e300), "1.0000000000000001e+300");
}

TEST(FormatDouble, SpellsInfinities) {
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(FormatDouble, RoundTripsThroughParseDouble) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    if (std::isnan(d) || (d != 0 && std::fabs(d) < std::numeric_limits<double>::min())) continue;
    auto back = ParseDouble(FormatDouble(d));
    ASSERT_TRUE(back.has_value()) << FormatDouble(d);
    EXPECT_EQ(*back, d) << FormatDouble(d);
  }
}

// --- GlobMatch ---------------------------------------------------------------

struct GlobCase {
  const char* pattern;
  const char* str;
  bool match;
};

void CheckGlob(std::initializer_list<GlobCase> cases, bool nocase = false) {
  for (const auto& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.str, nocase), c.match)
        << "pattern '" << c.pattern << "' string '" << c.str << "' nocase " << nocase;
  }
}

TEST(GlobMatch, StarAndQuestionMark) {
  CheckGlob({
      {"*", "", true},
      {"*", "anything", true},
      {"", "", true},
      {"", "a", false},
      {"h?llo", "hello", true},
      {"h?llo", "hallo", true},
      {"h?llo", "hllo", false},
      {"h*llo", "hllo", true},
      {"h*llo", "heeeello", true},
      {"h*llo", "hello!", false},
      {"*llo", "hello", true},
      {"he*", "hello", true},
      {"**a**", "xxaxx", true},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXcYb", false},
      {"?", "", false},
      {"???", "abc", true},
  });
}

TEST(GlobMatch, CharacterClasses) {
  CheckGlob({
      {"h[ae]llo", "hello", true},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"h[ae]llo", "hllo", false},
      {"[abc]", "", false},
  });
}

TEST(GlobMatch, NegatedClasses) {
  CheckGlob({
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hbllo", true},
      {"h[^e]llo", "hello", false},
      {"[^a-c]", "d", true},
      {"[^a-c]", "b", false},
  });
}

TEST(GlobMatch, Ranges) {
  CheckGlob({
      {"h[a-b]llo", "hallo", true},
      {"h[a-b]llo", "hbllo", true},
      {"h[a-b]llo", "hcllo", false},
      {"[z-a]", "m", true},  // reversed ranges are swapped, as in Redis
      {"[0-9][0-9]", "42", true},
      {"[0-9]", "x", false},
      {"[a-]", "-", true},  // a '-' before ']' is literal
      {"[a-]", "a", true},
      {"[a-]", "b", false},
  });
}

TEST(GlobMatch, Escapes) {
  CheckGlob({
      {"h\\*llo", "h*llo", true},
      {"h\\*llo", "hello", false},
      {"h\\?llo", "h?llo", true},
      {"h\\?llo", "hello", false},
      {"\\[a]", "[a]", true},
      {"[\\]]", "]", true},
      {"[\\^a]", "^", true},
      {"[\\-]", "-", true},
      {"a\\\\b", "a\\b", true},
      {"a\\", "a\\", true},  // a trailing backslash matches itself
  });
}

TEST(GlobMatch, UnclosedClassRunsToTheEnd) {
  CheckGlob({
      {"[abc", "a", true},
      {"[abc", "c", true},
      {"[abc", "d", false},
  });
}

TEST(GlobMatch, NoCaseFoldsLettersEverywhere) {
  CheckGlob(
      {
          {"HELLO", "hello", true},
          {"h?LLo", "HeLlO", true},
          {"[A-C]x", "bX", true},
          {"[a-c]x", "BX", true},
          {"[^A]", "a", false},
          {"*WORLD", "hello world", true},
      },
      /*nocase=*/true);
  CheckGlob({
      {"HELLO", "hello", false},
      {"[A-C]", "b", false},
  });
}

TEST(GlobMatch, BinarySafe) {
  const std::string key("a\0b", 3);
  EXPECT_TRUE(GlobMatch(std::string_view("a\0*", 3), key));
  EXPECT_TRUE(GlobMatch("a?b", key));
  EXPECT_FALSE(GlobMatch("a", key));
}

// A pattern with many stars against a long non-matching string must finish
// in about linear time (Redis has a regression test for exactly this: KEYS
// and SCAN MATCH run it against every key). The check runs in a child
// process with an alarm, so a slow matcher fails the test instead of hanging
// the suite.
TEST(GlobMatchDeathTest, PathologicalPatternFinishesQuickly) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        alarm(3);
        const std::string long_a(10000, 'a');
        bool m1 = GlobMatch("*a*a*a*a*a*a*b", long_a);
        std::string many = "a";
        for (int i = 0; i < 80; ++i) many += "*a";
        many += "*b";
        bool m2 = GlobMatch(many, std::string(100, 'a'));
        std::_Exit(m1 || m2 ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(GlobMatch, ManyStarsStillMatchWhenTheyShould) {
  std::string pattern;
  for (int i = 0; i < 50; ++i) pattern += "a*";
  std::string s;
  for (int i = 0; i < 50; ++i) s += "ab";
  EXPECT_TRUE(GlobMatch(pattern, s));
}

// --- Case helpers ------------------------------------------------------------

TEST(EqualsIgnoreCase, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(EqualsIgnoreCase("GeT", "get"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("get", "gets"));
  EXPECT_FALSE(EqualsIgnoreCase("get", "set"));
}

TEST(ToLowerToUpper, ChangeOnlyAsciiLetters) {
  EXPECT_EQ(ToLower("HeLLo-123"), "hello-123");
  EXPECT_EQ(ToUpper("HeLLo-123"), "HELLO-123");
  EXPECT_EQ(ToLower(std::string_view("A\0B", 3)), std::string("a\0b", 3));
}

}  // namespace
}  // namespace shoal
