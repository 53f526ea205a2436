// The running gate: a TLS listener that requires a client certificate, one Connection per
// device, the platform session shared by all of them, and an orderly shutdown.

import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { Loaded } from '../config/load.ts';
import { safeUrl, type Logger } from '../log.ts';
import { DeviceDirectory } from '../platform/device-directory.ts';
import { RestSession } from '../platform/rest-session.ts';
import type { GateContext } from './admit.ts';
import { Connection } from './connection.ts';

export interface RunningGate {
  host: string;
  port: number;
  /** Stops accepting, closes every connection and the platform session. Idempotent. */
  close(): Promise<void>;
}

export async function startGate(loaded: Loaded, log: Logger): Promise<RunningGate> {
  const { config, trust } = loaded;
  const rest = new RestSession(config.platform, log);
  const ctx: GateContext = {
    trust,
    directory: new DeviceDirectory(rest, config.cache),
    routes: config.routes,
    upstream: config.upstream,
    limits: config.mqtt,
    log,
  };
  for (const warning of loaded.warnings) log.warn(warning);

  const connections = new Set<Connection>();
  let nextId = 1;
  const server = createServer({
    cert: readFileSync(config.tls.cert),
    key: readFileSync(config.tls.key),
    // The chain is judged after the handshake, by the routes, so that a refused device gets a
    // CONNACK saying so; OpenSSL's own verdict is not used.
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: config.tls.minVersion,
    maxVersion: config.tls.maxVersion,
    ciphers: config.tls.ciphers,
    ...(config.tls.cipherSuites ? { ciphersuites: config.tls.cipherSuites } : {}),
    handshakeTimeout: config.tls.handshakeTimeoutSeconds * 1000,
    // No session resumption: a resumed session carries no certificate chain to judge.
    secureOptions: constants.SSL_OP_NO_TICKET,
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    const conn = new Connection(nextId++, socket, ctx, (c) => connections.delete(c));
    connections.add(conn);
    conn.start();
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.info({ peer: `${socket.remoteAddress}:${socket.remotePort}`, code: err.code }, `TLS handshake failed: ${err.message}`);
  });

  await listen(server, config.listen.host, config.listen.port);
  const address = server.address() as AddressInfo;
  log.info({
    listen: `${address.address}:${address.port}`,
    upstream: `${config.upstream.host}:${config.upstream.port}`,
    platform: safeUrl(config.platform.url),
    routes: config.routes.map((r) => r.name),
  }, 'certgate listening');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= shutdown(server, connections, rest));
  return { host: address.address, port: address.port, close };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function shutdown(server: Server, connections: Set<Connection>, rest: RestSession): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const conn of [...connections]) conn.close('gate shutting down');
  await closed;
  await rest.close();
}
