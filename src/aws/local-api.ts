import { IotctlError, ExitCode, usageError } from '../core/errors.js';
import type { AwsTarget } from './target.js';

/**
 * Calls a local-only route of the local IoT Core (`/_local/...`), signed with
 * SigV4 like every other request to it. Only the local profile's root keys may.
 */
export async function callLocalApi(target: AwsTarget, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Record<string, unknown>> {
  if (!target.endpoint || !target.credentials) {
    throw usageError('NOT_LOCAL', 'This needs the built-in local IoT Core.', 'start it with `iotctl local start`, then use --profile local');
  }
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([import('@smithy/signature-v4'), import('@aws-crypto/sha256-js')]);
  const url = new URL(path, target.endpoint);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const region = target.region ?? 'us-east-1';
  const signer = new SignatureV4({ service: 'iot', region, credentials: target.credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json', ...(payload ? { 'content-length': String(Buffer.byteLength(payload)) } : {}) },
    body: payload,
  });
  let response: Response;
  try {
    response = await fetch(url, { method, headers: signed.headers as Record<string, string>, body: payload });
  } catch (err) {
    throw new IotctlError('CONNECTION_FAILED', `Cannot reach the local IoT Core at ${target.endpoint}.`, { exitCode: ExitCode.CONNECTION, hint: 'is `iotctl local start` running?', cause: err });
  }
  const text = await response.text();
  const json = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  if (!response.ok) {
    const code = (response.headers.get('x-amzn-errortype') ?? 'LocalApiError').split(':')[0]!;
    throw new IotctlError(code, String(json.message ?? `${method} ${path} failed with HTTP ${response.status}`), {
      exitCode: response.status === 403 || response.status === 401 ? ExitCode.DENIED : response.status === 404 ? ExitCode.NOT_FOUND : ExitCode.FAILURE,
    });
  }
  return json;
}
