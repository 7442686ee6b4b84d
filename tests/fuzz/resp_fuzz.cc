// libFuzzer target for the RESP codec (core/resp/): the request parser, fed
// the way a connection feeds it, and the reply parser. Built and run by
// scripts/fuzz.sh with clang, AddressSanitizer and UndefinedBehaviorSanitizer.
//
// Checks, beyond "no crash, no out-of-bounds read, no UB":
// - a command always consumes at least one byte and never more than given;
// - every error message is a "Protocol error: ..." line;
// - parsing the input in one buffer and in small pieces (each piece an
//   exact-size heap copy, so reading past it is caught) gives the same
//   commands and the same final outcome and error;
// - a decoded reply consumes at least one byte and never more than given.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/resp/request_parser.h"
#include "core/resp/value.h"

namespace {

using shoal::resp::ParserLimits;
using shoal::resp::ReplyParser;
using shoal::resp::RequestParser;
using shoal::resp::Value;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "resp_fuzz: %s\n", what);
  std::abort();
}

struct Transcript {
  std::vector<std::vector<std::string>> commands;
  RequestParser::Outcome last = RequestParser::Outcome::kNeedMore;
  std::string error;
};

// Runs the parser over `data` as it arrives in pieces of the given sizes
// (cycled), consuming commands like the server's read loop. A step of 0
// means "everything at once".
Transcript Run(std::string_view data, const std::vector<size_t>& steps, ParserLimits limits) {
  RequestParser p(limits);
  Transcript t;
  size_t start = 0;  // first unconsumed byte
  size_t end = 0;    // bytes arrived so far
  size_t step_index = 0;
  while (end < data.size()) {
    const size_t step = steps.empty() ? 0 : steps[step_index++ % steps.size()];
    end = step == 0 ? data.size() : std::min(data.size(), end + step);
    while (start < end) {
      const size_t n = end - start;
      std::unique_ptr<char[]> window(new char[n]);
      std::memcpy(window.get(), data.data() + start, n);
      const std::string_view view(window.get(), n);
      const auto r = p.Parse(view);
      t.last = r;
      if (r == RequestParser::Outcome::kError) {
        t.error = p.error();
        if (t.error.rfind("Protocol error: ", 0) != 0) Fail("error without 'Protocol error: '");
        return t;
      }
      if (r == RequestParser::Outcome::kNeedMore) break;
      if (r != RequestParser::Outcome::kCommand) Fail("unknown outcome");
      const size_t consumed = p.consumed();
      if (consumed == 0) Fail("command consumed nothing");
      if (consumed > n) Fail("command consumed more than it was given");
      std::vector<std::string> args;
      for (std::string_view a : p.args()) {
        if (view[0] == '*' &&
            (a.data() < view.data() || a.data() + a.size() > view.data() + consumed)) {
          Fail("multibulk argument outside its command");
        }
        args.emplace_back(a);  // reads every byte of the view
      }
      t.commands.push_back(std::move(args));
      start += consumed;
    }
  }
  if (t.last == RequestParser::Outcome::kCommand) t.last = RequestParser::Outcome::kNeedMore;
  return t;
}

void FuzzRequestParser(std::string_view data) {
  // Piece sizes come from the input's first bytes, so the fuzzer explores
  // splits too.
  std::vector<size_t> steps;
  for (size_t i = 0; i < data.size() && i < 4; ++i) {
    steps.push_back(1 + static_cast<unsigned char>(data[i]) % 17);
  }
  const Transcript whole = Run(data, {}, ParserLimits{});
  const Transcript split = Run(data, steps, ParserLimits{});
  if (whole.commands != split.commands || whole.last != split.last || whole.error != split.error) {
    Fail("parsing in pieces differs from parsing at once");
  }
  // Tight limits: exercise the limit paths (safety only).
  ParserLimits tight;
  tight.max_bulk_bytes = 16;
  tight.max_multibulk_len = 4;
  tight.max_inline_bytes = 32;
  (void)Run(data, {}, tight);
  (void)Run(data, steps, tight);
}

void FuzzReplyParser(std::string_view data) {
  size_t pos = 0;
  for (int i = 0; i < 64 && pos < data.size(); ++i) {
    Value v;
    size_t consumed = 0;
    const auto r = ReplyParser::Parse(data.substr(pos), &v, &consumed);
    if (r != ReplyParser::Outcome::kValue) break;
    if (consumed == 0) Fail("reply consumed nothing");
    if (consumed > data.size() - pos) Fail("reply consumed more than it was given");
    (void)v.ToString();
    pos += consumed;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  FuzzRequestParser(data);
  FuzzReplyParser(data);
  std::vector<std::string> inline_args;
  (void)shoal::resp::SplitInlineArgs(data, &inline_args);
  return 0;
}
