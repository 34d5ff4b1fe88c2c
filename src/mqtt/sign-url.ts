/**
 * A presigned MQTT-over-WebSocket URL for any client to use with no headers
 * (a browser, MQTT.js, Paho JS): what `iotctl sign-url` prints. Its lifetime
 * is bounded twice: by SigV4 itself (a presigned URL lives at most a week)
 * and by the credentials that signed it (temporary credentials stop working
 * when they expire, and so does any URL they signed).
 */
import { IotctlError, usageError } from '../core/errors.js';
import { formatDuration } from '../core/duration.js';
import { presignMqttUrl } from './sigv4-url.js';
import type { ConnectionSpec } from './types.js';

/** SigV4's limit for X-Amz-Expires (the signing key of a day lives seven). */
export const MAX_URL_LIFETIME_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_URL_LIFETIME_MS = 15 * 60 * 1000;

export interface SignedMqttUrl {
  url: string;
  /** A client id the identity's policy allows: the Cognito identity id, else the one given or made up. */
  clientId: string;
  /** The Cognito identity, or null for plain SigV4 credentials. */
  identityId: string | null;
  /** ISO 8601: after this the URL no longer opens a connection (a connection it opened stays up, at most 24 h on AWS). */
  expiresAt: string;
}

export interface SignUrlOptions {
  /** The lifetime asked for, in ms (1 s to 7 days). */
  lifetimeMs: number;
  /** The Cognito identity that signs, if any. */
  identityId?: string;
  now?: Date;
  /** Told when the lifetime was cut to the credentials' own expiry. */
  warn?(message: string): void;
}

/** Checks a requested lifetime before anything is signed: whole seconds from 1 s to 7 days. */
export function checkUrlLifetime(ms: number, flag = '--expires'): number {
  if (ms < 1000) throw usageError('INVALID_EXPIRES', `${flag} must be at least 1s.`);
  if (ms > MAX_URL_LIFETIME_MS) throw usageError('INVALID_EXPIRES', `${flag} must be at most 7d: SigV4 refuses presigned URLs valid for longer than a week.`, 'sign again when it runs out');
  return Math.floor(ms / 1000) * 1000;
}

/** Signs the URL for a SigV4 ConnectionSpec (endpoint, port, region, credentials). */
export async function signMqttUrl(spec: ConnectionSpec, options: SignUrlOptions): Promise<SignedMqttUrl> {
  if (spec.auth !== 'sigv4' || !spec.credentials || !spec.region) throw new Error('signMqttUrl needs a SigV4 connection spec');
  const now = options.now ?? new Date();
  const credentials = await spec.credentials();
  let lifetimeMs = checkUrlLifetime(options.lifetimeMs);
  if (credentials.expiration) {
    const left = Math.floor((credentials.expiration.getTime() - now.getTime()) / 1000) * 1000;
    if (left < 1000) {
      throw new IotctlError('CREDENTIALS_EXPIRED', `The credentials expired at ${credentials.expiration.toISOString()}; a URL signed with them would not work.`, {
        hint: 'refresh them (aws sso login, a new Cognito session) and sign again',
      });
    }
    if (lifetimeMs > left) {
      options.warn?.(`the credentials expire in ${formatDuration(left)} (${credentials.expiration.toISOString()}): the URL is valid until then, not for ${formatDuration(lifetimeMs)}`);
      lifetimeMs = left;
    }
  }
  const url = await presignMqttUrl({ host: spec.endpoint, port: spec.port, region: spec.region, credentials, expiresSeconds: lifetimeMs / 1000, now });
  return { url, clientId: spec.clientId, identityId: options.identityId ?? null, expiresAt: new Date(now.getTime() + lifetimeMs).toISOString() };
}
