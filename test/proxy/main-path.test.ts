// The main path end to end: a device with a certificate connects through the gate, its CONNECT
// reaches ThingsBoard with the device's own token as username, and its telemetry lands on it.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { fleetOnce, mqttClient, startStack, type Stack } from '../helpers/stack.ts';

const run = promisify(execFile);

let stack: Stack;
let token417: string;
let device417: DeviceFiles;

beforeEach(async () => {
  stack = await startStack();
  token417 = stack.tb.addDevice('TH-000417', { profile: 'thermostat' }).token!;
  device417 = await (await fleetOnce()).device('TH-000417@IMEI-356482109825238', { file: 'TH-000417' });
});

afterEach(async () => {
  await stack.close();
});

describe.each([4, 5] as const)('MQTT.js client, protocol level %i', (protocolVersion) => {
  test('an old token in the username is replaced by the device token; telemetry lands on the device', async () => {
    const client = await mqttClient(stack, device417, { protocolVersion, clientId: 'th-000417', username: 'legacy-token-abc', password: 'x' });
    await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ temperature: 21.5 }), { qos: 1 });
    await client.endAsync();

    expect(stack.tb.telemetry('TH-000417').map((t) => t.payload)).toEqual([{ temperature: 21.5 }]);
    const upstream = stack.tb.connects.at(-1)!;
    expect(upstream.packet.username).toBe(token417);
    expect(upstream.packet.password).toBeUndefined();
    expect(upstream.packet.clientId).toBe('th-000417');
    expect(upstream.packet.protocolVersion).toBe(protocolVersion);
  });

  test("a device sending another device's token still logs in as itself", async () => {
    stack.tb.addDevice('TH-000420', { profile: 'thermostat' });
    const device420 = await stack.fleet.device('TH-000420');
    const client = await mqttClient(stack, device420, { protocolVersion, username: token417 });
    await client.publishAsync('v1/devices/me/telemetry', '{"t":1}', { qos: 1 });
    await client.endAsync();

    expect(stack.tb.telemetry('TH-000420')).toHaveLength(1);
    expect(stack.tb.telemetry('TH-000417')).toHaveLength(0);
  });
});

test('mosquitto_pub with a device certificate publishes telemetry recorded under the device', async () => {
  const { stdout, stderr } = await run('mosquitto_pub', [
    '-h', '127.0.0.1', '-p', String(stack.gate.port), '--cafile', stack.fleet.serverCaPath,
    '--cert', device417.certPath, '--key', device417.keyPath,
    '-i', 'th-000417', '-V', 'mqttv311', '-q', '1',
    '-t', 'v1/devices/me/telemetry', '-m', '{"humidity":40}',
  ], { timeout: 10_000 });
  expect(stdout + stderr).toBe('');
  await stack.tb.waitFor(() => stack.tb.telemetry('TH-000417').length > 0);
  expect(stack.tb.telemetry('TH-000417')[0]!.payload).toEqual({ humidity: 40 });
});

describe('refusals the device understands', () => {
  const refusedWith = async (device: DeviceFiles | null, protocolVersion: 4 | 5 = 4): Promise<number | undefined> => {
    const error = await mqttClient(stack, device, { protocolVersion }).then(
      (c) => {
        void c.endAsync();
        return null;
      },
      (err: { code?: number }) => err,
    );
    expect(error).not.toBeNull();
    return error!.code;
  };

  test('no client certificate: not authorized', async () => {
    expect(await refusedWith(null)).toBe(5);
    expect(await refusedWith(null, 5)).toBe(0x87);
    expect(stack.tb.rest.calls.deviceByName ?? 0).toBe(0);
    expect(stack.logs.some((l) => l.code === 'CERTGATE_NO_CLIENT_CERT')).toBe(true);
  });

  test('a chain from a foreign CA: not authorized, with the reason logged', async () => {
    const foreign = await stack.fleet.device('TH-000417', { issuer: stack.fleet.foreign, file: 'foreign' });
    expect(await refusedWith(foreign)).toBe(5);
    expect(await refusedWith(foreign, 5)).toBe(0x87);
    const line = stack.logs.find((l) => l.code === 'CERTGATE_NO_ROUTE' || l.code === 'CERTGATE_CHAIN_REFUSED');
    expect(line?.msg).toMatch(/Someone Else Root|TH-000417/);
    expect(stack.tb.connects).toHaveLength(0);
  });

  test('a device of a sibling intermediate (same root) is not trusted by an intermediate anchor', async () => {
    const meter = await stack.fleet.device('MT-000912', { issuer: stack.fleet.sibling });
    stack.tb.addDevice('MT-000912', { profile: 'thermostat' });
    expect(await refusedWith(meter)).toBe(5);
  });

  test('an unknown device: not authorized, "not found" in the log', async () => {
    expect(await refusedWith(await stack.fleet.device('TH-000999'))).toBe(5);
    expect(stack.logs.find((l) => l.code === 'CERTGATE_DEVICE_NOT_FOUND')?.msg).toMatch(/TH-000999/);
  });

  test('a device of another profile: not authorized', async () => {
    stack.tb.addDevice('TH-000435', { profile: 'meter' });
    expect(await refusedWith(await stack.fleet.device('TH-000435'), 5)).toBe(0x87);
    expect(stack.logs.find((l) => l.code === 'CERTGATE_DEVICE_WRONG_PROFILE')?.msg).toMatch(/meter/);
  });

  test('a device whose credentials are an X.509 certificate in ThingsBoard: not authorized, with advice', async () => {
    stack.tb.addDevice('TH-000445', { profile: 'thermostat', credentials: { type: 'X509_CERTIFICATE', pem: device417.identity.certPem } });
    expect(await refusedWith(await stack.fleet.device('TH-000445'))).toBe(5);
    expect(stack.logs.find((l) => l.code === 'CERTGATE_CREDENTIALS_UNSUPPORTED')?.msg).toMatch(/X509_CERTIFICATE.*access token/);
  });

  test('ThingsBoard REST down: server unavailable, so the device retries', async () => {
    await stack.tb.rest.down();
    expect(await refusedWith(device417)).toBe(3);
    expect(await refusedWith(device417, 5)).toBe(0x88);
  });

  test('ThingsBoard MQTT port down: server unavailable', async () => {
    await stack.tb.mqtt.down();
    expect(await refusedWith(device417)).toBe(3);
  });

  test('REST answering 429: server busy for MQTT 5', async () => {
    stack.tb.rest.failNext(429, 1, { 'retry-after': '5' });
    expect(await refusedWith(device417, 5)).toBe(0x89);
  });
});

test('an expired REST session is renewed without the device noticing', async () => {
  const first = await mqttClient(stack, device417);
  await first.endAsync();
  stack.tb.rest.expireJwts();
  const other = await stack.fleet.device('TH-000418');
  stack.tb.addDevice('TH-000418', { profile: 'thermostat' });
  const second = await mqttClient(stack, other);
  await second.endAsync();
  expect(stack.tb.rest.calls.refresh ?? 0).toBeGreaterThanOrEqual(1);
});

test('a regenerated token heals without the device noticing', async () => {
  const first = await mqttClient(stack, device417);
  await first.endAsync();
  const fresh = stack.tb.regenerateToken('TH-000417');

  const again = await mqttClient(stack, device417);
  await again.endAsync();
  const attempts = stack.tb.connects.slice(1).map((c) => [c.packet.username === fresh, c.accepted]);
  expect(attempts).toEqual([[false, false], [true, true]]);
  expect(stack.logs.some((l) => /fetching them again/.test(l.msg))).toBe(true);
});

test('a token refused twice reaches the device', async () => {
  const first = await mqttClient(stack, device417);
  await first.endAsync();
  stack.tb.mqtt.refuseConnects('bad-username-or-password');
  const refused = await mqttClient(stack, device417).catch((err: { code?: number }) => err);
  expect((refused as { code?: number }).code).toBe(5);
  expect(stack.tb.connects.length).toBe(3);
});

test('no token, JWT or password reaches the log', async () => {
  const client = await mqttClient(stack, device417, { username: 'legacy-token-abc', password: 'device-secret' });
  await client.endAsync();
  stack.tb.rest.expireJwts();
  await (await mqttClient(stack, device417)).endAsync();

  const text = stack.logText();
  expect(text).toContain('device admitted');
  // The client id too: ThingsBoard's MQTT basic credentials can use it as the secret.
  for (const secret of [token417, 'legacy-token-abc', 'device-secret', stack.tb.password, 'eyJ', 'test-client']) {
    expect(text).not.toContain(secret);
  }
});
