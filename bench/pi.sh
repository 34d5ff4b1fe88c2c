#!/usr/bin/env bash
# The Pi's MQTT paths: the MQTT.js driver beside the device SDK's, the cost of
# pub --spool (goal >= 0.7x the rate without), peak RSS for 1M lines, and the
# armv7l Node under qemu (informational; needs qemu-user-static and the Node
# that `npm run test:arm` fetches). Needs the Debian packages mosquitto,
# mosquitto-clients, openssl and /usr/bin/time.
# Usage: bench/pi.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/pi.mjs "${1:-3}"
