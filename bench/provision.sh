#!/usr/bin/env bash
# Provision 100 things against the local IoT Core at concurrency 1 and 8. Goal: < 50 ms per thing at 8.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/provision.mjs "${1:-100}"
