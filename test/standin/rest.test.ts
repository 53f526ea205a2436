// Tests of the stand-in ThingsBoard's REST API (a test double, not the gate): it must answer
// login, lookup, credentials, creation and auth failures the way thingsboard.md describes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startStandin, type Standin } from '../../src/standin/index.ts';

let tb: Standin;

beforeEach(async () => {
  tb = await startStandin({
    username: 'admin@tenant.test',
    password: 'secret',
    apiKeys: ['tb_key1'],
  });
});

afterEach(async () => {
  await tb.close();
});

async function call(
  method: 'GET' | 'POST',
  path: string,
  options: { jwt?: string; header?: string; body?: unknown } = {},
) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.jwt) headers['x-authorization'] = `Bearer ${options.jwt}`;
  if (options.header) headers['x-authorization'] = options.header;

  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const res = await request(`${tb.restUrl}${path}`, { method, headers, body });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? (JSON.parse(text) as any) : undefined,
  };
}

async function login(): Promise<{ token: string; refreshToken: string }> {
  const res = await call('POST', '/api/auth/login', {
    body: { username: 'admin@tenant.test', password: 'secret' },
  });
  expect(res.status).toBe(200);
  return res.json;
}

function claims(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

describe('login and JWTs', () => {
  it('returns an HS512 JWT pair with exp 9000 s and 604800 s ahead', async () => {
    const { token, refreshToken } = await login();

    expect(token.startsWith('eyJhbGciOiJIUzUxMiJ9.')).toBe(true);
    const access = claims(token);
    expect(access.sub).toBe('admin@tenant.test');
    expect(access.scopes).toEqual(['TENANT_ADMIN']);
    expect(access.exp - access.iat).toBe(9000);
    expect(claims(refreshToken).scopes).toEqual(['REFRESH_TOKEN']);
    expect(claims(refreshToken).exp - claims(refreshToken).iat).toBe(604_800);
  });

  it('refuses a wrong password with 401 errorCode 10 and the ThingsBoard body', async () => {
    const res = await call('POST', '/api/auth/login', {
      body: { username: 'admin@tenant.test', password: 'nope' },
    });

    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({
      status: 401,
      message: 'Invalid username or password',
      errorCode: 10,
    });
    expect(typeof res.json.timestamp).toBe('number');
  });

  it('answers a call without a header with 401 code 10 and a forged token with code 11', async () => {
    const missing = await call('GET', '/api/deviceProfile/names');
    expect(missing.json).toMatchObject({
      status: 401,
      errorCode: 10,
      message: 'Authentication failed',
    });

    const { token } = await login();
    const forged = `${token.slice(0, token.lastIndexOf('.'))}.AAAA`;
    const res = await call('GET', '/api/deviceProfile/names', { jwt: forged });
    expect(res.json).toMatchObject({ status: 401, errorCode: 11, message: 'Token has expired' });
  });

  it('expires JWTs on demand, then a refresh gives a working pair', async () => {
    const { token, refreshToken } = await login();
    tb.rest.expireJwts();

    const expired = await call('GET', '/api/deviceProfile/names', { jwt: token });
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({ errorCode: 11, message: 'Token has expired' });

    const refreshed = await call('POST', '/api/auth/token', { body: { refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.token).not.toBe(token);
    expect(
      (await call('GET', '/api/deviceProfile/names', { jwt: refreshed.json.token })).status,
    ).toBe(200);
    expect(tb.rest.calls).toMatchObject({ login: 1, refresh: 1, profiles: 2 });
  });

  it('expires access tokens when exp passes, and refresh tokens too when asked', async () => {
    await tb.close();
    let now = Date.now();
    tb = await startStandin({ jwtLifetimeSeconds: 60, now: () => now });
    const res = await call('POST', '/api/auth/login', {
      body: { username: tb.username, password: tb.password },
    });
    const { token, refreshToken } = res.json;

    now += 61_000;
    expect((await call('GET', '/api/deviceProfile/names', { jwt: token })).json.errorCode).toBe(11);

    tb.rest.expireJwts({ refresh: true });
    const refreshed = await call('POST', '/api/auth/token', { body: { refreshToken } });
    expect(refreshed.json).toMatchObject({ status: 401, errorCode: 11 });
  });

  it('accepts a configured API key and refuses an unknown one with code 10', async () => {
    expect(
      (await call('GET', '/api/deviceProfile/names', { header: 'ApiKey tb_key1' })).status,
    ).toBe(200);

    const res = await call('GET', '/api/deviceProfile/names', { header: 'ApiKey tb_other' });
    expect(res.json).toMatchObject({ status: 401, errorCode: 10 });
  });
});

describe('devices and credentials', () => {
  it('looks a device up by exact name, then reads its ACCESS_TOKEN credentials', async () => {
    const { id, token } = tb.addDevice('A4B72CCDFF33');
    const { token: jwt } = await login();

    const device = await call('GET', '/api/tenant/devices?deviceName=A4B72CCDFF33', { jwt });
    expect(device.status).toBe(200);
    expect(device.json).toMatchObject({
      id: { entityType: 'DEVICE', id },
      name: 'A4B72CCDFF33',
      type: 'default',
      label: null,
      customerId: { entityType: 'CUSTOMER', id: '13814000-1dd2-11b2-8080-808080808080' },
      deviceProfileId: { entityType: 'DEVICE_PROFILE', id: tb.store.defaultProfile().id },
    });

    const creds = await call('GET', `/api/device/${id}/credentials`, { jwt });
    expect(creds.json).toMatchObject({
      deviceId: { entityType: 'DEVICE', id },
      credentialsType: 'ACCESS_TOKEN',
      credentialsId: token,
      credentialsValue: null,
    });
    expect(token).toMatch(/^[a-z0-9]{20}$/);
  });

  it('answers 404 errorCode 32 for a missing or differently cased name', async () => {
    tb.addDevice('Sensor-1');
    const { token: jwt } = await login();

    const res = await call('GET', '/api/tenant/devices?deviceName=sensor-1', { jwt });
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({
      status: 404,
      message: "Requested item wasn't found!",
      errorCode: 32,
    });
  });

  it('returns MQTT_BASIC and X509 credentials in their stored shapes', async () => {
    const basic = tb.addDevice('basic', {
      credentials: { type: 'MQTT_BASIC', clientId: 'c1', userName: 'u1', password: 'p1' },
    });
    const pem =
      '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\r\nAAAA\n-----END CERTIFICATE-----\n';
    const x509 = tb.addDevice('x509', { credentials: { type: 'X509_CERTIFICATE', pem } });
    const { token: jwt } = await login();

    const b = await call('GET', `/api/device/${basic.id}/credentials`, { jwt });
    expect(b.json.credentialsType).toBe('MQTT_BASIC');
    expect(JSON.parse(b.json.credentialsValue)).toEqual({
      clientId: 'c1',
      userName: 'u1',
      password: 'p1',
    });
    expect(b.json.credentialsId).toMatch(/^[0-9a-f]{64}$/);

    const x = await call('GET', `/api/device/${x509.id}/credentials`, { jwt });
    expect(x.json).toMatchObject({
      credentialsType: 'X509_CERTIFICATE',
      credentialsValue: 'MIIBszCCAVmgAwIBAgIUAAAA',
    });
  });

  it('creates a device with a given token, refuses a duplicate name with 400 code 31', async () => {
    const profile = tb.addProfile('Temperature Sensor');
    const { token: jwt } = await login();
    const body = {
      name: 'dev-1',
      deviceProfileId: { entityType: 'DEVICE_PROFILE', id: profile.id },
    };

    const created = await call('POST', '/api/device?accessToken=tok12345678901234567', {
      jwt,
      body,
    });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: 'dev-1', type: 'Temperature Sensor' });
    expect(tb.device('dev-1')?.token).toBe('tok12345678901234567');

    const again = await call('POST', '/api/device', { jwt, body });
    expect(again.status).toBe(400);
    expect(again.json).toMatchObject({
      errorCode: 31,
      message: 'Device with such name already exists!',
    });
  });

  it('refuses a create that names an unknown profile', async () => {
    const { token: jwt } = await login();
    const body = {
      name: 'dev-2',
      deviceProfileId: { entityType: 'DEVICE_PROFILE', id: crypto.randomUUID() },
    };

    const res = await call('POST', '/api/device', { jwt, body });
    expect(res.json).toMatchObject({
      status: 400,
      errorCode: 31,
      message: 'Device is referencing non existing device profile!',
    });
  });

  it('creates a device with credentials and demands the token there', async () => {
    const { token: jwt } = await login();
    const device = { name: 'dev-3' };

    const missing = await call('POST', '/api/device-with-credentials', {
      jwt,
      body: { device, credentials: { credentialsType: 'ACCESS_TOKEN' } },
    });
    expect(missing.json).toMatchObject({
      status: 400,
      message: 'Device credentials id should be specified!',
    });

    const credentials = { credentialsType: 'ACCESS_TOKEN', credentialsId: 'abc' };
    const ok = await call('POST', '/api/device-with-credentials', {
      jwt,
      body: { device, credentials },
    });
    expect(ok.status).toBe(200);
    expect(tb.device('dev-3')?.token).toBe('abc');
    expect(tb.rest.calls.create).toBe(2);
  });

  it('stores server attributes for the test to read', async () => {
    const { id } = tb.addDevice('attr-dev');
    const { token: jwt } = await login();

    const path = `/api/plugins/telemetry/DEVICE/${id}/attributes/SERVER_SCOPE`;
    const res = await call('POST', path, {
      jwt,
      body: { certFingerprint: 'ab:cd', provisionState: 'provisioned' },
    });
    expect(res.status).toBe(200);
    expect(tb.serverAttributes('attr-dev')).toEqual({
      certFingerprint: 'ab:cd',
      provisionState: 'provisioned',
    });
  });
});

describe('profiles', () => {
  it('lists names and searches infos by case-insensitive substring', async () => {
    tb.addProfile('Gate Devices');
    tb.addProfile('thermostats');
    const { token: jwt } = await login();

    const names = await call('GET', '/api/deviceProfile/names', { jwt });
    expect(names.json.map((p: { name: string }) => p.name)).toEqual([
      'default',
      'Gate Devices',
      'thermostats',
    ]);

    const infos = await call('GET', '/api/deviceProfileInfos?pageSize=10&page=0&textSearch=GATE', {
      jwt,
    });
    expect(infos.json).toMatchObject({ totalElements: 1, totalPages: 1, hasNext: false });
    expect(infos.json.data[0]).toMatchObject({
      name: 'Gate Devices',
      id: { entityType: 'DEVICE_PROFILE' },
    });
  });
});

describe('test controls', () => {
  it('forces a status with headers and the 429 body for the next N requests', async () => {
    const { token: jwt } = await login();
    tb.rest.failNext(429, 2, { 'retry-after': '3' });

    const first = await call('GET', '/api/deviceProfile/names', { jwt });
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(first.json).toMatchObject({ status: 429, errorCode: 33 });
    expect((await call('GET', '/api/deviceProfile/names', { jwt })).status).toBe(429);
    expect((await call('GET', '/api/deviceProfile/names', { jwt })).status).toBe(200);
  });

  it('fails until cleared, limited to one route kind', async () => {
    const { token: jwt } = await login();
    tb.rest.failNext(503, Infinity, {}, 'deviceByName');

    expect((await call('GET', '/api/tenant/devices?deviceName=x', { jwt })).status).toBe(503);
    expect((await call('GET', '/api/deviceProfile/names', { jwt })).status).toBe(200);
    expect((await call('GET', '/api/tenant/devices?deviceName=x', { jwt })).status).toBe(503);

    tb.rest.clearFailures();
    expect((await call('GET', '/api/tenant/devices?deviceName=x', { jwt })).status).toBe(404);
  });

  it('adds latency and reports the highest concurrency seen', async () => {
    const { token: jwt } = await login();
    tb.rest.setLatency(100);

    const started = Date.now();
    await Promise.all([1, 2, 3, 4].map(() => call('GET', '/api/deviceProfile/names', { jwt })));
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(tb.rest.maxInFlight).toBe(4);
  });

  it('goes down (connections refused) and comes back on the same URL', async () => {
    await tb.rest.down();
    await expect(call('GET', '/api/deviceProfile/names')).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });

    await tb.rest.up();
    expect((await call('GET', '/api/deviceProfile/names')).status).toBe(401);
  });

  it('regenerates a token so the old one stops working', async () => {
    const { token } = tb.addDevice('rotating');
    const fresh = tb.regenerateToken('rotating');

    expect(fresh).not.toBe(token);
    expect(tb.device('rotating')?.token).toBe(fresh);
    expect(tb.store.deviceByCredentialsId(token ?? '')).toBeUndefined();
  });
});
