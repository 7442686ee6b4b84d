#!/usr/bin/env bash
# Shows that the fault harness and its linearizability checker catch a real
# consistency bug: builds shoal-server with SHOAL_BROKEN_LEADER_READS (a
# leader serves reads from its own state without a ReadIndex round, and does
# not step down when it loses its quorum — no CheckQuorum — so a leader cut
# off by a partition keeps answering reads from stale data while the
# majority elects another leader and takes writes), runs tools/faults.py
# against it with partitions, and expects the verdict "NOT linearizable" (the
# key and its conflicting operations are printed; the history is kept).
#
# Usage: tools/broken-reads.sh [--runs N] [--seed S]   (exit 0: violation found)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
seed=4242
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--seed S]" >&2; exit 2 ;;
  esac
done

build=build-broken
echo "== building the deliberately broken server in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_BROKEN_LEADER_READS=ON \
  -DSHOAL_BUILD_TESTS=OFF -DSHOAL_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" shoal-server >/dev/null

out=$(mktemp -d /tmp/shoal-broken-reads-XXXXXX)
echo "== fault runs against it (partitions of leaders)"
for ((i = 0; i < runs; i++)); do
  s=$((seed + i))
  set +e
  /usr/bin/python3 tools/faults.py --mode sync --server "$build/server/shoal-server" \
    --nemesis partition --wait 1:3 --hold 3:5 --duration 40 --seed "$s" --out "$out" \
    --json "$out/summary-$s.json" >"$out/output-$s.txt" 2>&1
  rc=$?
  set -e
  verdict=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["linearizability"])' \
    "$out/summary-$s.json" 2>/dev/null || echo "no summary")
  echo "run seed $s: exit $rc, linearizability: $verdict"
  if [[ "$verdict" == "NOT linearizable" ]]; then
    grep -E -A12 "NOT linearizable" "$out/output-$s.txt" | head -40
    echo "PASS: the checker found the violation (history and logs kept in $out)"
    exit 0
  fi
done
echo "FAIL: no violation found in $runs run(s); outputs in $out"
exit 1
