// What a device sees when ThingsBoard's MQTT side misbehaves: no CONNACK, a refusal, a session
// closed from upstream, and a device that closes first; every case ends with both sides closed.

import { afterEach, beforeEach, expect, test } from 'vitest';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { fleetOnce, mqttClient, rawDevice, startStack, type Stack } from '../helpers/stack.ts';
import mqttPacket from 'mqtt-packet';

let stack: Stack;
let device: DeviceFiles;

beforeEach(async () => {
  stack = await startStack({ patch: (c) => ({ ...c, mqtt: { connackTimeoutSeconds: 1 } }) });
  stack.tb.addDevice('TH-000447', { profile: 'thermostat' });
  device = await (await fleetOnce()).device('TH-000447');
});

afterEach(async () => {
  await stack.close();
});

test('upstream accepts TCP but never answers: server unavailable after the CONNACK timeout', async () => {
  stack.tb.mqtt.silent(true);
  const refused = await mqttClient(stack, device).catch((e: { code?: number }) => e);
  expect((refused as { code?: number }).code).toBe(3);
  expect(stack.logs.some((l) => l.code === 'CERTGATE_UPSTREAM_UNAVAILABLE' && /no CONNACK/.test(l.msg))).toBe(true);
  await stack.tb.waitFor(() => stack.tb.mqtt.counters.open === 0);
});

test('upstream closing the session closes the device connection', async () => {
  const client = await mqttClient(stack, device);
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  stack.tb.mqtt.kick('TH-000447');
  await closed;
  await client.endAsync(true);
  await stack.tb.waitFor(() => stack.logs.some((l) => l.msg === 'connection closed'));
});

test("the device's DISCONNECT reaches upstream before the connection closes", async () => {
  const client = await mqttClient(stack, device);
  await client.publishAsync('v1/devices/me/telemetry', '{"a":1}', { qos: 1 });
  await client.endAsync();
  await stack.tb.waitFor(() => stack.tb.mqtt.counters.open === 0);
  const conn = stack.tb.mqtt.connections.at(-1)!;
  expect(conn.packets).toEqual(['connect', 'publish', 'disconnect']);
});

test('a device that vanishes after its CONNECT leaves no upstream connection behind', async () => {
  stack.tb.rest.setLatency(200);
  const socket = await rawDevice(stack, device);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId: 'th-000447', clean: true, keepalive: 30 }));
  await stack.tb.waitFor(() => stack.tb.rest.inFlight > 0);
  socket.destroy();
  // Long enough for login, lookup and credentials (200 ms each) and a dial that should not happen.
  await new Promise((r) => setTimeout(r, 1_500));
  expect(stack.tb.connects).toHaveLength(0);
});

test('a large message passes through unchanged in both directions', async () => {
  const client = await mqttClient(stack, device, { protocolVersion: 5 });
  const payload = JSON.stringify({ blob: 'x'.repeat(60_000) });
  await client.publishAsync('v1/devices/me/telemetry', payload, { qos: 1 });
  await client.endAsync();
  expect(stack.tb.telemetry('TH-000447')[0]!.payload).toEqual(JSON.parse(payload));
});

test('a device silent for one and a half keep alive periods is closed, its upstream too', async () => {
  const socket = await rawDevice(stack, device);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.on('error', () => undefined);
  socket.resume(); // read (and drop) the CONNACK, so the close is seen
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId: 'th-000447', clean: true, keepalive: 1 }));
  await stack.tb.waitFor(() => stack.tb.connects.length === 1);
  const admittedAt = Date.now();
  const closedAt = await closed;
  expect(closedAt - admittedAt).toBeGreaterThanOrEqual(1_000);
  await stack.tb.waitFor(() => stack.tb.mqtt.counters.open === 0);
  expect(stack.logs.some((l) => l.reason === 'device keep alive expired')).toBe(true);
});

test('a device that keeps sending PINGREQs stays connected past its keep alive', async () => {
  const client = await mqttClient(stack, device, { keepalive: 1 });
  await new Promise((r) => setTimeout(r, 3_500));
  expect(client.connected).toBe(true);
  expect(stack.logs.some((l) => l.reason === 'device keep alive expired')).toBe(false);
  await client.endAsync();
});

test('a device that half-closes right after its CONNECT is logged as leaving before admission', async () => {
  stack.tb.rest.setLatency(200);
  const socket = await rawDevice(stack, device);
  socket.on('error', () => undefined);
  socket.resume();
  socket.end(mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId: 'th-000447', clean: true, keepalive: 30 }));
  await stack.tb.waitFor(() => stack.logs.some((l) => l.msg === 'device left before its admission completed'));
  expect(stack.tb.connects.length).toBeLessThanOrEqual(1);
});
