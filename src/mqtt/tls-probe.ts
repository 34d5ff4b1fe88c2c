/**
 * A TLS handshake with node:tls to name why TLS fails. The device SDK (s2n)
 * reports every verification failure as "negotiation failed", and only after
 * 10-30 s (s2n delays its shutdown after a verification error); node:tls says
 * which check failed, at once. Run when a connect is slow or has failed.
 */
import tls from 'node:tls';
import net from 'node:net';
import type { TlsCause } from './diagnostics.js';

export interface ProbeTarget {
  host: string;
  port: number;
  caPem?: string;
  certPem?: string;
  keyPem?: string;
  /** mtls: what the device SDK offers (AWS IoT needs it on port 443). */
  alpn?: string[];
  timeoutMs?: number;
}

export type ProbeResult = { ok: true } | { ok: false; cause: TlsCause; detail: string } | { ok: false; cause: 'network'; detail: string };

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/** Maps a node:tls error to a cause. */
export function classifyTlsError(err: NodeJS.ErrnoException): ProbeResult {
  const code = err.code ?? '';
  const detail = err.message;
  if (UNKNOWN_CA.has(code)) return { ok: false, cause: 'unknown-ca', detail: code };
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = (err as { cert?: { subjectaltname?: string } }).cert?.subjectaltname;
    return { ok: false, cause: 'hostname-mismatch', detail: names ? `the certificate names ${names}` : detail };
  }
  if (code === 'CERT_HAS_EXPIRED') return { ok: false, cause: 'server-cert-expired', detail: code };
  if (code === 'CERT_NOT_YET_VALID') return { ok: false, cause: 'server-cert-not-yet-valid', detail: code };
  // Alerts the server sends when it does not like our certificate.
  if (/ALERT_(UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_REQUIRED|CERTIFICATE_UNKNOWN|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED|HANDSHAKE_FAILURE)/.test(code)) {
    return { ok: false, cause: 'client-cert-refused', detail: code };
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return { ok: false, cause: 'network', detail: code };
  return { ok: false, cause: 'handshake', detail: code || detail };
}

export function probeTls(target: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      // SNI only for names: node refuses an IP address as servername.
      servername: net.isIP(target.host) ? undefined : target.host,
      ca: target.caPem,
      cert: target.certPem,
      key: target.keyPem,
      ALPNProtocols: target.alpn,
      rejectUnauthorized: true,
    });
    const timer = setTimeout(() => done({ ok: false, cause: 'network', detail: 'ETIMEDOUT' }), target.timeoutMs ?? 5000);
    timer.unref();
    let secured = false;
    // In TLS 1.3 the server checks our certificate after "secureConnect"; wait briefly for its alert or hang-up.
    socket.once('secureConnect', () => {
      secured = true;
      setTimeout(() => done({ ok: true }), 300).unref();
    });
    socket.once('error', (err) => done(classifyTlsError(err)));
    socket.once('close', () =>
      done(
        !secured
          ? { ok: false, cause: 'handshake', detail: 'closed during the handshake' }
          : target.certPem
            ? { ok: false, cause: 'client-cert-refused', detail: 'closed after the handshake' }
            : { ok: true },
      ),
    );
  });
}
