// shoal-raft-sim: runs the deterministic Raft simulator over a range of
// seeds, or replays one seed.
//
//   shoal-raft-sim --seeds 2000 --start 1 --nodes 3   # seeds 1..2000
//   shoal-raft-sim --seed 1234 --nodes 5 --verbose    # replay one seed
//   shoal-raft-sim --ci --nodes 3                     # the CI budget
//
// A failure prints the seed, the violated invariant and the command that
// replays it, and exits 1. A crash inside the Raft core (a failed CHECK)
// prints the same from a signal handler.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/raft/sim/simulator.h"

namespace {

using shoal::raft::sim::Outcome;
using shoal::raft::sim::SimOptions;
using shoal::raft::sim::Simulator;

// Seeds that caught real bugs in cluster/raft, with what they found; they
// run before any range. A change to the simulator's random draws moves what
// a seed exercises, so each bug is also kept as a mutation patch
// (tests/raft/mutations/f-*, g-*, h-*) that scripts/raft-mutations.sh
// checks is still caught.
struct Regression {
  uint64_t seed;
  int nodes;
  const char* profile;
  const char* found;
};
constexpr Regression kRegressions[] = {
    // RawNode::GetReady did not ask for an fsync of a Ready holding only a
    // snapshot: a follower acked the snapshot, lost it in a power loss, and
    // then committed its own stale entry at that index from the leader's
    // heartbeat. (First found as seed 32, 3 nodes, before leader churn was
    // added to the plans.)
    {1, 3, "", "snapshot acknowledged before it was fsynced"},
    // A leader never resent appends to a follower in Replicate whose whole
    // pipeline (max_inflight_msgs) was lost: heartbeat responses found it
    // paused, and replication to that follower stopped for good. (First
    // found as seed 4, 3 nodes.)
    {9, 3, "", "a full pipeline of lost appends stalled a follower forever"},
    {1000014, 5, "", "a full pipeline of lost appends stalled a follower forever"},
    // With lease reads, a follower that acked the leader's heartbeat and
    // restarted at once voted for a candidate the leader could not reach
    // (it no longer knew it followed a leader), so the old leader served a
    // stale read from its lease while the new one had committed more.
    {6240, 3, "lease-restart", "a restarted follower voted inside a leader's lease"},
};

// The seeds ctest runs (tests/CMakeLists.txt) and scripts/raft-mutations.sh
// expects to catch every mutation: one place to change the budget.
struct CiBudget {
  int nodes;
  uint64_t start;
  uint64_t seeds;
};
constexpr CiBudget kCiBudgets[] = {{3, 1, 3000}, {5, 1000001, 2500}};

// Prepared before each seed so the signal handler only has to write it.
char g_crash_note[512];

void OnFatalSignal(int sig) {
  ssize_t ignored = write(STDERR_FILENO, g_crash_note, std::strlen(g_crash_note));
  (void)ignored;
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

std::string ReplayCommand(const char* argv0, const SimOptions& o) {
  return std::string(argv0) + " --seed " + std::to_string(o.seed) + " --nodes " +
         std::to_string(o.nodes) + (o.profile.empty() ? "" : " --profile " + o.profile) +
         " --verbose";
}

struct Totals {
  uint64_t runs = 0, failures = 0, ticks = 0, messages = 0, crashes = 0, leaders = 0, acked = 0,
           reads = 0, snapshots = 0, max_liveness_ticks = 0;
};

// Runs one seed; prints and returns false if it fails.
bool RunSeed(const char* argv0, const SimOptions& o, Totals* totals) {
  std::snprintf(g_crash_note, sizeof(g_crash_note),
                "FAIL seed=%llu nodes=%d: crashed (see above)\nreplay: %s\n",
                static_cast<unsigned long long>(o.seed), o.nodes, ReplayCommand(argv0, o).c_str());
  Simulator sim(o);
  Outcome out = sim.Run();
  ++totals->runs;
  totals->ticks += out.ticks;
  totals->messages += out.messages;
  totals->crashes += out.crashes;
  totals->leaders += out.leaders;
  totals->acked += out.acked;
  totals->reads += out.reads;
  totals->snapshots += out.snapshots_sent;
  totals->max_liveness_ticks = std::max(totals->max_liveness_ticks, out.liveness_ticks);
  if (out.ok) return true;
  ++totals->failures;
  std::printf("FAIL seed=%llu nodes=%d: %s\nreplay: %s\n", static_cast<unsigned long long>(o.seed),
              o.nodes, out.failure.c_str(), ReplayCommand(argv0, o).c_str());
  std::fflush(stdout);
  return false;
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--seeds N] [--start S | --ci] [--nodes 3|5] [--profile P] "
               "[--keep-going] [--no-regressions]\n"
               "       %s --seed X [--nodes 3|5] [--profile P] [--verbose] [--trace]\n"
               "profiles: lease-restart\n",
               argv0, argv0);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seeds = 100, start = 1, one_seed = 0;
  bool have_one = false, keep_going = false, regressions = true, ci = false;
  SimOptions base;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--seeds" && (v = next())) {
      seeds = std::strtoull(v, nullptr, 10);
    } else if (a == "--start" && (v = next())) {
      start = std::strtoull(v, nullptr, 10);
    } else if (a == "--seed" && (v = next())) {
      one_seed = std::strtoull(v, nullptr, 10);
      have_one = true;
    } else if (a == "--nodes" && (v = next())) {
      base.nodes = std::atoi(v);
    } else if (a == "--profile" && (v = next())) {
      base.profile = v;
    } else if (a == "--verbose") {
      base.verbose = true;
    } else if (a == "--trace") {
      base.verbose = base.trace = true;
    } else if (a == "--ci") {
      ci = true;
    } else if (a == "--keep-going") {
      keep_going = true;
    } else if (a == "--no-regressions") {
      regressions = false;
    } else {
      return Usage(argv[0]);
    }
  }
  if (base.nodes != 3 && base.nodes != 5) return Usage(argv[0]);
  if (!shoal::raft::sim::Plan::KnownProfile(base.profile)) return Usage(argv[0]);
  if (ci) {
    for (const CiBudget& b : kCiBudgets) {
      if (b.nodes == base.nodes) {
        start = b.start;
        seeds = b.seeds;
      }
    }
  }
  std::signal(SIGABRT, OnFatalSignal);
  std::signal(SIGSEGV, OnFatalSignal);

  Totals totals;
  if (have_one) {
    base.seed = one_seed;
    std::printf("seed=%llu nodes=%d%s%s\n", static_cast<unsigned long long>(one_seed), base.nodes,
                base.profile.empty() ? "" : " profile=", base.profile.c_str());
    std::fflush(stdout);
    bool ok = RunSeed(argv[0], base, &totals);
    if (ok) std::printf("seed=%llu passed\n", static_cast<unsigned long long>(one_seed));
    return ok ? 0 : 1;
  }

  if (seeds == 0) {
    std::printf("shoal-raft-sim: regression seeds only\n");
  } else {
    std::printf("shoal-raft-sim: seeds %llu..%llu, %d nodes%s%s\n",
                static_cast<unsigned long long>(start),
                static_cast<unsigned long long>(start + seeds - 1), base.nodes,
                base.profile.empty() ? "" : ", profile ", base.profile.c_str());
  }
  std::fflush(stdout);
  auto t0 = std::chrono::steady_clock::now();
  if (regressions) {
    for (const Regression& r : kRegressions) {
      SimOptions o = base;
      o.seed = r.seed;
      o.nodes = r.nodes;
      o.profile = r.profile;
      if (!RunSeed(argv[0], o, &totals)) {
        std::printf("(regression seed; it found: %s)\n", r.found);
        if (!keep_going) return 1;
      }
    }
  }
  for (uint64_t s = start; s < start + seeds; ++s) {
    SimOptions o = base;
    o.seed = s;
    if (!RunSeed(argv[0], o, &totals) && !keep_going) return 1;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "ran %llu seeds in %.2f s (%.0f seeds/s): %llu failed; %llu ticks, %llu messages, %llu "
      "crashes, %llu leaders, %llu writes acked, %llu reads, %llu snapshots; slowest recovery "
      "%llu ticks\n",
      static_cast<unsigned long long>(totals.runs), secs, static_cast<double>(totals.runs) / secs,
      static_cast<unsigned long long>(totals.failures),
      static_cast<unsigned long long>(totals.ticks),
      static_cast<unsigned long long>(totals.messages),
      static_cast<unsigned long long>(totals.crashes),
      static_cast<unsigned long long>(totals.leaders),
      static_cast<unsigned long long>(totals.acked), static_cast<unsigned long long>(totals.reads),
      static_cast<unsigned long long>(totals.snapshots),
      static_cast<unsigned long long>(totals.max_liveness_ticks));
  return totals.failures == 0 ? 0 : 1;
}
