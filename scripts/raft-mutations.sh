#!/usr/bin/env bash
# Mutation testing of the Raft simulator. Each tests/raft/mutations/*.patch
# breaks cluster/raft on purpose; the simulator must catch every one within
# the CI seed budget (shoal-raft-sim --ci). For each patch this copies the
# source tree (not the build dirs) to a scratch dir once, applies the patch
# there (failing if it no longer applies), builds only shoal-raft-sim, runs
# the 3- and 5-node seed ranges side by side and the regression seeds (the
# whole of what ctest runs), reports the first failing seed of each, and
# reverts the patch.
# Exits 1 if any patch is not caught.
#
#   scripts/raft-mutations.sh                 # every patch
#   scripts/raft-mutations.sh tests/raft/mutations/b-*.patch
#   KEEP_SCRATCH=1 scripts/raft-mutations.sh  # leave the scratch dir
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

PATCHES=("$@")
if [ ${#PATCHES[@]} -eq 0 ]; then PATCHES=(tests/raft/mutations/*.patch); fi

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/shoal-mutations.XXXXXX")
cleanup() { if [ -z "${KEEP_SCRATCH:-}" ]; then rm -rf "$SCRATCH"; fi; }
trap cleanup EXIT

echo "copying the source tree to $SCRATCH/src"
mkdir -p "$SCRATCH/src"
tar -C "$ROOT" --exclude='./build*' --exclude=./.git --exclude=./data --exclude='./bench/results' \
  -cf - . | tar -C "$SCRATCH/src" -xf -

GEN=()
if command -v ninja >/dev/null 2>&1; then GEN=(-G Ninja); fi
cmake -S "$SCRATCH/src" -B "$SCRATCH/build" "${GEN[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSHOAL_BUILD_BENCH=OFF >"$SCRATCH/configure.log" 2>&1 ||
  { cat "$SCRATCH/configure.log"; exit 1; }
SIM="$SCRATCH/build/tests/shoal-raft-sim"

# Baseline: the unmutated tree must pass, or a "catch" means nothing.
echo "building shoal-raft-sim (unmutated) and running the CI budget"
cmake --build "$SCRATCH/build" --target shoal-raft-sim >"$SCRATCH/build.log" 2>&1 ||
  { tail -50 "$SCRATCH/build.log"; exit 1; }
for n in 3 5; do
  "$SIM" --ci --nodes "$n" >"$SCRATCH/baseline-$n.log" 2>&1 ||
    { tail -5 "$SCRATCH/baseline-$n.log"; echo "baseline fails: fix that first"; exit 1; }
done

# First failing seed in a run's output, or "-".
first_failure() {
  local line
  line=$(grep -m1 '^FAIL seed=' "$1" || true)
  if [ -z "$line" ]; then echo "-"; else echo "${line#FAIL }"; fi
}

missed=0
declare -a TABLE
for p in "${PATCHES[@]}"; do
  name=$(basename "$p" .patch)
  abs=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
  if ! patch -d "$SCRATCH/src" -p1 --dry-run -s <"$abs" >/dev/null; then
    echo "$name: does not apply to the current tree; regenerate it" >&2
    exit 1
  fi
  patch -d "$SCRATCH/src" -p1 -s <"$abs"
  echo "== $name: building"
  if ! cmake --build "$SCRATCH/build" --target shoal-raft-sim >"$SCRATCH/build.log" 2>&1; then
    tail -30 "$SCRATCH/build.log"
    echo "$name: the mutant does not build" >&2
    exit 1
  fi
  start=$(date +%s%N)
  "$SIM" --ci --nodes 3 --no-regressions >"$SCRATCH/$name-3.log" 2>&1 &
  pid3=$!
  "$SIM" --ci --nodes 5 --no-regressions >"$SCRATCH/$name-5.log" 2>&1 &
  pid5=$!
  "$SIM" --seeds 0 >"$SCRATCH/$name-regressions.log" 2>&1 || true
  wait $pid3 || true
  wait $pid5 || true
  ms=$((($(date +%s%N) - start) / 1000000))
  f3=$(first_failure "$SCRATCH/$name-3.log")
  f5=$(first_failure "$SCRATCH/$name-5.log")
  fr=$(first_failure "$SCRATCH/$name-regressions.log")
  if [ "$f3" = "-" ] && [ "$f5" = "-" ] && [ "$fr" = "-" ]; then
    verdict="NOT CAUGHT"
    missed=1
  else
    verdict="caught"
  fi
  printf '%s: %s (%d.%03ds)\n  3 nodes:     %s\n  5 nodes:     %s\n  regressions: %s\n' \
    "$name" "$verdict" $((ms / 1000)) $((ms % 1000)) "$f3" "$f5" "$fr"
  TABLE+=("$(printf '%-40s %-11s %-16s %-22s %s' "$name" "$verdict" \
    "$(echo "$f3" | cut -d' ' -f1)" "$(echo "$f5" | cut -d' ' -f1)" "$(echo "$fr" | cut -d: -f1)")")
  patch -d "$SCRATCH/src" -p1 -R -s <"$abs"
done

echo
echo "first failing seed in the CI budget:"
printf '%-40s %-11s %-16s %-22s %s\n' mutation verdict "3 nodes" "5 nodes" "regression seeds"
printf '%s\n' "${TABLE[@]}"
if [ "$missed" -ne 0 ]; then
  echo "some mutations were not caught: the simulator (or its seed budget) misses them" >&2
  exit 1
fi
echo "every mutation was caught"
