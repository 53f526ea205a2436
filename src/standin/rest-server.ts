// TEST DOUBLE, not part of the gate. The stand-in ThingsBoard's HTTP server on 127.0.0.1 and its
// test controls: latency, forced failures, going down and up, request counters and concurrency.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { authenticate } from './rest-auth.ts';
import { matchRoute } from './rest-routes.ts';
import type { Reply, Route, RouteDeps, RouteKind, RouteRequest } from './rest-types.ts';
import { TbError, TbCode, errorBody, forcedErrorBody } from './tb-errors.ts';
import { listenOnLoopback } from './listen.ts';

interface ForcedFailure {
  status: number;
  remaining: number;
  headers: Record<string, string>;
  route: RouteKind | undefined;
}

export class RestServer {
  /** Requests received per route kind, forced failures included. */
  readonly calls: Record<string, number> = {};
  inFlight = 0;
  maxInFlight = 0;
  #deps: RouteDeps;
  #server: Server;
  #port = 0;
  #latency = new Map<RouteKind | '*', number>();
  #failure: ForcedFailure | undefined;
  #delays = new Map<NodeJS.Timeout, () => void>();

  constructor(deps: RouteDeps) {
    this.#deps = deps;
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 5_000;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get listening(): boolean {
    return this.#server.listening;
  }

  /** Listens on an ephemeral port the first time, then on the same port again after down(). */
  async up(): Promise<void> {
    if (this.#server.listening) return;

    this.#port = await listenOnLoopback(this.#server, this.#port);
  }

  /** Stops listening and drops every open connection, requests in flight included. */
  async down(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** Delays every request (or one route kind) by `ms` before it is answered. */
  setLatency(ms: number, route?: RouteKind): void {
    this.#latency.set(route ?? '*', ms);
  }

  /** The next `count` requests (of one route kind, if given) get `status` and TB's body. */
  failNext(
    status: number,
    count = 1,
    headers: Record<string, string> = {},
    route?: RouteKind,
  ): void {
    this.#failure = { status, remaining: count, headers, route };
  }

  clearFailures(): void {
    this.#failure = undefined;
  }

  resetCounters(): void {
    for (const key of Object.keys(this.calls)) delete this.calls[key];
    this.maxInFlight = this.inFlight;
  }

  async close(): Promise<void> {
    // Requests still waiting out their latency finish at once; their sockets are gone by then.
    for (const [timer, resume] of this.#delays) {
      clearTimeout(timer);
      resume();
    }
    this.#delays.clear();

    if (this.#server.listening) await this.down();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const method = req.method ?? 'GET';
    const match = matchRoute(method, url);
    const kind = match?.route.kind ?? 'other';

    this.calls[kind] = (this.calls[kind] ?? 0) + 1;
    this.#enter(res);

    const raw = await readBody(req);
    await this.#delay(kind);
    if (res.destroyed) return;

    const forced = this.#takeFailure(kind);
    if (forced) {
      const reply = { status: forced.status, body: forcedErrorBody(forced.status) };
      return send(res, reply, forced.headers);
    }

    const request = { method, url, params: match?.params ?? [], body: raw, headers: req.headers };
    send(res, this.#route(match?.route, request));
  }

  /** Authenticates (unless public), then runs the handler; failures become TB error bodies. */
  #route(route: Route | undefined, request: RouteRequest & { body: string }): Reply {
    try {
      if (!route?.public) authenticate(request.headers, this.#deps);
      if (!route) return { status: 404, body: errorBody(404, TbCode.itemNotFound, 'Not Found') };

      return route.handle({ ...request, body: parseJson(request.body) }, this.#deps);
    } catch (error) {
      if (!(error instanceof TbError)) {
        return { status: 500, body: errorBody(500, TbCode.general, String(error)) };
      }
      return {
        status: error.status,
        body: errorBody(error.status, error.errorCode, error.message),
      };
    }
  }

  #enter(res: ServerResponse): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => this.inFlight--);
  }

  async #delay(kind: RouteKind): Promise<void> {
    const ms = this.#latency.get(kind) ?? this.#latency.get('*') ?? 0;
    if (ms <= 0) return;

    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#delays.delete(timer);
        resolve();
      }, ms);
      this.#delays.set(timer, resolve);
    });
  }

  #takeFailure(kind: RouteKind): ForcedFailure | undefined {
    const failure = this.#failure;
    if (!failure || (failure.route && failure.route !== kind)) return undefined;

    failure.remaining--;
    if (failure.remaining <= 0) this.#failure = undefined;
    return failure;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
    req.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;

  try {
    return JSON.parse(raw);
  } catch {
    throw new TbError(400, TbCode.badRequestParams, 'Invalid request body');
  }
}

function send(res: ServerResponse, reply: Reply, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;

  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
