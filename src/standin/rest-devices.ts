// TEST DOUBLE, not part of the gate. ThingsBoard's device endpoints (thingsboard.md §2-§4):
// lookup by name or id, listing, credentials, creation and server attributes.

import type { CredentialsSpec } from './credentials.ts';
import { parseBasicValue } from './credentials.ts';
import { deviceJson, credentialsJson, pageJson } from './shapes.ts';
import type { Device, Profile, Store } from './store.ts';
import type { Reply, RouteDeps, RouteRequest } from './rest-types.ts';
import { bodyObject, intParam } from './rest-types.ts';
import { badRequest, notFound } from './tb-errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `GET /api/tenant/devices?deviceName=`: exact and case-sensitive, 404 code 32 when absent. */
export function deviceByName(request: RouteRequest, deps: RouteDeps): Reply {
  const name = request.url.searchParams.get('deviceName') ?? '';
  const device = deps.store.deviceByName(name);
  if (!device) throw notFound();

  return { status: 200, body: deviceJson(deps.store, device) };
}

/** `GET /api/tenant/devices?pageSize=&page=[&type=][&textSearch=]`: a page of devices. */
export function deviceList(request: RouteRequest, deps: RouteDeps): Reply {
  const { url } = request;
  const search = (url.searchParams.get('textSearch') ?? '').toLowerCase();
  const type = url.searchParams.get('type');

  const devices = deps.store
    .devices()
    .filter((d) => d.name.toLowerCase().includes(search))
    .filter((d) => !type || deps.store.profileById(d.profileId)?.name === type)
    .sort((a, b) => b.createdTime - a.createdTime)
    .map((d) => deviceJson(deps.store, d));
  return {
    status: 200,
    body: pageJson(devices, intParam(url, 'pageSize', 10), intParam(url, 'page', 0)),
  };
}

/** `GET /api/device/{id}`. */
export function deviceById(request: RouteRequest, deps: RouteDeps): Reply {
  const device = findDevice(deps.store, request.params[0] ?? '');
  return { status: 200, body: deviceJson(deps.store, device) };
}

/** `GET /api/device/{id}/credentials`. */
export function deviceCredentials(request: RouteRequest, deps: RouteDeps): Reply {
  const device = findDevice(deps.store, request.params[0] ?? '');
  return { status: 200, body: credentialsJson(device) };
}

/** `POST /api/device[?accessToken=]`: creates a device with ACCESS_TOKEN credentials. */
export function createDevice(request: RouteRequest, deps: RouteDeps): Reply {
  const body = bodyObject(request.body);
  if (body.id !== undefined && body.id !== null) {
    // LIMITATION: updating an existing device through POST /api/device is not reproduced;
    // the stand-in answers 400 instead of saving the change.
    throw badRequest('The stand-in does not support updating devices');
  }

  const token = request.url.searchParams.get('accessToken') ?? undefined;
  const device = saveDevice(deps.store, body, { type: 'ACCESS_TOKEN', token });
  return { status: 200, body: deviceJson(deps.store, device) };
}

/** `POST /api/device-with-credentials`: both members required; a token is not generated here. */
export function createDeviceWithCredentials(request: RouteRequest, deps: RouteDeps): Reply {
  const { device, credentials } = bodyObject(request.body);
  if (typeof device !== 'object' || device === null) {
    throw badRequest('Validation error: device must not be null');
  }
  if (typeof credentials !== 'object' || credentials === null) {
    throw badRequest('Validation error: credentials must not be null');
  }

  const saved = saveDevice(
    deps.store,
    bodyObject(device),
    credentialsSpec(bodyObject(credentials)),
  );
  return { status: 200, body: deviceJson(deps.store, saved) };
}

/** `POST /api/plugins/telemetry/DEVICE/{id}/attributes/{scope}` (and the older `/{id}/{scope}`). */
export function saveAttributes(request: RouteRequest, deps: RouteDeps): Reply {
  const [id = '', scope = ''] = request.params;
  const device = findDevice(deps.store, id);

  // LIMITATION: only SERVER_SCOPE is stored; SHARED_SCOPE (which ThingsBoard pushes to devices)
  // is refused with 400 instead.
  if (scope !== 'SERVER_SCOPE') throw badRequest(`Invalid attribute scope: ${scope}`);
  if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body)) {
    throw badRequest('Request is not a JSON object');
  }

  Object.assign(device.serverAttributes, request.body);
  return { status: 200 };
}

function findDevice(store: Store, id: string): Device {
  if (!UUID.test(id)) throw badRequest(`Invalid UUID string: ${id}`);

  const device = store.deviceById(id);
  if (!device) throw notFound(`Device with id [${id}] is not found`);
  return device;
}

/** Resolves the profile the way `DeviceServiceImpl` does, then saves device and credentials. */
function saveDevice(
  store: Store,
  body: Record<string, unknown>,
  credentials: CredentialsSpec,
): Device {
  const profile = resolveProfile(store, body);
  const label = typeof body.label === 'string' ? body.label : null;
  const name = typeof body.name === 'string' ? body.name : '';

  return store.addDevice({ name, label, profileId: profile.id, credentials });
}

function resolveProfile(store: Store, body: Record<string, unknown>): Profile {
  const ref = bodyObject(body.deviceProfileId);
  if (typeof ref.id === 'string') {
    const profile = store.profileById(ref.id);
    if (!profile) throw badRequest('Device is referencing non existing device profile!');
    return profile;
  }

  // Without deviceProfileId ThingsBoard finds or silently creates a profile named by `type`.
  if (typeof body.type === 'string' && body.type !== '') {
    return store.profileByName(body.type) ?? store.addProfile(body.type);
  }
  return store.defaultProfile();
}

function credentialsSpec(body: Record<string, unknown>): CredentialsSpec {
  const type = body.credentialsType;
  const id = typeof body.credentialsId === 'string' ? body.credentialsId : '';

  if (type === 'ACCESS_TOKEN') {
    if (id.trim() === '') throw badRequest('Device credentials id should be specified!');
    return { type: 'ACCESS_TOKEN', token: id };
  }
  if (type === 'MQTT_BASIC') {
    return { type: 'MQTT_BASIC', ...parseBasicValue(body.credentialsValue) };
  }
  if (type === 'X509_CERTIFICATE') {
    if (typeof body.credentialsValue !== 'string' || body.credentialsValue === '') {
      throw badRequest('Device credentials value should be specified!');
    }
    return { type: 'X509_CERTIFICATE', pem: body.credentialsValue };
  }
  throw badRequest('Device credentials type should be specified!');
}
