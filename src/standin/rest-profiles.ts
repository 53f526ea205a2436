// TEST DOUBLE, not part of the gate. ThingsBoard's device-profile lookups (thingsboard.md §4.4):
// the name list and the paged, case-insensitive substring search.

import { pageJson, profileInfoJson, profileNameJson } from './shapes.ts';
import type { Reply, RouteDeps, RouteRequest } from './rest-types.ts';
import { intParam } from './rest-types.ts';

/** `GET /api/deviceProfile/names[?activeOnly=]`: `[{id, name}]` sorted by name. */
export function profileNames(_request: RouteRequest, deps: RouteDeps): Reply {
  return { status: 200, body: deps.store.profiles().map(profileNameJson) };
}

/** `GET /api/deviceProfileInfos?pageSize=&page=[&textSearch=]`: textSearch is `ilike '%text%'`. */
export function profileInfos(request: RouteRequest, deps: RouteDeps): Reply {
  const { url } = request;
  const search = (url.searchParams.get('textSearch') ?? '').toLowerCase();

  const infos = deps.store
    .profiles()
    .filter((p) => p.name.toLowerCase().includes(search))
    .map((p) => profileInfoJson(deps.store, p));
  return {
    status: 200,
    body: pageJson(infos, intParam(url, 'pageSize', 10), intParam(url, 'page', 0)),
  };
}
