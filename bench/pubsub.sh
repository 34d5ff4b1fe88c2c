#!/usr/bin/env bash
# iotctl pub/sub vs mosquitto_pub/mosquitto_sub and a bare aws-iot-device-sdk-v2
# script, in one run against a local mosquitto with mutual TLS (needs the
# Debian packages mosquitto and mosquitto-clients, openssl and /usr/bin/time).
# Goals: pub QoS 0 >= 0.6x mosquitto_pub; QoS 1 >= the bare SDK with zero loss;
# sub >= 0.9x mosquitto_sub; one-shot pub <= 1.1x the bare SDK; RSS <= 100 MB.
# Usage: bench/pubsub.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/pubsub.mjs "${1:-3}"
