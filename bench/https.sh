#!/usr/bin/env bash
# The HTTPS data plane of the local IoT Core: `iotctl pub --http --lines`
# (one kept-alive connection, a client certificate; and with SigV4) beside
# `iotctl pub --lines` over MQTT QoS 1 and beside a shell loop of the AWS
# docs' curl command, in one run against one `iotctl local start` (its own
# process, policies enforced). Informational: no goal. Needs curl.
# Usage: bench/https.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cli/main.js ] || npm run build --silent
node bench/https.mjs "${1:-3}"
