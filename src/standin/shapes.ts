// TEST DOUBLE, not part of the gate. The JSON shapes ThingsBoard's REST API returns for
// devices, credentials, profiles and pages (thingsboard.md §2.1, §3.1, §4.4, §2.2).

import type { Device, Profile, Store } from './store.ts';
import { NULL_UUID } from './store.ts';

const entityId = (entityType: string, id: string) => ({ entityType, id });

/** `Device.java` as Jackson writes it: null fields present, ids as `{entityType, id}`. */
export function deviceJson(store: Store, device: Device): object {
  const profile = store.profileById(device.profileId);

  return {
    id: entityId('DEVICE', device.id),
    createdTime: device.createdTime,
    additionalInfo: { gateway: false, description: '' },
    tenantId: entityId('TENANT', store.tenantId),
    customerId: entityId('CUSTOMER', NULL_UUID),
    name: device.name,
    type: profile?.name ?? 'default',
    label: device.label,
    deviceProfileId: entityId('DEVICE_PROFILE', device.profileId),
    deviceData: { configuration: { type: 'DEFAULT' }, transportConfiguration: { type: 'DEFAULT' } },
    firmwareId: null,
    softwareId: null,
    externalId: null,
    version: device.version,
  };
}

/** `DeviceCredentials.java`: the row's own id has no entityType. */
export function credentialsJson(device: Device): object {
  const c = device.credentials;

  return {
    id: { id: c.id },
    createdTime: c.createdTime,
    deviceId: entityId('DEVICE', device.id),
    credentialsType: c.type,
    credentialsId: c.credentialsId,
    credentialsValue: c.credentialsValue,
    version: c.version,
  };
}

/** One entry of `GET /api/deviceProfile/names`. */
export function profileNameJson(profile: Profile): object {
  return { id: entityId('DEVICE_PROFILE', profile.id), name: profile.name };
}

/** `DeviceProfileInfo.java`, as `GET /api/deviceProfileInfos` lists it. */
export function profileInfoJson(store: Store, profile: Profile): object {
  return {
    id: entityId('DEVICE_PROFILE', profile.id),
    tenantId: entityId('TENANT', store.tenantId),
    name: profile.name,
    image: null,
    defaultDashboardId: null,
    type: 'DEFAULT',
    transportType: 'DEFAULT',
  };
}

/** `PageData.java`: one page of a list, plus the totals. */
export function pageJson<T>(items: T[], pageSize: number, page: number): object {
  const start = pageSize * page;
  const data = items.slice(start, start + pageSize);
  const totalPages = pageSize > 0 ? Math.ceil(items.length / pageSize) : 0;

  return {
    data,
    totalPages,
    totalElements: items.length,
    hasNext: start + pageSize < items.length,
  };
}
