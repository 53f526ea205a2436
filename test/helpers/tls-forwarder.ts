// A TLS front for a plain TCP port, so tests can reach the stand-in ThingsBoard over https or
// MQTT over TLS with the fleet's server certificate (CN=localhost, IP 127.0.0.1).

import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Fleet } from '../../src/demo/fleet.ts';

export async function tlsForwarder(fleet: Fleet, targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<TLSSocket>();
  const server = createServer({ cert: readFileSync(join(fleet.dir, 'gate.pem')), key: readFileSync(join(fleet.dir, 'gate.key')) }, (socket) => {
    sockets.add(socket);
    const target = connect(targetPort, '127.0.0.1');
    socket.pipe(target).pipe(socket);
    const end = (): void => {
      socket.destroy();
      target.destroy();
      sockets.delete(socket);
    };
    socket.on('error', end).on('close', end);
    target.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
