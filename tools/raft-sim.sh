#!/usr/bin/env bash
# Runs the deterministic Raft simulator over many seeds, on every core.
#
#   tools/raft-sim.sh [SEEDS] [START]    # default 100000 seeds from 1
#
# Half the seeds run 3-node groups (seeds START..), half 5-node groups
# (seeds START+10^9..), in chunks of CHUNK (default 2000) seeds, JOBS
# (default nproc) at a time. Every failing seed is listed with its replay
# command; the exit status is 1 if any failed. BUILD_DIR defaults to build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEEDS=${1:-100000}
START=${2:-1}
CHUNK=${CHUNK:-2000}
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SIM="$BUILD_DIR/tests/shoal-raft-sim"

cmake --build "$BUILD_DIR" --target shoal-raft-sim >/dev/null
OUT=$(mktemp -d "${TMPDIR:-/tmp}/shoal-raft-sim.XXXXXX")
trap 'rm -rf "$OUT"' EXIT

# One line per chunk: nodes first-seed count.
half=$((SEEDS / 2))
{
  for nodes in 3 5; do
    count=$half
    base=$START
    if [ "$nodes" = 5 ]; then count=$((SEEDS - half)); base=$((START + 1000000000)); fi
    for ((off = 0; off < count; off += CHUNK)); do
      n=$((count - off < CHUNK ? count - off : CHUNK))
      echo "$nodes $((base + off)) $n"
    done
  done
} >"$OUT/chunks"

echo "shoal-raft-sim: $SEEDS seeds from $START ($half with 3 nodes, $((SEEDS - half)) with 5)," \
  "$(wc -l <"$OUT/chunks") chunks, $JOBS jobs"
t0=$(date +%s%N)
export SIM OUT
# shellcheck disable=SC2016
xargs -P "$JOBS" -L 1 sh -c \
  '"$SIM" --nodes "$0" --start "$1" --seeds "$2" --keep-going --no-regressions \
     >"$OUT/chunk-$0-$1.log" 2>&1 || true' <"$OUT/chunks"
ms=$((($(date +%s%N) - t0) / 1000000))

ran=$(cat "$OUT"/chunk-*.log | awk '/^ran /{s += $2} END {print s + 0}')
fails=$(cat "$OUT"/chunk-*.log | grep -c '^FAIL seed=' || true)
crashed=$(grep -L '^ran ' "$OUT"/chunk-*.log | wc -l)
cat "$OUT"/chunk-*.log | grep -A1 '^FAIL seed=' | grep -v '^--$' || true
secs=$((ms / 1000))
echo "ran $ran seeds in ${secs}.$(printf %03d $((ms % 1000))) s ($((ran * 1000 / (ms > 0 ? ms : 1))) seeds/s):" \
  "$fails failed, $crashed chunks crashed"
if [ "$fails" -ne 0 ] || [ "$crashed" -ne 0 ] || [ "$ran" -ne "$SEEDS" ]; then exit 1; fi
