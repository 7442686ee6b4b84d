#!/usr/bin/env bash
# Installs what is missing, builds, and starts a local 3-node shoal cluster
# (nodes on 127.0.0.1:7001-7003, data under ./shoal-cluster), then prints
# how to connect. Extra arguments go to `shoal-cluster up` (e.g. --shards 6).
# Stop it with: ./build/tools/shoal-cluster down
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
exec ./build/tools/shoal-cluster up -n 3 --dir ./shoal-cluster "$@"
