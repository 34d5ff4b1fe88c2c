import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Four suites: unit (pure, seconds), integration (in-process CLI and spawned
// bin/iotctl.js against the local IoT Core), interop (real peers from Debian
// packages; run by `npm run test:interop`), browser (the web app in Chromium;
// `npm run test:browser`). The *-js projects run the MQTT
// suites again on the pure-JavaScript driver (MQTT.js, what 32-bit ARM uses):
// the tests read the driver from IOTCTL_DRIVER (test/helpers/cli.ts testEnv).
const integration = { testTimeout: 30_000, hookTimeout: 30_000 };
const interop = { testTimeout: 60_000, hookTimeout: 60_000 };
const JS_DRIVER = { IOTCTL_DRIVER: 'js' };
// The web app in Debian's Chromium (test/browser): its own project, run by `npm run test:browser` in CI.
const browser = { testTimeout: 60_000, hookTimeout: 60_000 };

// Most integration time is spent waiting on spawned processes, sockets and timers,
// not on the CPU: vitest's default (one worker less than the cores) leaves a
// 2-core machine running one file at a time (npm test 244 s there; 130 s with 4).
const maxWorkers = Math.max(4, availableParallelism());

export default defineConfig({
  test: {
    maxWorkers,
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...integration } },
      { test: { name: 'integration-js', include: ['test/integration/pubsub-*.test.ts', 'test/integration/spool-*.test.ts'], env: JS_DRIVER, ...integration } },
      { test: { name: 'interop', include: ['test/interop/**/*.test.ts'], ...interop } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...browser } },
      { test: { name: 'interop-js', include: ['test/interop/mqtt-mosquitto.test.ts'], env: JS_DRIVER, ...interop } },
    ],
  },
});
