// Finds a device's credentials by name in one ThingsBoard, checks its profile, and caches the
// answer: one lookup in flight per device, misses remembered briefly, stale tokens kept for outages.

import { LRUCache } from 'lru-cache';
import { GateError, isGateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CacheConfig } from '../config/types.ts';
import { readCredentials, type UpstreamCredentials } from './credentials.ts';
import { ProfileIndex } from './profiles.ts';
import { provisionDevice } from './provisioning.ts';
import { platformError, type RestSession } from './rest-session.ts';

export type { UpstreamCredentials } from './credentials.ts';

/** A device as the gate knows it. `credentials` hold secrets: never log them. */
export interface DeviceRecord {
  deviceId: string;
  name: string;
  profileId: string;
  profileName: string;
  credentials: UpstreamCredentials;
  fetchedAt: number;
  /** True when certgate created the device just now. */
  provisioned: boolean;
}

export interface Lookup {
  device: DeviceRecord;
  /** The answer came from the cache (so it may be outdated: worth one retry when refused). */
  fromCache: boolean;
}

/** What a route asks for: a profile name (or `*` for any) and whether a missing device is created. */
export interface DeviceQuery {
  profile: string;
  provision: boolean;
}

interface DeviceJson {
  id?: { id?: string };
  name?: string;
  type?: string;
  deviceProfileId?: { id?: string };
}

/** How often a device whose stale token is in use retries ThingsBoard. */
const STALE_RETRY_MS = 5_000;

export class DeviceDirectory {
  readonly profiles: ProfileIndex;
  readonly #rest: RestSession;
  readonly #config: CacheConfig;
  readonly #log: Logger;
  readonly #cache: LRUCache<string, DeviceRecord, DeviceQuery>;
  readonly #misses: LRUCache<string, GateError>;

  constructor(rest: RestSession, config: CacheConfig, log: Logger) {
    this.#rest = rest;
    this.#config = config;
    this.#log = log;
    this.profiles = new ProfileIndex(rest);
    this.#cache = new LRUCache<string, DeviceRecord, DeviceQuery>({
      max: config.maxEntries,
      ttl: config.tokenTtlSeconds * 1000,
      // fetch() runs one lookup per device name at a time; concurrent callers share its result.
      fetchMethod: (name, stale, { options, context }) => this.#refresh(name, stale, options, context),
    });
    this.#misses = new LRUCache<string, GateError>({ max: 10_000, ttl: Math.max(config.negativeTtlSeconds, 0.001) * 1000 });
  }

  /** The device's credentials, refused unless the device is in the route's profile. */
  async resolve(name: string, query: DeviceQuery): Promise<Lookup> {
    const miss = query.provision ? undefined : this.#misses.get(name);
    if (miss) throw miss;

    const cached = this.#cache.has(name);
    const device = await this.#cache.fetch(name, { context: query });
    if (device === undefined) throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `lookup of device '${name}' was abandoned`);

    this.#checkProfile(device, query);
    return { device, fromCache: cached && !device.provisioned };
  }

  /** Forget a device's cached credentials (ThingsBoard refused them: they were changed). */
  evict(name: string): void {
    this.#cache.delete(name);
  }

  get size(): number {
    return this.#cache.size;
  }

  #checkProfile(device: DeviceRecord, query: DeviceQuery): void {
    if (query.profile === '*') return;
    const expected = this.profiles.idOf(query.profile);
    if (expected === undefined) {
      throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `device profile '${query.profile}' is not resolved yet: ThingsBoard has not answered`);
    }
    if (device.profileId !== expected) {
      throw new GateError(
        'CERTGATE_DEVICE_WRONG_PROFILE',
        `device '${device.name}' is in profile '${device.profileName}', the route requires '${query.profile}'`,
        { device: device.name },
      );
    }
  }

  /** The fetch behind the cache; serves a stale record, within its limit, when ThingsBoard fails. */
  async #refresh(name: string, stale: DeviceRecord | undefined, options: { ttl?: number }, query: DeviceQuery): Promise<DeviceRecord> {
    try {
      return await this.#lookup(name, query);
    } catch (err) {
      if (!isGateError(err) || err.fault !== 'platform' || stale === undefined) {
        if (isGateError(err) && err.code === 'CERTGATE_DEVICE_NOT_FOUND' && !query.provision) this.#misses.set(name, err);
        throw err;
      }
      const age = Date.now() - stale.fetchedAt;
      const limit = (this.#config.tokenTtlSeconds + this.#config.staleIfErrorSeconds) * 1000;
      if (age > limit) throw err;

      this.#log.warn({ device: name, ageSeconds: Math.round(age / 1000), code: err.code }, 'ThingsBoard REST failing; using the cached token');
      options.ttl = STALE_RETRY_MS;
      return stale;
    }
  }

  async #lookup(name: string, query: DeviceQuery): Promise<DeviceRecord> {
    const found = await this.#rest.call('GET', `/api/tenant/devices?deviceName=${encodeURIComponent(name)}`);
    if (found.status === 404 && query.provision) return this.#create(name, query);
    if (found.status === 404) {
      throw new GateError('CERTGATE_DEVICE_NOT_FOUND', `device '${name}' not found in ThingsBoard`, { device: name });
    }
    if (found.status !== 200) throw platformError(found, `looking up device '${name}'`);

    const device = found.body as DeviceJson;
    const deviceId = device.id?.id;
    if (typeof deviceId !== 'string') throw platformError(found, `looking up device '${name}': no device id in the answer`);
    const credentials = await readCredentials(this.#rest, deviceId, name);
    return {
      deviceId,
      name,
      profileId: device.deviceProfileId?.id ?? '',
      profileName: device.type ?? '',
      credentials,
      fetchedAt: Date.now(),
      provisioned: false,
    };
  }

  async #create(name: string, query: DeviceQuery): Promise<DeviceRecord> {
    const profileId = this.profiles.idOf(query.profile);
    if (profileId === undefined) throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `device profile '${query.profile}' is not resolved yet`);

    const created = await provisionDevice(this.#rest, name, profileId);
    if (created === 'exists') return this.#lookup(name, { ...query, provision: false });
    this.#log.info({ device: name, profile: query.profile }, 'device created in ThingsBoard');
    return { ...created, profileName: query.profile, fetchedAt: Date.now(), provisioned: true };
  }
}
