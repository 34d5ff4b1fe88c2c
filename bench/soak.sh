#!/usr/bin/env bash
# A bounded soak of the local IoT Core: a few minutes of 1,000 mixed clients of
# which 100 misbehave (TLS never started, stalled readers, 100 MB headers, slow
# WebSocket upgrades, garbage), against `iotctl local start` in its own process.
# Reports the broker's RSS and open file descriptors over time, and the QoS 1
# loss of the well-behaved clients, which must be zero (exit 1 otherwise).
# Goals: zero QoS 1 loss and no disconnection for well-behaved clients; flat fds; bounded RSS.
# Usage: bench/soak.sh [seconds, default 180] [clients, default 1000] [misbehaving, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/emulator/index.js ] || npm run build --silent
exec node bench/soak.mjs "${1:-180}" "${2:-1000}" "${3:-100}"
