import path from 'node:path';
import { usageError } from '../core/errors.js';
import { readUserFile } from '../io/files.js';

/**
 * A device folder, as `iotctl provision` leaves it and `iotctl pub/sub --device`
 * reads it: certificate.pem, private.key (0600), root-ca.pem and device.json.
 */
export const DEVICE_FILE = 'device.json';

export interface DeviceManifest {
  /** Format version of device.json. */
  version: 1;
  thingName: string;
  clientId: string;
  /** MQTT data endpoint host (iot:Data-ATS, or the local IoT Core). */
  endpoint: string;
  port: number;
  region: string;
  certificateFile: string;
  privateKeyFile: string;
  rootCaFile: string;
  certificateId?: string;
  certificateArn?: string;
  policyName?: string;
  /** The iotctl profile it was provisioned with: `policy test --device` looks its policies up there. */
  profile?: string;
  /**
   * Client ids the device's policy lets it use besides its own: sessions that run beside the
   * device (pub, sub, tail) connect as `<clientId>-<role>-<random>` only when true.
   */
  extraClientIds?: boolean;
}

/** The manifest with file names resolved against the folder. */
export interface DeviceFolder extends DeviceManifest {
  dir: string;
  certificatePath: string;
  privateKeyPath: string;
  rootCaPath: string;
}

export async function readDeviceFolder(dir: string): Promise<DeviceFolder> {
  const file = path.join(dir, DEVICE_FILE);
  const text = await readUserFile(file, 'device manifest');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw usageError('DEVICE_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, 're-run iotctl provision for this device');
  }
  const manifest = validateManifest(raw, file);
  const at = (name: string) => path.resolve(dir, name);
  return { ...manifest, dir, certificatePath: at(manifest.certificateFile), privateKeyPath: at(manifest.privateKeyFile), rootCaPath: at(manifest.rootCaFile) };
}

function validateManifest(raw: unknown, file: string): DeviceManifest {
  const bad = (why: string) => usageError('DEVICE_INVALID', `${file} is invalid: ${why}.`, 're-run iotctl provision for this device');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('expected a JSON object');
  const m = raw as Record<string, unknown>;
  for (const key of ['thingName', 'clientId', 'endpoint', 'region', 'certificateFile', 'privateKeyFile', 'rootCaFile'] as const) {
    if (typeof m[key] !== 'string' || (m[key] as string).length === 0) throw bad(`"${key}" must be a non-empty string`);
  }
  if (typeof m.port !== 'number' || !Number.isInteger(m.port) || m.port < 1 || m.port > 65535) throw bad('"port" must be a port number');
  return { ...(m as unknown as DeviceManifest), version: 1 };
}
