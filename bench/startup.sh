#!/usr/bin/env bash
# Startup of iotctl --help / --version / config list vs bare node, interleaved. Goal: <= 1.3x.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/startup.mjs "${1:-30}"
