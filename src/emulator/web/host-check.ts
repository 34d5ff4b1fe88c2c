/**
 * Who may use the web app's port. It serves this machine only: the page needs
 * a secure context for WebCrypto (http://localhost or 127.0.0.1 is one), and
 * its sign-in vouches for any user name. A Host header that does not name
 * this machine is refused, so a site whose DNS name is made to point at
 * 127.0.0.1 (DNS rebinding) cannot have a browser use the port as its own.
 */
import { peerAddress } from '../connection-guard.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** A peer address on this machine (127.0.0.0/8, ::1, IPv4-mapped loopback). */
export function isLoopbackAddress(address: string | undefined): boolean {
  const a = peerAddress(address);
  return a === '::1' || (a !== undefined && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a));
}

/** Whether a Host header names this machine on `port` (localhost, 127.0.0.1 or [::1]). */
export function isLocalHostHeader(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(host);
  if (!m) return false;
  const name = m[1]!.replace(/^\[|\]$/g, '').toLowerCase();
  return LOOPBACK_NAMES.has(name) && Number(m[2] ?? 80) === port;
}
