/** Starting and stopping the emulator's listeners (HTTP, TLS, HTTPS) the same way. */
import type { AddressInfo, Server, Socket } from 'node:net';
import { ExitCode, IotctlError } from '../core/errors.js';

/** Why a listener cannot start, as one line with its fix; undefined for what is not the user's to fix. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number, flag: string): IotctlError | undefined {
  const options = { cause: err, exitCode: ExitCode.CONNECTION };
  switch (err.code) {
    case 'EADDRINUSE':
      return new IotctlError('PORT_IN_USE', `Port ${port} on ${host} is already in use.`, { hint: `pick another with ${flag}, or 0 for a free one`, cause: err });
    case 'EADDRNOTAVAIL':
      return new IotctlError('ADDRESS_NOT_AVAILABLE', `${host} is not an address of this machine, so the local IoT Core cannot listen on it.`, {
        ...options,
        hint: 'pass --host 127.0.0.1 (the default), 0.0.0.0 for every interface, or an address that `ip addr` lists',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new IotctlError('ADDRESS_NOT_FOUND', `The host name ${host} does not resolve to an address of this machine.`, { ...options, hint: 'pass --host with an IP address, e.g. 127.0.0.1' });
    case 'EACCES':
      return new IotctlError('PORT_NOT_ALLOWED', `Port ${port} on ${host} needs privileges this process does not have.`, { ...options, hint: `pick a port above 1023 with ${flag}, or 0 for a free one` });
    default:
      return undefined;
  }
}

/** Listens and resolves with the port (useful with port 0); an address or port that cannot be used is a clear IotctlError. */
export function listen(server: Server, host: string, port: number, flag = '--port'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(listenError(err, host, port, flag) ?? err);
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
