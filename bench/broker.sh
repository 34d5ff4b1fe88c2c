#!/usr/bin/env bash
# The local IoT Core's MQTT broker (IoT policies enforced on every message) beside
# a stock mosquitto (TLS listener, require_certificate), with the same clients in
# the same run: mosquitto_pub -l / mosquitto_sub over mutual TLS at QoS 0 and 1
# on MQTT 3.1.1 and MQTT 5 (loss counted at the subscriber), then 1,000
# concurrent mutual-TLS clients held with the broker's RSS before/held/after,
# six rounds of MQTT 3.1.1 and three of MQTT 5; then the JS heap after GC across
# rounds of 1,000 connections (bench/broker-heap.mjs, a leak check).
# Goals: >= 50% of mosquitto's rate (MQTT 5: >= 80%); zero loss at QoS 1; flat memory with 1,000 clients.
# Usage: bench/broker.sh [messages, default 100000] [clients, default 1000] [rounds, default 6]
# Needs: /usr/sbin/mosquitto, /usr/bin/mosquitto_pub, /usr/bin/mosquitto_sub, /usr/bin/stdbuf.
set -euo pipefail
cd "$(dirname "$0")/.."
for bin in /usr/sbin/mosquitto /usr/bin/mosquitto_pub /usr/bin/mosquitto_sub /usr/bin/stdbuf; do
  [ -x "$bin" ] || { echo "missing $bin (apt-get install mosquitto mosquitto-clients coreutils)" >&2; exit 1; }
done
[ -f dist/emulator/index.js ] || npm run build --silent
node bench/broker.mjs "${1:-100000}" "${2:-1000}" "${3:-6}"
node --expose-gc bench/broker-heap.mjs "${2:-1000}" 6
