// Creates a device that ThingsBoard does not have yet, in the route's profile, with a fresh random
// access token; and records certificate facts on a device as server attributes.

import { randomBytes } from 'node:crypto';
import { platformError, type RestSession } from './rest-session.ts';
import type { UpstreamCredentials } from './credentials.ts';

const TOKEN_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** ThingsBoard's answer to a duplicate name: 400 with errorCode 31. */
const BAD_REQUEST_PARAMS = 31;

export interface Created {
  deviceId: string;
  name: string;
  profileId: string;
  credentials: UpstreamCredentials;
}

/** Returns the new device, or 'exists' when another connection created it first. */
export async function provisionDevice(rest: RestSession, name: string, profileId: string): Promise<Created | 'exists'> {
  const token = randomToken(20);
  const res = await rest.call('POST', `/api/device?accessToken=${token}`, {
    name,
    deviceProfileId: { entityType: 'DEVICE_PROFILE', id: profileId },
  });
  const body = res.body as { id?: { id?: string }; errorCode?: number; message?: string } | null;
  if (res.status === 400 && body?.errorCode === BAD_REQUEST_PARAMS && /already exists/i.test(body.message ?? '')) return 'exists';
  if (res.status !== 200 || typeof body?.id?.id !== 'string') throw platformError(res, `creating device '${name}'`);

  return { deviceId: body.id.id, name, profileId, credentials: { type: 'ACCESS_TOKEN', token } };
}

/** Saves `attributes` as the device's server-scope attributes. */
export async function saveServerAttributes(rest: RestSession, deviceId: string, attributes: Record<string, unknown>): Promise<void> {
  const res = await rest.call('POST', `/api/plugins/telemetry/DEVICE/${encodeURIComponent(deviceId)}/attributes/SERVER_SCOPE`, attributes);
  if (res.status !== 200) throw platformError(res, 'saving server attributes');
}

/** ThingsBoard's own tokens are 20 random alphanumerics; so are these (from a CSPRNG). */
function randomToken(length: number): string {
  let token = '';
  while (token.length < length) {
    for (const byte of randomBytes(length)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 248 && token.length < length) token += TOKEN_ALPHABET[byte % 62];
    }
  }
  return token;
}
