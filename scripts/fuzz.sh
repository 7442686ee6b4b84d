#!/usr/bin/env bash
# Builds the RESP libFuzzer target (tests/fuzz/resp_fuzz.cc) with clang,
# AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, and runs
# it for a bounded time over a seed corpus of valid requests and replies.
#
# Usage: scripts/fuzz.sh [seconds]        (default 60)
# Env:   CXX_FUZZ  compiler to use (default clang++)
#        FUZZ_JOBS parallel fuzzing jobs (default 1)
# Exit status: 0 if the run found nothing; non-zero with the crashing input
# saved as build-fuzz/crash-* (replay: build-fuzz/resp_fuzz build-fuzz/crash-...).
#
# The main build uses g++ and does not include tests/fuzz/; this script
# compiles the few core sources the target needs directly.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TO_RUN="${1:-60}"
if ! [[ "$SECONDS_TO_RUN" =~ ^[0-9]+$ ]] || [ "$SECONDS_TO_RUN" -lt 1 ]; then
  echo "usage: $0 [seconds]" >&2
  exit 2
fi
CXX="${CXX_FUZZ:-clang++}"
JOBS="${FUZZ_JOBS:-1}"
OUT=build-fuzz

if ! command -v "$CXX" >/dev/null 2>&1; then
  echo "fuzz.sh: $CXX not found; install clang (Debian: apt-get install clang)" >&2
  exit 2
fi
mkdir -p "$OUT"

# libFuzzer's runtime ships separately on Debian; say so instead of failing
# with a link error.
{
  printf 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) {\n'
  printf '  return 0;\n}\n'
} >"$OUT/probe.cc"
if ! "$CXX" -fsanitize=fuzzer "$OUT/probe.cc" -o "$OUT/probe" 2>"$OUT/probe.log"; then
  echo "fuzz.sh: linking with -fsanitize=fuzzer failed (see $OUT/probe.log)." >&2
  echo "fuzz.sh: the libFuzzer runtime is missing;" \
    "on Debian: apt-get install libclang-rt-14-dev" >&2
  exit 2
fi
rm -f "$OUT/probe" "$OUT/probe.cc" "$OUT/probe.log"

SRCS=(tests/fuzz/resp_fuzz.cc core/resp/*.cc core/strutil.cc core/status.cc core/check.cc
      core/coding.cc)
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -I.
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -Wall -Wextra -Werror -Wno-unused-parameter)
echo "fuzz.sh: building $OUT/resp_fuzz with $CXX"
"$CXX" "${FLAGS[@]}" "${SRCS[@]}" -o "$OUT/resp_fuzz"

# Seed corpus: a few valid requests (multibulk, inline, pipelined) and
# replies (RESP2 and RESP3). Rewritten on every run; the evolving corpus
# lives in $OUT/corpus and is kept between runs.
SEED="$OUT/seed"
CORPUS="$OUT/corpus"
rm -rf "$SEED"
mkdir -p "$SEED" "$CORPUS"
seed() { printf '%b' "$2" >"$SEED/$1"; }
seed ping '*1\r\n$4\r\nPING\r\n'
seed set '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'
seed set_binary '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\na\r\n\0b$\r\n'
seed empty_multibulk '*0\r\n'
seed empty_bulk '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n'
seed inline 'GET key\r\n'
seed inline_quotes 'SET "a key" "\\x41\\n\\"q" '"'"'it\\'"'"'s'"'"'\r\n'
seed pipeline '*1\r\n$4\r\nPING\r\nGET a\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\nPING\n'
seed partial '*2\r\n$3\r\nGET\r\n$10\r\nabc'
seed reply_resp2 '*3\r\n+OK\r\n$-1\r\n:42\r\n'
seed reply_resp3 '%2\r\n+a\r\n,1.5\r\n+b\r\n~1\r\n#t\r\n'
seed reply_attr '|1\r\n+ttl\r\n:3\r\n$3\r\nabc\r\n'
seed reply_misc '>2\r\n$7\r\nmessage\r\n=8\r\ntxt:abcd\r\n_\r\n(123\r\n!3\r\nERR\r\n-ERR x\r\n'

PARALLEL=()
# -jobs switches libFuzzer to its multi-process mode (logs in fuzz-N.log).
if [ "$JOBS" -gt 1 ]; then PARALLEL=(-jobs="$JOBS" -workers="$JOBS"); fi
echo "fuzz.sh: running for ${SECONDS_TO_RUN}s"
set +e
"$OUT/resp_fuzz" "$CORPUS" "$SEED" \
  -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -dict=tests/fuzz/resp.dict -artifact_prefix="$OUT/" -print_final_stats=1 \
  "${PARALLEL[@]}"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: the fuzzer found a problem (exit $status);" \
    "see $OUT/crash-*, $OUT/leak-*, $OUT/timeout-*" >&2
else
  echo "fuzz.sh: no problems found in ${SECONDS_TO_RUN}s"
fi
exit "$status"
