/** Starting and stopping the emulator's listeners (HTTP, TLS, HTTPS) the same way. */
import type { AddressInfo, Server, Socket } from 'node:net';
import { IotctlError } from '../core/errors.js';

/** Listens and resolves with the port (useful with port 0); a port in use is a clear IotctlError. */
export function listen(server: Server, host: string, port: number, flag = '--port'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new IotctlError('PORT_IN_USE', `Port ${port} on ${host} is already in use.`, { hint: `pick another with ${flag}, or 0 for a free one`, cause: err })
          : err,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Remembers a server's open sockets, so closing can end them (server.close() alone waits for them). */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Stops accepting, destroys what is still open, and resolves once the server is closed. */
export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}
