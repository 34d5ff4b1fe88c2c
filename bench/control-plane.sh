#!/usr/bin/env bash
# Signed DescribeThing requests/s against `iotctl local start` (SDK v3 client) at
# concurrency 1, 8 and 32, beside a bare node:http server. Goal: >= 2,000 req/s.
# Usage: bench/control-plane.sh [seconds per level, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/emulator/index.js ] || npm run build --silent
node bench/control-plane.mjs "${1:-5}"
