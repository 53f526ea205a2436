// TEST DOUBLE, not part of the gate. The stand-in ThingsBoard's REST route table: method, path,
// counter kind and handler for every endpoint certgate calls.

import { login, refresh } from './rest-auth.ts';
import {
  createDevice,
  createDeviceWithCredentials,
  deviceById,
  deviceByName,
  deviceCredentials,
  deviceList,
  saveAttributes,
} from './rest-devices.ts';
import { profileInfos, profileNames } from './rest-profiles.ts';
import type { Route } from './rest-types.ts';

const ID = '([^/]+)';

export const routes: Route[] = [
  { method: '*', path: /^\/api\/auth\/login$/, kind: 'login', public: true, handle: login },
  { method: '*', path: /^\/api\/auth\/token$/, kind: 'refresh', public: true, handle: refresh },
  {
    method: 'GET',
    path: /^\/api\/tenant\/devices$/,
    query: 'deviceName',
    kind: 'deviceByName',
    handle: deviceByName,
  },
  { method: 'GET', path: /^\/api\/tenant\/devices$/, kind: 'deviceList', handle: deviceList },
  {
    method: 'GET',
    path: new RegExp(`^/api/device/${ID}/credentials$`),
    kind: 'credentials',
    handle: deviceCredentials,
  },
  {
    method: 'GET',
    path: new RegExp(`^/api/device/${ID}$`),
    kind: 'deviceById',
    handle: deviceById,
  },
  { method: 'GET', path: /^\/api\/deviceProfile\/names$/, kind: 'profiles', handle: profileNames },
  { method: 'GET', path: /^\/api\/deviceProfileInfos$/, kind: 'profiles', handle: profileInfos },
  { method: 'POST', path: /^\/api\/device$/, kind: 'create', handle: createDevice },
  {
    method: 'POST',
    path: /^\/api\/device-with-credentials$/,
    kind: 'create',
    handle: createDeviceWithCredentials,
  },
  {
    method: 'POST',
    path: new RegExp(`^/api/plugins/telemetry/DEVICE/${ID}/attributes/${ID}$`),
    kind: 'attributes',
    handle: saveAttributes,
  },
  {
    method: 'POST',
    path: new RegExp(`^/api/plugins/telemetry/DEVICE/${ID}/${ID}$`),
    kind: 'attributes',
    handle: saveAttributes,
  },
];

/** The route for a request and its decoded path parameters, or undefined. */
export function matchRoute(
  method: string,
  url: URL,
): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    const match = route.path.exec(url.pathname);
    if (!match || (route.method !== '*' && route.method !== method)) continue;
    if (route.query !== undefined && !url.searchParams.has(route.query)) continue;

    return { route, params: match.slice(1).map((p) => decodeURIComponent(p)) };
  }
  return undefined;
}
