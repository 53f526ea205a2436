// Binds a server to its address, turning a failure (address in use, not allowed) into one clear
// GateError instead of a stack trace. Used for the device listener and the metrics endpoint.

import type { AddressInfo, Server } from 'node:net';
import { GateError } from './errors.ts';

export function listenOn(server: Server, host: string, port: number, what: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException): void => {
      reject(new GateError('CERTGATE_LISTEN_FAILED', `cannot listen for ${what} on ${host}:${port}: ${err.code ?? err.message}`, {}, err));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve(server.address() as AddressInfo);
    });
  });
}
