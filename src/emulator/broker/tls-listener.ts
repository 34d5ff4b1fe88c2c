/**
 * MQTT over mutual TLS. Any client certificate completes the handshake
 * (requestCert, rejectUnauthorized false: TLS still proves the client holds
 * its key); the broker then admits only certificates registered in the
 * control plane and ACTIVE, identified by their SHA-256 (= certificateId).
 * That is AWS's model: certificates of any CA, registered or not, and status
 * changes apply at once, which a static `ca:` list could not do.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { Registry } from '../store/registry.js';
import { certificatePrincipal, type Principal } from '../authorization/principal.js';
import { peerAddress } from '../connection-guard.js';
import type { AuthLogEntry } from './auth-log.js';

/** The AWS SDKs offer `x-amzn-mqtt-ca` (needed by AWS on port 443); accept it, or `mqtt`, without requiring either. */
const ALPN_PREFERENCE = ['x-amzn-mqtt-ca', 'mqtt'];

export interface TlsListenerOptions {
  key: string;
  cert: string;
  /** Named in the certificate request, so clients know which CA we expect (any is accepted). */
  ca: string;
  registry: () => Registry;
  now: () => number;
  admit(socket: tls.TLSSocket, principal: Principal, sourceIp: string | undefined, domainName: string | undefined): void;
  authFailed(event: Omit<AuthLogEntry, 'event'>): void;
}

/** Why a certificate may not connect, or undefined when it may (the HTTPS data plane asks it at every request). */
export function certificateProblem(registry: Registry, id: string, now: number): string | undefined {
  const record = registry.certificate(id);
  if (!record) return `the certificate ${id} is not registered with the local IoT Core (register it with CreateCertificateFromCsr, or iotctl provision)`;
  if (record.status !== 'ACTIVE') return `the certificate ${id} is ${record.status}; only ACTIVE certificates may connect`;
  if (now < record.notBefore) return `the certificate ${id} is not valid before ${new Date(record.notBefore).toISOString()}`;
  if (now > record.notAfter) return `the certificate ${id} expired on ${new Date(record.notAfter).toISOString()}`;
  return undefined;
}

export function createTlsListener(options: TlsListenerOptions): tls.Server {
  const server = tls.createServer(
    {
      key: options.key,
      cert: options.cert,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: false,
      noDelay: true,
      ALPNCallback: ({ protocols }) => ALPN_PREFERENCE.find((p) => protocols.includes(p)) ?? protocols[0],
    },
    (socket) => {
      socket.on('error', () => {});
      const sourceIp = peerAddress(socket.remoteAddress);
      const peer = socket.getPeerCertificate();
      const refuse = (reason: string, principal?: string) => {
        options.authFailed({ transport: 'mqtts', sourceIp, principal, principalKind: 'unknown', reason, outcome: 'connection closed after the TLS handshake' });
        socket.destroy();
      };
      if (!peer?.raw) return refuse('the client presented no certificate: this port needs mutual TLS (a device certificate and its key)');
      const id = createHash('sha256').update(peer.raw).digest('hex');
      const registry = options.registry();
      const problem = certificateProblem(registry, id, options.now());
      if (problem) return refuse(problem, registry.arns.cert(id));
      let principal: Principal;
      try {
        principal = certificatePrincipal(id, registry.certificate(id)!.pem);
      } catch (err) {
        return refuse(`the certificate ${id} cannot be read: ${(err as Error).message}`, registry.arns.cert(id));
      }
      options.admit(socket, principal, sourceIp, typeof socket.servername === 'string' ? socket.servername : undefined);
    },
  );
  return server;
}
