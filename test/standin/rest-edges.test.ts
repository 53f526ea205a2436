// Edge cases of the stand-in ThingsBoard's REST API (a test double, not the gate): header
// fallbacks, wrong methods and token kinds, profile resolution on create, and route counters.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandin, type Standin } from '../../src/standin/index.ts';

let tb: Standin;
let jwt: { token: string; refreshToken: string };

beforeEach(async () => {
  tb = await startStandin();
  const res = await call(
    'POST',
    '/api/auth/login',
    {},
    { username: tb.username, password: tb.password },
  );
  jwt = res.json;
});

afterEach(async () => {
  await tb.close();
});

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  const res = await request(`${tb.restUrl}${path}`, {
    method: method as 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as any) : undefined };
}

const bearer = () => ({ 'x-authorization': `Bearer ${jwt.token}` });

describe('authentication details', () => {
  it('reads the plain Authorization header when X-Authorization is absent', async () => {
    const res = await call('GET', '/api/deviceProfile/names', {
      authorization: `Bearer ${jwt.token}`,
    });
    expect(res.status).toBe(200);
  });

  it('needs the exact "Bearer " prefix (4.3 and later)', async () => {
    const res = await call('GET', '/api/deviceProfile/names', {
      'x-authorization': `bearer ${jwt.token}`,
    });
    expect(res.json).toMatchObject({ status: 401, errorCode: 10 });
  });

  it('answers a malformed token with code 10 and a refresh token used as access token with 401', async () => {
    const garbage = await call('GET', '/api/deviceProfile/names', {
      'x-authorization': 'Bearer not-a-jwt',
    });
    expect(garbage.json).toMatchObject({ status: 401, errorCode: 10 });

    const wrongKind = await call('GET', '/api/deviceProfile/names', {
      'x-authorization': `Bearer ${jwt.refreshToken}`,
    });
    expect(wrongKind.status).toBe(401);
  });

  it('refuses GET on the login endpoint and a blank password', async () => {
    const get = await call('GET', '/api/auth/login');
    expect(get.json).toMatchObject({
      status: 401,
      errorCode: 10,
      message: 'Authentication method not supported',
    });

    const blank = await call(
      'POST',
      '/api/auth/login',
      {},
      { username: tb.username, password: '' },
    );
    expect(blank.json).toMatchObject({
      status: 401,
      errorCode: 10,
      message: 'Authentication failed',
    });
  });

  it('refuses an access token offered as refresh token, keeps the old refresh token usable', async () => {
    const wrong = await call('POST', '/api/auth/token', {}, { refreshToken: jwt.token });
    expect(wrong.json).toMatchObject({ status: 401, errorCode: 10 });

    expect(
      (await call('POST', '/api/auth/token', {}, { refreshToken: jwt.refreshToken })).status,
    ).toBe(200);
    expect(
      (await call('POST', '/api/auth/token', {}, { refreshToken: jwt.refreshToken })).status,
    ).toBe(200);
  });

  it('checks auth before answering 404 for an unknown /api route', async () => {
    expect((await call('GET', '/api/nothing/here')).status).toBe(401);
    expect((await call('GET', '/api/nothing/here', bearer())).json).toMatchObject({
      status: 404,
      errorCode: 32,
    });
  });
});

describe('devices', () => {
  it('answers 400 for a malformed device id and 404 for an unknown one', async () => {
    const bad = await call('GET', '/api/device/xyz/credentials', bearer());
    expect(bad.json).toMatchObject({ status: 400, errorCode: 31 });

    const unknown = await call('GET', `/api/device/${crypto.randomUUID()}/credentials`, bearer());
    expect(unknown.json).toMatchObject({ status: 404, errorCode: 32 });
  });

  it('puts a device without a profile in the default one, and creates a profile named by type', async () => {
    await call('POST', '/api/device', bearer(), { name: 'plain' });
    expect(tb.device('plain')?.profile).toBe('default');

    await call('POST', '/api/device', bearer(), { name: 'typed', type: 'Typo Profile' });
    expect(tb.device('typed')?.profile).toBe('Typo Profile');
    expect(tb.store.profileByName('Typo Profile')).toBeDefined();
  });

  it('refuses a token already held by another device', async () => {
    tb.addDevice('holder', { token: 'taken-token' });

    const res = await call('POST', '/api/device?accessToken=taken-token', bearer(), {
      name: 'second',
    });
    expect(res.json).toMatchObject({
      status: 400,
      errorCode: 31,
      message: 'Device credentials are already assigned to another device!',
    });
  });

  it('creates MQTT_BASIC credentials from the JSON string and validates them', async () => {
    const value = JSON.stringify({ clientId: 'cid', userName: null, password: 'pw' });
    const bad = await call('POST', '/api/device-with-credentials', bearer(), {
      device: { name: 'basic' },
      credentials: { credentialsType: 'MQTT_BASIC', credentialsValue: value },
    });
    expect(bad.json).toMatchObject({
      status: 400,
      message: 'Password cannot be specified along with client id',
    });

    const good = await call('POST', '/api/device-with-credentials', bearer(), {
      device: { name: 'basic' },
      credentials: {
        credentialsType: 'MQTT_BASIC',
        credentialsValue: JSON.stringify({ userName: 'u', password: 'pw' }),
      },
    });
    expect(good.status).toBe(200);
    expect(tb.device('basic')?.credentials).toMatchObject({
      type: 'MQTT_BASIC',
      credentialsId: 'u',
    });
  });

  it('refuses attribute scopes other than SERVER_SCOPE and non-object bodies', async () => {
    const { id } = tb.addDevice('attrs');

    const scope = await call(
      'POST',
      `/api/plugins/telemetry/DEVICE/${id}/attributes/SHARED_SCOPE`,
      bearer(),
      { a: 1 },
    );
    expect(scope.status).toBe(400);
    const array = await call(
      'POST',
      `/api/plugins/telemetry/DEVICE/${id}/SERVER_SCOPE`,
      bearer(),
      [1],
    );
    expect(array.status).toBe(400);
  });

  it('lists devices by page and counts that apart from lookups by name', async () => {
    tb.addDevice('a-1');
    tb.addDevice('a-2');
    tb.addDevice('b-1');

    const page = await call('GET', '/api/tenant/devices?pageSize=1&page=0&textSearch=A-', bearer());
    expect(page.json).toMatchObject({ totalElements: 2, totalPages: 2, hasNext: true });
    expect(tb.rest.calls).toMatchObject({ login: 1, deviceList: 1 });
    expect(tb.rest.calls.deviceByName).toBeUndefined();
  });
});

describe('controls', () => {
  it('delays one route kind only', async () => {
    tb.rest.setLatency(150, 'credentials');

    const started = Date.now();
    await call('GET', '/api/deviceProfile/names', bearer());
    expect(Date.now() - started).toBeLessThan(120);
  });

  it('refuses to delete the default profile or one that devices use', () => {
    tb.addProfile('used');
    tb.addDevice('d', { profile: 'used' });

    expect(() => tb.removeProfile('default')).toThrow(/Default device profile/);
    expect(() => tb.removeProfile('used')).toThrow(/referenced by the devices/);
  });

  it('closes cleanly with a request still waiting out its latency', async () => {
    tb.rest.setLatency(5_000);
    const pending = call('GET', '/api/deviceProfile/names', bearer()).catch(
      (error: Error) => error,
    );

    await tb.waitFor(() => tb.rest.inFlight === 1);
    await tb.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
