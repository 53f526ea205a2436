// TEST DOUBLE, not part of the gate. The shape of one REST route of the stand-in ThingsBoard:
// what a handler receives, what it returns and the route kinds the request counters use.

import type { IncomingHttpHeaders } from 'node:http';
import type { JwtIssuer } from './jwt.ts';
import type { Store } from './store.ts';

/** The counter bucket a request falls in; `other` is everything no route matched. */
export type RouteKind =
  | 'login'
  | 'refresh'
  | 'deviceByName'
  | 'deviceList'
  | 'deviceById'
  | 'credentials'
  | 'profiles'
  | 'create'
  | 'attributes'
  | 'other';

export interface RouteDeps {
  store: Store;
  jwt: JwtIssuer;
  admin: { username: string; password: string };
  apiKeys: ReadonlySet<string>;
}

export interface RouteRequest {
  method: string;
  url: URL;
  /** The capture groups of the route's path pattern. */
  params: string[];
  body: unknown;
  headers: IncomingHttpHeaders;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Route {
  /** An HTTP method, or `*` for any. */
  method: string;
  path: RegExp;
  kind: RouteKind;
  /** A query parameter the request must carry to match (Spring's `params = {...}`). */
  query?: string;
  /** Public routes (login, refresh) skip the X-Authorization check. */
  public?: boolean;
  handle(request: RouteRequest, deps: RouteDeps): Reply;
}

/** A non-negative integer query parameter, or the fallback when absent or not a number. */
export function intParam(url: URL, name: string, fallback: number): number {
  const value = Number.parseInt(url.searchParams.get(name) ?? '', 10);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** The body as a plain object, or an empty one when it is anything else. */
export function bodyObject(body: unknown): Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}
