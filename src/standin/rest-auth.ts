// TEST DOUBLE, not part of the gate. ThingsBoard's REST authentication (thingsboard.md §1):
// login, refresh and the X-Authorization check (Bearer JWT or ApiKey) on every other /api call.

import type { IncomingHttpHeaders } from 'node:http';
import type { Reply, RouteDeps, RouteRequest } from './rest-types.ts';
import { bodyObject } from './rest-types.ts';
import { TbError, TbCode, tokenExpired, unauthorized } from './tb-errors.ts';

const BAD_CREDENTIALS = 'Invalid username or password';

/** `POST /api/auth/login`: the configured tenant admin gets a new JWT pair. */
export function login(request: RouteRequest, deps: RouteDeps): Reply {
  if (request.method !== 'POST') throw unauthorized('Authentication method not supported');

  const { username, password } = bodyObject(request.body);
  if (
    typeof username !== 'string' ||
    username.trim() === '' ||
    typeof password !== 'string' ||
    password === ''
  ) {
    throw unauthorized();
  }
  if (username !== deps.admin.username || password !== deps.admin.password) {
    throw unauthorized(BAD_CREDENTIALS);
  }

  return { status: 200, body: deps.jwt.issuePair(adminUser(deps)) };
}

/** `POST /api/auth/token`: a valid refresh token buys a new pair; the old one stays valid. */
export function refresh(request: RouteRequest, deps: RouteDeps): Reply {
  if (request.method !== 'POST') throw unauthorized('Authentication method not supported');

  const { refreshToken } = bodyObject(request.body);
  if (typeof refreshToken !== 'string' || refreshToken === '') throw unauthorized();

  const verdict = deps.jwt.verify(refreshToken, 'refresh');
  if (!verdict.ok && verdict.reason === 'expired') throw tokenExpired();
  if (!verdict.ok && verdict.reason === 'malformed') throw unauthorized(BAD_CREDENTIALS);
  if (!verdict.ok) throw unauthorized();

  return { status: 200, body: deps.jwt.issuePair(adminUser(deps)) };
}

/**
 * Throws the 401 ThingsBoard would send unless the request carries a usable credential.
 * `X-Authorization` wins; a blank one falls back to `Authorization` (§1.3). Since 4.3 only an
 * exact `Bearer ` prefix reaches the JWT check and `ApiKey ` goes to the API-key check.
 */
export function authenticate(headers: IncomingHttpHeaders, deps: RouteDeps): void {
  const header = headerValue(headers['x-authorization']) || headerValue(headers.authorization);
  if (!header) throw unauthorized();

  if (header.startsWith('ApiKey ')) {
    if (!deps.apiKeys.has(header.slice('ApiKey '.length).trim())) {
      throw unauthorized(BAD_CREDENTIALS);
    }
    return;
  }
  if (!header.startsWith('Bearer ')) throw unauthorized();

  const verdict = deps.jwt.verify(header.slice('Bearer '.length).trim(), 'access');
  if (verdict.ok) return;
  if (verdict.reason === 'expired') throw tokenExpired();
  if (verdict.reason === 'malformed') throw unauthorized(BAD_CREDENTIALS);
  throw new TbError(401, TbCode.authentication, 'Authentication failed');
}

function adminUser(deps: RouteDeps) {
  return { email: deps.admin.username, userId: deps.store.userId, tenantId: deps.store.tenantId };
}

function headerValue(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  return text.trim();
}
