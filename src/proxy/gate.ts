// The running gate: a TLS listener that asks for a client certificate, one Connection per
// device, one Platform per ThingsBoard, the migration ledger, and an orderly shutdown.

import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { listenOn } from '../listen.ts';
import { GateMetrics, serveMetrics } from '../metrics.ts';
import type { Loaded } from '../config/load.ts';
import type { GateConfig } from '../config/types.ts';
import type { GateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { openLedger } from '../migration/index.ts';
import { Platform } from '../platform/platform.ts';
import type { GateContext } from './admit.ts';
import { Connection } from './connection.ts';
import { SessionRegistry } from './sessions.ts';

export interface RunningGate {
  host: string;
  port: number;
  context: GateContext;
  /** Reads the CRL files again and closes sessions a new CRL revokes (also on a timer). */
  reloadCrls(): void;
  /** Stops accepting, closes every connection, the platform sessions and the ledger. Idempotent. */
  close(): Promise<void>;
}

export interface GateOptions {
  /**
   * A configuration mistake ThingsBoard reveals only after a late start (it was unreachable at
   * first): a profile it does not have, credentials it refuses. Default: log it and stop the gate.
   */
  onFatal?: (err: GateError) => void;
}

export async function startGate(loaded: Loaded, log: Logger, options: GateOptions = {}): Promise<RunningGate> {
  const { config, trust } = loaded;
  for (const warning of loaded.warnings) log.warn(warning);
  let gate: RunningGate | null = null;
  const onFatal = (err: GateError): void => {
    log.fatal({ code: err.code }, `${err.message}; stopping`);
    if (options.onFatal) options.onFatal(err);
    else void gate?.close();
  };
  const platforms = await startPlatforms(config, log, onFatal);
  const metrics = new GateMetrics();
  const ctx: GateContext = {
    trust,
    platforms,
    routes: config.routes,
    limits: config.mqtt,
    clientCertificate: config.tls.clientCertificate,
    migration: { ledger: openLedger(config.migration.stateFile), lockTokens: config.migration.lockTokens },
    sessions: new SessionRegistry(config.mqtt.duplicateSession, log, metrics),
    metrics,
    log,
  };

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

  if (config.listen.maxConnections > 0) server.maxConnections = config.listen.maxConnections;
  server.on('secureConnection', (socket: TLSSocket) => {
    const conn = new Connection(nextId++, socket, ctx, (c) => connections.delete(c));
    connections.add(conn);
    conn.start();
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    log.info({ peer: `${socket.remoteAddress}:${socket.remotePort}`, code: err.code }, `TLS handshake failed: ${err.message}`);
    // Node reports a handshake timeout here but leaves the socket open; an idle or slow client
    // would otherwise hold a file descriptor for ever.
    socket.destroy();
  });

  const address = await listenOn(server, config.listen.host, config.listen.port, 'devices');
  ctx.metrics.watch({
    sessions: () => connections.size,
    cachedDevices: () => sum(platforms, (p) => p.directory.size),
    restInFlight: () => sum(platforms, (p) => p.rest.limiter.active),
    restQueued: () => sum(platforms, (p) => p.rest.limiter.queued),
  });
  const metricsServer = config.metrics.port === null ? null : await serveMetrics(ctx.metrics, config.metrics.host, config.metrics.port, log);
  log.info({
    listen: `${address.address}:${address.port}`,
    platforms: [...platforms.values()].map((p) => `${p.config.name} → ${p.config.upstream.host}:${p.config.upstream.port}`),
    routes: config.routes.map((r) => r.name),
    clientCertificate: config.tls.clientCertificate,
  }, 'certgate listening');

  const reloadCrls = (): void => reloadRevocation(ctx, connections, config.revocation.dropRevokedSessions);
  const timer = config.revocation.reloadSeconds > 0 ? setInterval(reloadCrls, config.revocation.reloadSeconds * 1000) : null;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => (closing ??= (async () => {
    if (timer !== null) clearInterval(timer);
    const metricsClosed = new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    await Promise.all([shutdown(server, connections, ctx), metricsClosed]);
  })());
  gate = { host: address.address, port: address.port, context: ctx, reloadCrls, close };
  return gate;
}

/**
 * Re-reads every CRL file (a file that fails keeps its previous CRLs, an older CRL is ignored),
 * then judges each live session's chain again: a certificate revoked meanwhile ends its session.
 */
function sum(platforms: Map<string, Platform>, read: (p: Platform) => number): number {
  let total = 0;
  for (const p of platforms.values()) total += read(p);
  return total;
}

function reloadRevocation(ctx: GateContext, connections: Set<Connection>, dropRevoked: boolean): void {
  const { problems, warnings } = ctx.trust.reloadCrls();
  for (const p of problems) ctx.log.error({ configKey: p.key }, `CRL reload: ${p.message}`);
  for (const w of warnings) ctx.log.warn(w);
  if (!dropRevoked) return;

  let closed = 0;
  for (const conn of connections) if (conn.recheckRevocation()) closed++;
  for (let i = 0; i < closed; i++) ctx.metrics.sessionEvent('revoked');
  if (closed > 0) ctx.log.info({ closed }, 'sessions of revoked certificates closed after a CRL reload');
}

/** One Platform per configured ThingsBoard; each resolves the profile names its routes use. */
async function startPlatforms(config: GateConfig, log: Logger, onFatal: (err: GateError) => void): Promise<Map<string, Platform>> {
  const platforms = new Map<string, Platform>();
  for (const [name, platformConfig] of Object.entries(config.platforms)) {
    platforms.set(name, new Platform(platformConfig, config.cache, log, onFatal));
  }
  try {
    for (const [name, platform] of platforms) {
      const profiles = config.routes
        .map((r, i) => ({ name: r.deviceProfile, key: `routes[${i}].deviceProfile`, platform: r.platform }))
        .filter((p) => p.platform === name && p.name !== '*');
      await platform.start(profiles);
    }
  } catch (err) {
    await Promise.all([...platforms.values()].map((p) => p.close()));
    throw err;
  }
  return platforms;
}

async function shutdown(server: Server, connections: Set<Connection>, ctx: GateContext): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const conn of [...connections]) conn.close('gate shutting down');
  await closed;
  await Promise.all([...ctx.platforms.values()].map((p) => p.close()));
  ctx.migration.ledger.close();
}
