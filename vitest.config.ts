import { defineConfig } from 'vitest/config';

// Three suites: unit (pure, seconds), integration (in-process CLI and spawned
// bin/iotctl.js against the local IoT Core), interop (real peers from Debian
// packages; run by `npm run test:interop`).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 } },
      { test: { name: 'interop', include: ['test/interop/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
});
