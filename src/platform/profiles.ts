// Device profile names to ids for one ThingsBoard. Resolved at start; a name ThingsBoard does not
// know is a configuration error, while an unreachable ThingsBoard is retried until it answers.

import { GateError } from '../errors.ts';
import { platformError, type RestSession } from './rest-session.ts';

interface ProfileName {
  id?: { id?: string };
  name?: string;
}

/** A profile name a route asks for, and the route's configuration key for messages. */
export interface WantedProfile {
  name: string;
  key: string;
}

export class ProfileIndex {
  readonly #rest: RestSession;
  #ids = new Map<string, string>();

  constructor(rest: RestSession) {
    this.#rest = rest;
  }

  idOf(name: string): string | undefined {
    return this.#ids.get(name);
  }

  /**
   * Loads every profile of the tenant and checks `wanted` against them. Throws
   * CERTGATE_CONFIG_INVALID naming the missing ones, or a platform error when ThingsBoard fails.
   */
  async load(wanted: WantedProfile[]): Promise<void> {
    const all = await this.#fetchAll();
    const missing = wanted.filter((w) => !all.has(w.name));
    if (missing.length > 0) {
      const known = [...all.keys()].sort().join(', ');
      const problems = missing.map((m) => ({ key: m.key, message: `ThingsBoard has no device profile named '${m.name}' (it has: ${known})` }));
      throw new GateError('CERTGATE_CONFIG_INVALID', problems.map((p) => `${p.key}: ${p.message}`).join('\n'), { problems });
    }
    this.#ids = all;
  }

  /** `GET /api/deviceProfile/names` (ThingsBoard 3.7+), else the paged profile infos. */
  async #fetchAll(): Promise<Map<string, string>> {
    const names = await this.#rest.call('GET', '/api/deviceProfile/names?activeOnly=false');
    if (names.status === 200 && Array.isArray(names.body)) return toMap(names.body as ProfileName[]);
    if (names.status !== 404) throw platformError(names, 'reading device profiles');

    const all: ProfileName[] = [];
    for (let page = 0; page < 1000; page++) {
      const res = await this.#rest.call('GET', `/api/deviceProfileInfos?pageSize=100&page=${page}`);
      if (res.status !== 200) throw platformError(res, 'reading device profiles');
      const body = res.body as { data?: ProfileName[]; hasNext?: boolean };
      all.push(...(body.data ?? []));
      if (!body.hasNext) break;
    }
    return toMap(all);
  }
}

function toMap(list: ProfileName[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of list) if (typeof p.name === 'string' && typeof p.id?.id === 'string') map.set(p.name, p.id.id);
  return map;
}
