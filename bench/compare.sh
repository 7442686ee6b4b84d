#!/usr/bin/env bash
# shoal vs redis-server side by side; see bench/compare.py for what it does.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh >/dev/null
exec /usr/bin/python3 bench/compare.py "$@"
