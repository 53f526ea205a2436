// Finds a device's credentials by name through ThingsBoard's REST API, checks the device
// belongs to the route's profile, and keeps what it found in a size- and time-limited cache.

import { LRUCache } from 'lru-cache';
import { GateError } from '../errors.ts';
import type { CacheConfig } from '../config/types.ts';
import { platformError, type RestSession } from './rest-session.ts';

/** What the gate needs to log a device in upstream. `token` is a secret: never log it. */
export interface DeviceCredentials {
  deviceId: string;
  name: string;
  /** The device's profile name (ThingsBoard keeps it in the device's `type`). */
  profile: string;
  token: string;
}

interface DeviceJson {
  id?: { id?: string };
  name?: string;
  type?: string;
}

interface CredentialsJson {
  credentialsType?: string;
  credentialsId?: string;
}

const NOT_FOUND = 404;

export class DeviceDirectory {
  readonly #rest: RestSession;
  readonly #cache: LRUCache<string, DeviceCredentials>;

  constructor(rest: RestSession, config: CacheConfig) {
    this.#rest = rest;
    // fetch() runs one lookup per device name at a time; concurrent callers share it.
    this.#cache = new LRUCache<string, DeviceCredentials>({
      max: config.maxEntries,
      ttl: config.tokenTtlSeconds * 1000,
      fetchMethod: (name) => this.#lookup(name),
    });
  }

  /** The credentials of `name`, refused unless the device is in `profile`. */
  async resolve(name: string, profile: string): Promise<DeviceCredentials> {
    const device = await this.#cache.fetch(name);
    if (device === undefined) throw new GateError('CERTGATE_PLATFORM_UNAVAILABLE', `lookup of device '${name}' was abandoned`);

    if (device.profile !== profile) {
      throw new GateError('CERTGATE_DEVICE_WRONG_PROFILE', `device '${name}' is in profile '${device.profile}', the route requires '${profile}'`, { device: name });
    }
    return device;
  }

  /** Forget a device's cached credentials (ThingsBoard refused them: they were changed). */
  evict(name: string): void {
    this.#cache.delete(name);
  }

  get size(): number {
    return this.#cache.size;
  }

  async #lookup(name: string): Promise<DeviceCredentials> {
    const found = await this.#rest.call('GET', `/api/tenant/devices?deviceName=${encodeURIComponent(name)}`);
    if (found.status === NOT_FOUND) {
      throw new GateError('CERTGATE_DEVICE_NOT_FOUND', `device '${name}' not found in ThingsBoard`, { device: name });
    }
    if (found.status !== 200) throw platformError(found, `looking up device '${name}'`);
    const device = found.body as DeviceJson;
    const deviceId = device.id?.id;
    if (typeof deviceId !== 'string') throw platformError(found, `looking up device '${name}': no device id in the answer`);

    const creds = await this.#rest.call('GET', `/api/device/${encodeURIComponent(deviceId)}/credentials`);
    if (creds.status !== 200) throw platformError(creds, `reading the credentials of device '${name}'`);
    const body = creds.body as CredentialsJson;
    if (body.credentialsType !== 'ACCESS_TOKEN' || typeof body.credentialsId !== 'string') {
      throw new GateError(
        'CERTGATE_CREDENTIALS_UNSUPPORTED',
        `device '${name}' has credentials of type ${String(body.credentialsType)}; certgate needs ACCESS_TOKEN: ` +
          'set the device\'s credentials to an access token in ThingsBoard',
        { device: name },
      );
    }

    return { deviceId, name, profile: device.type ?? '', token: body.credentialsId };
  }
}
