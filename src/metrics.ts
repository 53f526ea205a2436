// What the gate counts, for Prometheus: connection outcomes, refusals by code, migration progress,
// and live gauges (sessions, cached devices, REST requests in flight). Served on `metrics.port`.

import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { listenOn } from './listen.ts';
import type { Logger } from './log.ts';

/** How a device connection ended its admission. */
export type Outcome = 'admitted' | 'token-only' | 'refused' | 'upstream-refused';

/** Live values read when Prometheus scrapes. */
export interface Gauges {
  sessions(): number;
  cachedDevices(): number;
  restInFlight(): number;
  restQueued(): number;
}

export class GateMetrics {
  readonly registry = new Registry();
  readonly #connections: Counter<'outcome'>;
  readonly #refusals: Counter<'code'>;
  readonly #migration: Counter<'kind'>;
  readonly #events: Counter<'event'>;

  constructor() {
    const registers = [this.registry];
    this.#connections = new Counter({ name: 'certgate_connections_total', help: 'Device connections by admission outcome', labelNames: ['outcome'], registers });
    this.#refusals = new Counter({ name: 'certgate_refusals_total', help: 'Refused device connections by error code', labelNames: ['code'], registers });
    this.#migration = new Counter({
      name: 'certgate_certificate_logins_total',
      help: 'Certificate logins by what the device still sent as username (certificate-only, own-token, other-device-token, unknown-token)',
      labelNames: ['kind'],
      registers,
    });
    this.#events = new Counter({ name: 'certgate_session_events_total', help: 'Live-session events: duplicate, taken-over, revoked', labelNames: ['event'], registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'certgate_' });
  }

  outcome(outcome: Outcome): void {
    this.#connections.inc({ outcome });
  }

  refusal(code: string): void {
    this.#connections.inc({ outcome: 'refused' });
    this.#refusals.inc({ code });
  }

  certificateLogin(kind: string): void {
    this.#migration.inc({ kind });
  }

  sessionEvent(event: 'duplicate' | 'revoked'): void {
    this.#events.inc({ event });
  }

  /** Registers the gauges read at scrape time. */
  watch(gauges: Gauges): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    };
    gauge('certgate_sessions', 'Admitted device sessions open now', gauges.sessions);
    gauge('certgate_cached_devices', 'Devices whose credentials are cached', gauges.cachedDevices);
    gauge('certgate_rest_requests_in_flight', 'REST requests to ThingsBoard in flight', gauges.restInFlight);
    gauge('certgate_rest_requests_queued', 'REST requests waiting for a free slot', gauges.restQueued);
  }
}

/** `GET /metrics` in Prometheus text format and `GET /healthz`; anything else is 404. */
export async function serveMetrics(metrics: GateMetrics, host: string, port: number, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  const address = await listenOn(server, host, port, 'metrics');
  log.info({ metrics: `http://${address.address}:${address.port}/metrics` }, 'metrics served');
  return server;
}
