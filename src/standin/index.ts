// TEST DOUBLE, not part of the gate: a stand-in ThingsBoard for the test suite and `certgate demo`.
// startStandin() opens its REST API and plain MQTT port on 127.0.0.1 and returns these controls:
//
//   const tb = await startStandin({ username, password, jwtLifetimeSeconds, apiKeys });
//   tb.restUrl, tb.mqttPort                  where to point certgate
//   tb.addProfile(name) / addDevice(name, {profile, token, credentials, label})
//   tb.regenerateToken(name) / setCredentials(name, spec) / removeDevice(name)   (close sessions)
//   tb.device(name) / telemetry(name) / attributes(name) / serverAttributes(name)
//   tb.connects                              every MQTT CONNECT: raw bytes, decoded packet, answer
//   tb.rest.calls / maxInFlight / setLatency / failNext / clearFailures / down / up / expireJwts
//   tb.mqtt.down / up / silent / proxyProtocol / refuseConnects / dropAll / kick / counters
//   tb.mqtt.connections                      each TCP connection with its packet order
//   tb.waitFor(predicate), tb.close()        close() ends every socket and timer; call it in afterEach

import type { CredentialsSpec, StoredCredentials } from './credentials.ts';
import { JwtIssuer } from './jwt.ts';
import type { ConnectReason } from './mqtt-auth.ts';
import type { ConnectRecord, MqttConnection } from './mqtt-connection.ts';
import { MqttServer, DisconnectReason } from './mqtt-server.ts';
import { RestServer } from './rest-server.ts';
import type { RouteKind } from './rest-types.ts';
import { Store, type Device, type PublishRecord } from './store.ts';
import { Waiters } from './waiters.ts';

export type { ProxyHeader } from './mqtt-proxy-header.ts';
export type {
  ConnectRecord,
  ConnectReason,
  CredentialsSpec,
  PublishRecord,
  RouteKind,
  StoredCredentials,
};
export { DisconnectReason };

export interface StandinOptions {
  /** Tenant admin e-mail for `/api/auth/login`; default `tenant@thingsboard.org`. */
  username?: string;
  /** Default `tenant`. */
  password?: string;
  /** Access-token lifetime; default 9000 s, ThingsBoard's default. */
  jwtLifetimeSeconds?: number;
  /** Refresh-token lifetime; default 604800 s (one week). */
  refreshLifetimeSeconds?: number;
  /** Values accepted as `X-Authorization: ApiKey <value>`. */
  apiKeys?: string[];
  /** MQTT connections must start with a PROXY v1/v2 header (`MQTT_PROXY_PROTOCOL_ENABLED`). */
  proxyProtocol?: boolean;
  /** Clock for JWT `iat`/`exp` checks; default Date.now. */
  now?: () => number;
}

export interface AddDeviceOptions {
  profile?: string;
  /** Shorthand for ACCESS_TOKEN credentials with this token. */
  token?: string;
  credentials?: CredentialsSpec;
  label?: string;
}

export interface DeviceView {
  id: string;
  name: string;
  profile: string;
  profileId: string;
  credentials: StoredCredentials;
  /** The access token, for ACCESS_TOKEN devices. */
  token?: string;
  published: PublishRecord[];
  telemetry: PublishRecord[];
  attributes: PublishRecord[];
  serverAttributes: Record<string, unknown>;
  /** Whether the device has a live MQTT session. */
  connected: boolean;
}

export interface RestControls {
  readonly calls: Readonly<Record<string, number>>;
  readonly inFlight: number;
  readonly maxInFlight: number;
  readonly listening: boolean;
  setLatency(ms: number, route?: RouteKind): void;
  failNext(
    status: number,
    count?: number,
    headers?: Record<string, string>,
    route?: RouteKind,
  ): void;
  clearFailures(): void;
  resetCounters(): void;
  down(): Promise<void>;
  up(): Promise<void>;
  /** Expires every access token issued so far (and refresh tokens too with `{ refresh: true }`). */
  expireJwts(options?: { refresh?: boolean }): void;
}

export interface MqttControls {
  readonly counters: Readonly<{ accepted: number; open: number; maxOpen: number }>;
  readonly connections: readonly MqttConnection[];
  down(): Promise<void>;
  up(): Promise<void>;
  silent(on: boolean): void;
  proxyProtocol(on: boolean): void;
  refuseConnects(reason: ConnectReason | undefined): void;
  dropAll(): void;
  kick(deviceName: string, reasonCode?: number): void;
}

export interface Standin {
  readonly restUrl: string;
  readonly mqttPort: number;
  readonly username: string;
  readonly password: string;
  readonly apiKeys: readonly string[];
  readonly store: Store;
  readonly connects: readonly ConnectRecord[];
  readonly rest: RestControls;
  readonly mqtt: MqttControls;
  addProfile(name: string): { id: string; name: string };
  removeProfile(name: string): void;
  addDevice(name: string, options?: AddDeviceOptions): { id: string; token?: string };
  removeDevice(name: string): void;
  regenerateToken(name: string): string;
  setCredentials(name: string, credentials: CredentialsSpec): StoredCredentials;
  device(name: string): DeviceView | undefined;
  telemetry(name: string): PublishRecord[];
  attributes(name: string): PublishRecord[];
  serverAttributes(name: string): Record<string, unknown>;
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const username = options.username ?? 'tenant@thingsboard.org';
  const password = options.password ?? 'tenant';
  const apiKeys = [...(options.apiKeys ?? [])];

  const store = new Store();
  const jwt = new JwtIssuer({
    accessSeconds: options.jwtLifetimeSeconds ?? 9000,
    refreshSeconds: options.refreshLifetimeSeconds ?? 604_800,
    now: options.now ?? Date.now,
  });
  const rest = new RestServer({
    store,
    jwt,
    admin: { username, password },
    apiKeys: new Set(apiKeys),
  });
  const mqtt = new MqttServer(store, options.proxyProtocol ?? false);
  const waiters = new Waiters();

  await rest.up();
  await mqtt.up();
  const restUrl = rest.url;
  const mqttPort = mqtt.port;

  return {
    restUrl,
    mqttPort,
    username,
    password,
    apiKeys,
    store,
    connects: mqtt.connects,
    rest: restControls(rest, jwt),
    mqtt: mqttControls(mqtt),
    addProfile: (name) => {
      const { id } = store.addProfile(name);
      return { id, name };
    },
    removeProfile: (name) => store.removeProfile(name),
    addDevice: (name, deviceOptions) => addDevice(store, name, deviceOptions),
    removeDevice: (name) => store.removeDevice(name),
    regenerateToken: (name) => {
      const credentials = store.setCredentials(mustFind(store, name), { type: 'ACCESS_TOKEN' });
      return credentials.credentialsId;
    },
    setCredentials: (name, spec) => store.setCredentials(mustFind(store, name), spec),
    device: (name) => deviceView(store, mqtt, name),
    telemetry: (name) => published(store, name, 'v1/devices/me/telemetry'),
    attributes: (name) => published(store, name, 'v1/devices/me/attributes'),
    serverAttributes: (name) => ({ ...mustFind(store, name).serverAttributes }),
    waitFor: (predicate, timeoutMs) => waiters.waitFor(predicate, timeoutMs),
    close: async () => {
      waiters.close();
      await Promise.all([rest.close(), mqtt.close()]);
    },
  };
}

function addDevice(
  store: Store,
  name: string,
  options: AddDeviceOptions = {},
): { id: string; token?: string } {
  const profile = options.profile ? store.profileByName(options.profile) : store.defaultProfile();
  if (!profile) throw new Error(`stand-in: no device profile named ${options.profile}`);

  const credentials = options.credentials ?? { type: 'ACCESS_TOKEN', token: options.token };
  const device = store.addDevice({
    name,
    label: options.label ?? null,
    profileId: profile.id,
    credentials,
  });
  const token =
    device.credentials.type === 'ACCESS_TOKEN' ? device.credentials.credentialsId : undefined;
  return token === undefined ? { id: device.id } : { id: device.id, token };
}

function deviceView(store: Store, mqtt: MqttServer, name: string): DeviceView | undefined {
  const device = store.deviceByName(name);
  if (!device) return undefined;

  const credentials = device.credentials;
  return {
    id: device.id,
    name: device.name,
    profile: store.profileById(device.profileId)?.name ?? '',
    profileId: device.profileId,
    credentials,
    ...(credentials.type === 'ACCESS_TOKEN' ? { token: credentials.credentialsId } : {}),
    published: [...device.published],
    telemetry: device.published.filter((p) => p.topic === 'v1/devices/me/telemetry'),
    attributes: device.published.filter((p) => p.topic === 'v1/devices/me/attributes'),
    serverAttributes: { ...device.serverAttributes },
    connected: mqtt.session(name) !== undefined,
  };
}

function published(store: Store, name: string, topic: string): PublishRecord[] {
  return store.deviceByName(name)?.published.filter((p) => p.topic === topic) ?? [];
}

function mustFind(store: Store, name: string): Device {
  const device = store.deviceByName(name);
  if (!device) throw new Error(`stand-in: no device named ${name}`);
  return device;
}

function restControls(rest: RestServer, jwt: JwtIssuer): RestControls {
  return {
    get calls() {
      return rest.calls;
    },
    get inFlight() {
      return rest.inFlight;
    },
    get maxInFlight() {
      return rest.maxInFlight;
    },
    get listening() {
      return rest.listening;
    },
    setLatency: (ms, route) => rest.setLatency(ms, route),
    failNext: (status, count, headers, route) => rest.failNext(status, count, headers, route),
    clearFailures: () => rest.clearFailures(),
    resetCounters: () => rest.resetCounters(),
    down: () => rest.down(),
    up: () => rest.up(),
    expireJwts: (options) => jwt.expireAll(options?.refresh ?? false),
  };
}

function mqttControls(mqtt: MqttServer): MqttControls {
  return {
    get counters() {
      return mqtt.counters;
    },
    get connections() {
      return mqtt.connections;
    },
    down: () => mqtt.down(),
    up: () => mqtt.up(),
    silent: (on) => mqtt.silent(on),
    proxyProtocol: (on) => mqtt.proxyProtocol(on),
    refuseConnects: (reason) => mqtt.refuseConnects(reason),
    dropAll: () => mqtt.dropAll(),
    kick: (name, reasonCode) => mqtt.kickDevice(name, reasonCode),
  };
}
