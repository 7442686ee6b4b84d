#include "core/strutil.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace shoal {

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return std::nullopt;
  }
  if (s.size() == 1 && s[0] == '0') return 0;
  if (s[i] < '1' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  if (neg) {
    // -(INT64_MIN) does not fit in int64; compare in unsigned space.
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  if (s.empty() || s.size() > 5000) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return std::nullopt;
  }
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  long double v = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v) || errno == ERANGE) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 5000) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return std::nullopt;
  // Like Redis: overflow (to inf) and underflow (to 0) are errors; the
  // literal "inf" and subnormal results are fine.
  if (errno == ERANGE && (std::isinf(v) || v == 0)) return std::nullopt;
  return v;
}

std::string FormatLongDoubleHuman(long double v) {
  char buf[5600];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || n >= static_cast<int>(sizeof(buf))) return "0";
  std::string out(buf, static_cast<size_t>(n));
  if (out.find('.') != std::string::npos) {
    while (!out.empty() && out.back() == '0') out.pop_back();
    if (!out.empty() && out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string FormatDouble(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  int n = std::snprintf(buf, sizeof(buf), "%.17g", v);
  return std::string(buf, static_cast<size_t>(n));
}

namespace {

char Fold(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Matches one pattern element (not '*') at *p against c; advances *p past
// the element. A '[' class with no closing ']' runs to the pattern's end.
bool MatchOne(const char** pp, const char* pend, char c, bool nocase) {
  const char* p = *pp;
  bool matched = false;
  if (*p == '?') {
    matched = true;
    ++p;
  } else if (*p == '[') {
    ++p;
    bool negate = p < pend && *p == '^';
    if (negate) ++p;
    while (p < pend && *p != ']') {
      if (*p == '\\' && p + 1 < pend) {
        ++p;
        if (Fold(*p, nocase) == Fold(c, nocase)) matched = true;
      } else if (p + 2 < pend && p[1] == '-' && p[2] != ']') {
        char lo = Fold(p[0], nocase), hi = Fold(p[2], nocase), f = Fold(c, nocase);
        if (lo > hi) std::swap(lo, hi);
        if (f >= lo && f <= hi) matched = true;
        p += 2;
      } else if (Fold(*p, nocase) == Fold(c, nocase)) {
        matched = true;
      }
      ++p;
    }
    if (p < pend) ++p;  // the closing ']'
    if (negate) matched = !matched;
  } else {
    if (*p == '\\' && p + 1 < pend) ++p;
    matched = Fold(*p, nocase) == Fold(c, nocase);
    ++p;
  }
  *pp = p;
  return matched;
}

// Iterative glob with one backtrack point (the last '*'): O(len(pattern) *
// len(string)) at worst, so no pattern can make KEYS or SCAN run away.
bool Match(const char* p, const char* pend, const char* s, const char* send, bool nocase) {
  const char* star_p = nullptr;  // just after the last '*' seen
  const char* star_s = nullptr;  // where that '*' currently stops
  while (s < send) {
    if (p < pend && *p == '*') {
      while (p < pend && *p == '*') ++p;
      if (p == pend) return true;
      star_p = p;
      star_s = s;
      continue;
    }
    const char* next = p;
    if (p < pend && MatchOne(&next, pend, *s, nocase)) {
      p = next;
      ++s;
      continue;
    }
    if (star_p == nullptr) return false;
    // Let the last '*' swallow one more character and retry from there.
    p = star_p;
    s = ++star_s;
  }
  while (p < pend && *p == '*') ++p;
  return p == pend;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  return Match(pattern.data(), pattern.data() + pattern.size(), str.data(), str.data() + str.size(),
               nocase);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ToUpper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace shoal
