#!/usr/bin/env bash
# Installs what is missing, builds, and starts shoal-server in the
# foreground on port 6379 with its data under ./data. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
echo "shoal-server on 127.0.0.1:6379, data in ./data — try: redis-cli -p 6379"
exec ./build/server/shoal-server --port 6379 --dir ./data "$@"
