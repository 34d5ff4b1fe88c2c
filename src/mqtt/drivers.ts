/**
 * Which driver a session uses. The device SDK (aws-crt) is the default where
 * it loads; aws-crt ships native binaries for x64 and arm64 only, so on 32-bit
 * ARM (and wherever else it fails to load) sessions fall back to MQTT.js, with
 * a one-line notice under --verbose. `--driver crt|js` (profile setting
 * `driver`, IOTCTL_DRIVER) chooses explicitly.
 */
import { IotctlError, ExitCode } from '../core/errors.js';
import type { Driver, DriverEvents } from './driver.js';
import type { TlsMaterial } from './preflight.js';
import type { AuthMode, ConnectionSpec, DriverName } from './types.js';

export interface DriverModule {
  name: DriverName;
  createDriver(spec: ConnectionSpec, material: TlsMaterial, events: DriverEvents): Driver;
  /** --debug: the library's own log on stderr (never a secret: the CRT's SigV4 handshake is logged at WARN only). */
  enableSdkLogging(auth: AuthMode): void;
}

export const DRIVER_LABELS: Record<DriverName, string> = { crt: 'AWS IoT Device SDK v2 (aws-crt)', js: 'MQTT.js' };

async function load(name: DriverName): Promise<DriverModule> {
  const m = name === 'crt' ? await import('./driver-crt.js') : await import('./driver-js.js');
  return { name, createDriver: m.createDriver, enableSdkLogging: m.enableSdkLogging };
}

/** The first line of a load error, without aws-crt's list of every place it looked. */
function why(err: unknown): string {
  const text = ((err as Error)?.message ?? String(err)).split('\n')[0]!;
  return text.replace(/ in any of the following locations:?.*$/i, '').slice(0, 160);
}

let crtFailure: unknown;

export async function loadDriver(choice: DriverName | undefined, log?: (line: string) => void): Promise<DriverModule> {
  if (choice === 'js') return load('js');
  if (crtFailure === undefined) {
    try {
      return await load('crt');
    } catch (err) {
      crtFailure = err;
    }
  }
  if (choice === 'crt') {
    throw new IotctlError('DRIVER_UNAVAILABLE', `The device SDK (aws-crt) cannot load on this machine (${process.platform}-${process.arch}): ${why(crtFailure)}.`, {
      exitCode: ExitCode.FAILURE,
      hint: 'use the pure-JavaScript driver: --driver js (or leave --driver out: it is chosen by itself where aws-crt cannot load)',
      cause: crtFailure,
    });
  }
  log?.(`aws-crt cannot load here (${process.platform}-${process.arch}: ${why(crtFailure)}); using the pure-JavaScript MQTT driver (MQTT.js)`);
  return load('js');
}
