// shoal-raft-scripts: runs the scripted Raft interaction tests
// (tests/raft/testdata/*.txt) in the style of etcd's raft testdata.
//
// A script is a sequence of blocks separated by blank lines:
//
//   # comments (and blank lines) between blocks are kept as they are
//   campaign 1
//   ----
//   <the exact expected output>
//
// Each command runs in one InteractionEnv (tests/raft/interaction_env.h);
// its output must match the expectation exactly. On a mismatch the runner
// prints a diff with the script's line number and exits 1.
//
//   shoal-raft-scripts [--rewrite] FILE...
//
// --rewrite replaces every expectation with the actual output, in place:
// the resulting diff is reviewed like code, never edited by hand.
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/raft/interaction_env.h"

namespace shoal::raft::testing {
namespace {

struct Block {
  std::vector<std::string> before;  // comments and blank lines before it
  int line = 0;                     // of the command, 1-based
  std::string command;
  std::vector<std::string> expected;
  std::vector<std::string> actual;
};

struct Script {
  std::vector<Block> blocks;
  std::vector<std::string> tail;  // comments and blank lines at the end
};

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

Result<Script> Parse(const std::string& path, const std::string& text) {
  std::vector<std::string> lines = SplitLines(text);
  Script s;
  std::vector<std::string> pending;
  for (size_t i = 0; i < lines.size();) {
    if (lines[i].empty() || lines[i][0] == '#') {
      pending.push_back(lines[i++]);
      continue;
    }
    Block b;
    b.before = std::move(pending);
    pending.clear();
    b.line = static_cast<int>(i + 1);
    b.command = lines[i++];
    if (i >= lines.size() || lines[i] != "----") {
      return Status::InvalidArgument(path + ":" + std::to_string(b.line) +
                                     ": expected ---- after the command");
    }
    for (++i; i < lines.size() && !lines[i].empty(); ++i) b.expected.push_back(lines[i]);
    s.blocks.push_back(std::move(b));
  }
  s.tail = std::move(pending);
  return s;
}

std::string Render(const Script& s) {
  std::string out;
  auto put = [&](const std::string& l) { out += l + "\n"; };
  for (const auto& b : s.blocks) {
    for (const auto& l : b.before) put(l);
    put(b.command);
    put("----");
    for (const auto& l : b.actual) put(l);
  }
  for (const auto& l : s.tail) put(l);
  return out;
}

// A line diff (longest common subsequence) showing 3 lines of context
// around each change; '-' is expected, '+' is actual.
std::string Diff(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> lcs(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<std::pair<char, std::string>> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.emplace_back(' ', a[i++]);
      ++j;
    } else if (j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.emplace_back('-', a[i++]);
    } else {
      ops.emplace_back('+', b[j++]);
    }
  }
  constexpr size_t kContext = 3;
  std::vector<bool> show(ops.size(), false);
  for (size_t k = 0; k < ops.size(); ++k) {
    if (ops[k].first == ' ') continue;
    size_t lo = k >= kContext ? k - kContext : 0;
    for (size_t x = lo; x < ops.size() && x <= k + kContext; ++x) show[x] = true;
  }
  std::string out = "--- expected\n+++ actual\n";
  bool skipped = false;
  for (size_t k = 0; k < ops.size(); ++k) {
    if (!show[k]) {
      skipped = true;
      continue;
    }
    if (skipped) out += "@@ ... @@\n";
    skipped = false;
    out += std::string(1, ops[k].first) + ops[k].second + "\n";
  }
  return out;
}

// Runs one script; returns whether it passed (or was rewritten).
bool RunFile(const std::string& path, bool rewrite) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot open\n";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = Parse(path, text.str());
  if (!parsed.ok()) {
    std::cerr << parsed.status().message() << "\n";
    return false;
  }
  Script& script = *parsed;
  InteractionEnv env;
  int mismatches = 0;
  for (auto& b : script.blocks) {
    auto out = env.Run(b.command);
    if (!out.ok()) {
      std::cerr << path << ":" << b.line << ": " << b.command << ": " << out.status().message()
                << "\n";
      return false;
    }
    b.actual = SplitLines(*out);
    if (b.actual != b.expected && !rewrite) {
      ++mismatches;
      std::cerr << path << ":" << b.line << ": output of '" << b.command << "' differs\n"
                << Diff(b.expected, b.actual);
    }
  }
  if (rewrite) {
    std::string rendered = Render(script);
    if (rendered != text.str()) {
      std::ofstream(path, std::ios::trunc) << rendered;
      std::cout << path << ": rewritten\n";
    }
    return true;
  }
  if (mismatches > 0) {
    std::cerr << path << ": " << mismatches << " block(s) differ (run with --rewrite to accept)\n";
    return false;
  }
  std::cout << path << ": " << script.blocks.size() << " blocks ok\n";
  return true;
}

int Main(int argc, char** argv) {
  bool rewrite = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--rewrite") {
      rewrite = true;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << "usage: shoal-raft-scripts [--rewrite] FILE...\n";
    return 2;
  }
  bool ok = true;
  for (const auto& f : files) ok &= RunFile(f, rewrite);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace shoal::raft::testing

int main(int argc, char** argv) {
  try {
    return shoal::raft::testing::Main(argc, argv);
  } catch (const std::exception& e) {  // e.g. bad_alloc, or a failed file write
    std::fprintf(stderr, "shoal-raft-scripts: %s\n", e.what());
    return 1;
  }
}
