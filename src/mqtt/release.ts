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
 * For the second case, and as a backstop for the first, a process that is
 * the CLI itself (not a test runner calling run() in-process) exits as soon as
 * main() has recorded the exit code. The timer is unref'd: when nothing native
 * lingers, the process ends on its own before it fires.
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

let armed = false;

/** Exit as soon as process.exitCode is set: main() sets it once the command has returned. */
export function exitWhenCommandEnds(): void {
  if (armed) return;
  armed = true;
  const timer = setInterval(() => {
    if (process.exitCode !== undefined) process.exit();
  }, 25);
  timer.unref();
}
