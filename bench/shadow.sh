#!/usr/bin/env bash
# The Device Shadow of the local IoT Core beside the same client's plain
# messages, against one `iotctl local start --data-dir` (its own process,
# durable writes, policies enforced): UpdateThingShadow beside a retained
# Publish over HTTPS (both written to disk before the answer), and an MQTT
# update answered on update/accepted beside a publish received back.
# Informational: no goal.
# Usage: bench/shadow.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/shadow.mjs "${1:-3}"
