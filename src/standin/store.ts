// TEST DOUBLE, not part of the gate. The stand-in's tenant data: device profiles, devices, their
// one credentials row each, server attributes and what devices published over MQTT.

import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { buildCredentials, type CredentialsSpec, type StoredCredentials } from './credentials.ts';
import { badRequest, notFound } from './tb-errors.ts';

export interface Profile {
  id: string;
  name: string;
  createdTime: number;
  isDefault: boolean;
}

/** One PUBLISH a device sent after a successful CONNECT. */
export interface PublishRecord {
  topic: string;
  /** The payload parsed as JSON, or the UTF-8 text when it is not JSON. */
  payload: unknown;
  raw: Buffer;
  qos: number;
  at: number;
}

export interface Device {
  id: string;
  name: string;
  label: string | null;
  profileId: string;
  createdTime: number;
  version: number;
  credentials: StoredCredentials;
  serverAttributes: Record<string, unknown>;
  published: PublishRecord[];
}

export interface NewDevice {
  name: string;
  label?: string | null;
  profileId: string;
  credentials: CredentialsSpec;
}

interface StoreEvents {
  /** A device's credentials changed or it was deleted: ThingsBoard closes its live sessions. */
  credentialsRevoked: [device: Device];
}

export const NULL_UUID = '13814000-1dd2-11b2-8080-808080808080';

export class Store extends EventEmitter<StoreEvents> {
  readonly tenantId = randomUUID();
  readonly userId = randomUUID();
  #profiles = new Map<string, Profile>();
  #devices = new Map<string, Device>();

  constructor() {
    super();
    this.addProfile('default', true);
  }

  addProfile(name: string, isDefault = false): Profile {
    if (this.profileByName(name)) throw badRequest('Device profile with such name already exists!');

    const profile = { id: randomUUID(), name, createdTime: Date.now(), isDefault };
    this.#profiles.set(profile.id, profile);
    return profile;
  }

  /** Deletes a profile; like ThingsBoard, refuses the default one and one still in use. */
  removeProfile(name: string): void {
    const profile = this.profileByName(name);
    if (!profile) throw notFound();
    if (profile.isDefault) throw badRequest("Default device profile can't be deleted!");
    if (this.devices().some((d) => d.profileId === profile.id)) {
      throw badRequest('The device profile referenced by the devices cannot be deleted!');
    }

    this.#profiles.delete(profile.id);
  }

  profileByName(name: string): Profile | undefined {
    return [...this.#profiles.values()].find((p) => p.name === name);
  }

  profileById(id: string): Profile | undefined {
    return this.#profiles.get(id);
  }

  defaultProfile(): Profile {
    const profile = [...this.#profiles.values()].find((p) => p.isDefault);
    if (!profile) throw new Error('stand-in: the default profile is missing');
    return profile;
  }

  /** Profiles sorted by name, as ThingsBoard's listings return them. */
  profiles(): Profile[] {
    return [...this.#profiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates a device and its credentials in one step, with ThingsBoard's refusals. */
  addDevice(spec: NewDevice): Device {
    const name = spec.name;
    if (typeof name !== 'string' || name.trim() === '') {
      throw badRequest('Device name should be specified!');
    }
    if (name.length > 255) {
      throw badRequest('Validation error: name length must be equal or less than 255');
    }
    if (!this.#profiles.has(spec.profileId)) {
      throw badRequest('Device is referencing non existing device profile!');
    }
    if (this.deviceByName(name)) throw badRequest('Device with such name already exists!');

    const credentials = buildCredentials(spec.credentials);
    this.#checkCredentialsFree(credentials);

    const device: Device = {
      id: randomUUID(),
      name,
      label: spec.label ?? null,
      profileId: spec.profileId,
      createdTime: Date.now(),
      version: 1,
      credentials,
      serverAttributes: {},
      published: [],
    };
    this.#devices.set(device.id, device);
    return device;
  }

  /** Replaces a device's credentials; its live sessions are closed, as ThingsBoard does. */
  setCredentials(device: Device, spec: CredentialsSpec): StoredCredentials {
    const next = buildCredentials(spec);
    this.#checkCredentialsFree(next, device);

    device.credentials = {
      ...next,
      id: device.credentials.id,
      version: device.credentials.version + 1,
    };
    this.emit('credentialsRevoked', device);
    return device.credentials;
  }

  removeDevice(name: string): void {
    const device = this.deviceByName(name);
    if (!device) throw notFound();

    this.#devices.delete(device.id);
    this.emit('credentialsRevoked', device);
  }

  /** Exact, case-sensitive, as the database's unique (tenant, name) constraint. */
  deviceByName(name: string): Device | undefined {
    return this.devices().find((d) => d.name === name);
  }

  deviceById(id: string): Device | undefined {
    return this.#devices.get(id);
  }

  devices(): Device[] {
    return [...this.#devices.values()];
  }

  /** The device whose credentials row has this credentialsId (unique platform-wide). */
  deviceByCredentialsId(credentialsId: string): Device | undefined {
    return this.devices().find((d) => d.credentials.credentialsId === credentialsId);
  }

  #checkCredentialsFree(credentials: StoredCredentials, owner?: Device): void {
    const holder = this.deviceByCredentialsId(credentials.credentialsId);
    if (holder && holder !== owner) {
      throw badRequest('Device credentials are already assigned to another device!');
    }
  }
}
