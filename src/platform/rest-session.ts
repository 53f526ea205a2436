// A logged-in session with ThingsBoard's REST API: logs in as the tenant administrator, sends
// requests with the JWT, and refreshes or logs in again when ThingsBoard says the JWT expired.

import { Agent, request } from 'undici';
import { GateError } from '../errors.ts';
import { safeUrl, type Logger } from '../log.ts';
import type { PlatformConfig } from '../config/types.ts';

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

export class RestSession {
  readonly #config: PlatformConfig;
  readonly #log: Logger;
  readonly #agent: Agent;
  #jwt: string | null = null;
  #refreshToken: string | null = null;
  #renewing: Promise<void> | null = null;

  constructor(config: PlatformConfig, log: Logger) {
    this.#config = config;
    this.#log = log.child({ platform: safeUrl(config.url) });
    this.#agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  }

  /** Sends a request with the session's JWT; renews the session once if it expired. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<RestResponse> {
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
      username: this.#config.username,
      password: this.#config.password,
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
    if (jwt !== null) headers['x-authorization'] = `Bearer ${jwt}`;
    if (body !== undefined) headers['content-type'] = 'application/json';

    try {
      const res = await request(this.#config.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#config.requestTimeoutSeconds * 1000),
      });
      const text = await res.body.text();
      return { status: res.statusCode, body: parseJson(text), headers: res.headers };
    } catch (err) {
      const code = (err as { code?: string; name?: string }).code ?? (err as Error).name;
      throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `ThingsBoard REST API unreachable (${code})`, { path: pathOnly(path) }, err);
    }
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
