// TEST DOUBLE, not part of the gate: starts a stand-in server on 127.0.0.1 and returns its port.

import type { AddressInfo, Server } from 'node:net';

/** Listens on `port` (0: an ephemeral one) and resolves with the port actually bound. */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
