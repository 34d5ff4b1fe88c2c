/**
 * `ws://<web app>/mqtt`: MQTT over a plain WebSocket for a page that cannot
 * trust the local CA, passed byte for byte to the broker's TLS WebSocket
 * listener (`wss://.../mqtt`). The upgrade request goes on unchanged, Host
 * included, so the broker verifies the page's SigV4 signature and enforces its
 * policies exactly as for a wss:// client; nothing is decided here but who
 * may use the plain hop: only this machine (loopback peers), as the URL's
 * signature and session token cross it unencrypted.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { isLoopbackAddress } from './host-check.js';

export const MQTT_PATH = '/mqtt';

export interface ProxyTarget {
  host: string;
  port: number;
  /** The local CA, which signed the listener's certificate. */
  ca: string;
}

function refuse(socket: Duplex, status: number, reason: string, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The upgrade request as it arrived: request line, headers in their order and case, blank line. */
function requestHead(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Handles an upgrade request for MQTT_PATH: refuses it, or joins the socket to the broker's listener. */
export function proxyMqttUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget): void {
  socket.on('error', () => socket.destroy());
  if (!isLoopbackAddress(req.socket.remoteAddress)) {
    return refuse(socket, 403, 'Forbidden', `ws://.../mqtt serves this machine only; from elsewhere use wss://${target.host}:${target.port}/mqtt with the local CA.`);
  }
  const upstream = tls.connect({ host: target.host, port: target.port, ca: target.ca, servername: isIP(target.host) ? undefined : target.host });
  let joined = false;
  upstream.once('secureConnect', () => {
    joined = true;
    upstream.write(requestHead(req));
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  upstream.once('error', () => {
    if (!joined) refuse(socket, 502, 'Bad Gateway', "The local IoT Core's WebSocket listener did not answer.");
    upstream.destroy();
  });
  upstream.once('close', () => joined && socket.destroy());
  socket.once('close', () => upstream.destroy());
}
