// A session with one ThingsBoard's REST API: logs in as the tenant administrator (or uses an API
// key), bounds the requests in flight, backs off after a 429, and renews an expired JWT.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { GateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { PlatformConfig } from '../config/types.ts';
import { RequestLimiter } from './request-limiter.ts';

export interface RestResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** ThingsBoard's error body: {status, message, errorCode, timestamp}. */
interface ErrorBody {
  message?: string;
  errorCode?: number;
}

/** errorCode 11: the JWT expired, was outdated by a logout, or was signed with another key. */
const JWT_EXPIRED = 11;
/** How long to hold off after a 429 that names no Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class RestSession {
  readonly #config: PlatformConfig;
  readonly #log: Logger;
  readonly #agent: Agent;
  readonly #limiter: RequestLimiter;
  #busyUntil = 0;
  #jwt: string | null = null;
  #refreshToken: string | null = null;
  #renewing: Promise<void> | null = null;

  constructor(config: PlatformConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#limiter = new RequestLimiter(config.maxConcurrentRequests);
    const ca = config.caFile === undefined ? undefined : readFileSync(config.caFile);
    this.#agent = new Agent({ connections: config.maxConcurrentRequests, keepAliveTimeout: 30_000, ...(ca ? { connect: { ca } } : {}) });
  }

  get limiter(): RequestLimiter {
    return this.#limiter;
  }

  /**
   * Sends a request with the session's credentials; renews an expired JWT once. While ThingsBoard
   * asked to be left alone (429 with Retry-After), fails at once without sending anything.
   */
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<RestResponse> {
    this.#checkBusy();
    const res = await this.#authorized(method, path, body);
    if (res.status === 429) this.#backOff(res);
    return res;
  }

  async #authorized(method: 'GET' | 'POST', path: string, body: unknown): Promise<RestResponse> {
    if (this.#config.apiKey !== undefined) return this.#send(method, path, body, null);
    if (this.#jwt === null) await this.#renew(null);
    const used = this.#jwt;
    const first = await this.#send(method, path, body, used);
    if (!isExpired(first)) return first;

    await this.#renew(used);
    return this.#send(method, path, body, this.#jwt);
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }

  #checkBusy(): void {
    const wait = this.#busyUntil - Date.now();
    if (wait > 0) {
      throw new GateError('CERTGATE_PLATFORM_BUSY', `ThingsBoard asked for no requests for another ${Math.ceil(wait / 1000)} s (HTTP 429)`);
    }
  }

  #backOff(res: RestResponse): void {
    const header = res.headers['retry-after'];
    const value = Array.isArray(header) ? header[0] : header;
    const seconds = Number(value);
    const ms = Number.isFinite(seconds) && value !== undefined ? seconds * 1000 : Date.parse(value ?? '') - Date.now();
    this.#busyUntil = Date.now() + (Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_RETRY_AFTER_SECONDS * 1000);
    this.#log.warn({ retryAfterSeconds: Math.ceil((this.#busyUntil - Date.now()) / 1000) }, 'ThingsBoard REST API is rate limiting certgate (HTTP 429)');
  }

  /** One renewal at a time: concurrent callers that saw the same expired JWT wait for it. */
  async #renew(expired: string | null): Promise<void> {
    if (this.#jwt !== expired) return;
    this.#renewing ??= this.#refreshOrLogin().finally(() => (this.#renewing = null));
    await this.#renewing;
  }

  async #refreshOrLogin(): Promise<void> {
    if (this.#refreshToken !== null) {
      const refreshed = await this.#send('POST', '/api/auth/token', { refreshToken: this.#refreshToken }, null);
      if (refreshed.status === 200 && this.#takeTokens(refreshed.body)) {
        this.#log.info('REST session refreshed');
        return;
      }
    }

    const login = await this.#send('POST', '/api/auth/login', {
      username: this.#config.username ?? '',
      password: this.#config.password ?? '',
    }, null);
    if (login.status === 200 && this.#takeTokens(login.body)) {
      this.#log.info({ user: this.#config.username }, 'logged in to ThingsBoard');
      return;
    }
    this.#jwt = null;
    this.#refreshToken = null;
    throw platformError(login, `ThingsBoard refused the login of '${this.#config.username}'`, 'CERTGATE_PLATFORM_AUTH_FAILED');
  }

  #takeTokens(body: unknown): boolean {
    const pair = body as { token?: unknown; refreshToken?: unknown } | null;
    if (typeof pair?.token !== 'string') return false;
    this.#jwt = pair.token;
    this.#refreshToken = typeof pair.refreshToken === 'string' ? pair.refreshToken : null;
    return true;
  }

  async #send(method: 'GET' | 'POST', path: string, body: unknown, jwt: string | null): Promise<RestResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#config.apiKey !== undefined) headers['x-authorization'] = `ApiKey ${this.#config.apiKey}`;
    else if (jwt !== null) headers['x-authorization'] = `Bearer ${jwt}`;
    if (body !== undefined) headers['content-type'] = 'application/json';

    try {
      return await this.#limiter.run(() => this.#request(method, path, headers, body));
    } catch (err) {
      const code = (err as { code?: string; name?: string }).code ?? (err as Error).name;
      throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `ThingsBoard REST API unreachable (${code})`, { path: pathOnly(path) }, err);
    }
  }

  async #request(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body: unknown): Promise<RestResponse> {
    const res = await request(this.#config.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.#agent,
      signal: AbortSignal.timeout(this.#config.requestTimeoutSeconds * 1000),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: parseJson(text), headers: res.headers };
  }
}

/**
 * The GateError for a response the caller cannot use: 429 is "busy", any other status
 * "unavailable" unless the caller names a more precise code. ThingsBoard's message is kept;
 * it never contains a secret.
 */
export function platformError(res: RestResponse, what: string, code?: 'CERTGATE_PLATFORM_AUTH_FAILED'): GateError {
  const body = (res.body ?? {}) as ErrorBody;
  const said = body.message ? `: ${body.message}` : '';
  const detail = { status: res.status, errorCode: body.errorCode, retryAfter: res.headers['retry-after'] };
  if (res.status === 429) return new GateError('CERTGATE_PLATFORM_BUSY', `${what}: rate limited (HTTP 429)${said}`, detail);
  if (res.status === 401 || res.status === 403) {
    return new GateError('CERTGATE_PLATFORM_AUTH_FAILED', `${what}: ThingsBoard refused certgate's credentials or permissions (HTTP ${res.status})${said}`, detail);
  }
  return new GateError(code ?? 'CERTGATE_PLATFORM_UNAVAILABLE', `${what}: HTTP ${res.status}${said}`, detail);
}

function isExpired(res: RestResponse): boolean {
  return res.status === 401 && (res.body as ErrorBody | null)?.errorCode === JWT_EXPIRED;
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function pathOnly(path: string): string {
  return path.split('?')[0]!;
}
