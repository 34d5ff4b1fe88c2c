/**
 * Letting the process end once the device SDK is done with. Two native
 * behaviours of aws-crt 1.33 would otherwise keep `iotctl pub` alive after its
 * work is finished (see docs sdk-and-emulator-traps.md, section 6):
 *
 * - an MQTT 5 client keeps the event loop alive after stop() + close() until
 *   V8 garbage-collects it (about 8 s, or forever while referenced): we drop
 *   our references and ask for a collection;
 * - a connect attempt cannot be cancelled: after a bad server certificate it
 *   fails only after 10-30 s (s2n's delayed shutdown). When we give up on one
 *   earlier (--connect-timeout, or the TLS probe named the cause), the native
 *   connection stays until then.
 *
 * cli/main.ts ends the process once the command has its exit code, so neither
 * holds the CLI; the collection below frees the MQTT 5 client where iotctl
 * runs in-process (the demo's world, tests).
 */
let gc: (() => void) | undefined;

/**
 * Full GCs on the next turns, so finalizers of released native clients can
 * run. Several, because a caller up the stack may still hold the client for a
 * moment; the timers are unref'd and only run while something keeps the process.
 */
export function collectReleasedClients(): void {
  void (async () => {
    if (!gc) {
      const [{ default: v8 }, { default: vm }] = await Promise.all([import('node:v8'), import('node:vm')]);
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    const run = gc;
    setImmediate(run).unref();
    for (const ms of [50, 250, 1000]) setTimeout(run, ms).unref();
  })();
}
