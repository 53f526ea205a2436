// CONNECT framing through the real listener: split into single bytes, pipelined with the packets
// behind it, and the bad inputs that must close the connection while the gate serves others.

import { connect as tcpConnect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { collect, fleetOnce, mqttClient, rawDevice, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack;
let device: DeviceFiles;
let token: string;

beforeEach(async () => {
  stack = await startStack({
    patch: (c) => ({ ...c, tls: { ...(c.tls as object), handshakeTimeoutSeconds: 1 }, mqtt: { connectTimeoutSeconds: 1, maxConnectBytes: 4096 } }),
  });
  token = stack.tb.addDevice('TH-000440', { profile: 'thermostat' }).token!;
  device = await (await fleetOnce()).device('TH-000440');
});

afterEach(async () => {
  await stack.close();
});

const connect = mqttPacket.generate({
  cmd: 'connect', protocolVersion: 4, clientId: 'th-000440', clean: true, keepalive: 60,
  will: { topic: 'v1/devices/me/attributes', payload: Buffer.alloc(200, 0x41), qos: 0, retain: false },
});
const publish = mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/me/telemetry', payload: '{"t":21.5}', qos: 1, messageId: 7, retain: false, dup: false });
const pingreq = mqttPacket.generate({ cmd: 'pingreq' });

function packets(data: Buffer): mqttPacket.Packet[] {
  const out: mqttPacket.Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (p) => out.push(p));
  parser.parse(data);
  return out;
}

async function stillServing(): Promise<void> {
  const client = await mqttClient(stack, device);
  await client.endAsync();
}

test('a CONNECT written one byte at a time reaches upstream once, identical but for the username', async () => {
  const socket = await rawDevice(stack, device);
  for (const byte of connect) {
    socket.write(Buffer.from([byte]));
    await new Promise((r) => setTimeout(r, 1));
  }
  const received = collect(socket, 1_500);
  await stack.tb.waitFor(() => stack.tb.connects.length === 1);
  socket.end();
  expect(packets((await received).data)[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });

  const upstream = stack.tb.connects[0]!;
  expect(upstream.packet.username).toBe(token);
  const original = mqttPacket.parser({ protocolVersion: 4 });
  let decoded: mqttPacket.IConnectPacket | null = null;
  original.on('packet', (p) => (decoded = p as mqttPacket.IConnectPacket));
  original.parse(connect);
  expect({ ...upstream.packet, username: undefined, length: 0 }).toMatchObject({ ...decoded!, username: undefined, length: 0 });
});

test('CONNECT, PUBLISH and PINGREQ in one write arrive upstream in order; the answers come back', async () => {
  stack.tb.rest.setLatency(300);
  const socket = await rawDevice(stack, device);
  const received = collect(socket, 2_000);
  socket.write(Buffer.concat([connect, publish, pingreq]));
  await stack.tb.waitFor(() => stack.tb.telemetry('TH-000440').length === 1);
  await new Promise((r) => setTimeout(r, 200));
  socket.end();

  expect(packets((await received).data).map((p) => p.cmd)).toEqual(['connack', 'puback', 'pingresp']);
  const conn = stack.tb.mqtt.connections.at(-1)!;
  expect(conn.packets.slice(0, 3)).toEqual(['connect', 'publish', 'pingreq']);
});

test.each([
  ['not MQTT at all', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
  ['a remaining length longer than four bytes', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])],
  ['a first packet that is a PUBLISH', publish],
  ['a CONNECT over the size limit', Buffer.from([0x10, 0x80, 0x84, 0xaf, 0x5f, 0x00])],
  ['a CONNECT with bytes its flags do not announce', Buffer.from([0x10, 18, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 30, 0, 1, 0x61, 0, 3, 0x61, 0x62, 0x63])],
])('%s: closed without CONNACK, and the gate keeps serving', async (_name, bytes) => {
  const socket = await rawDevice(stack, device);
  const received = collect(socket);
  socket.write(bytes);
  const { data, closed } = await received;
  expect(closed).toBe(true);
  expect(data.length).toBe(0);
  expect(stack.tb.connects).toHaveLength(0);
  await stillServing();
});

test('no CONNECT before the timeout: closed', async () => {
  const socket = await rawDevice(stack, device);
  const { closed, data } = await collect(socket, 3_000);
  expect(closed).toBe(true);
  expect(data.length).toBe(0);
  expect(stack.logs.some((l) => l.code === 'CERTGATE_CONNECT_TIMEOUT')).toBe(true);
});

test('an unsupported protocol level gets CONNACK 0x01', async () => {
  const socket = await rawDevice(stack, device);
  const received = collect(socket);
  socket.write(Buffer.from([0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 0x84, 0x02, 0, 30, 0, 1, 0x61]));
  expect(packets((await received).data)[0]).toMatchObject({ cmd: 'connack', returnCode: 1 });
});

test("client id 'provision' is refused: it would switch ThingsBoard to provisioning", async () => {
  const refused = await mqttClient(stack, device, { clientId: 'provision' }).catch((e: { code?: number }) => e);
  expect((refused as { code?: number }).code).toBe(5);
  expect(stack.tb.connects).toHaveLength(0);
});

test('a second CONNECT after admission closes the connection and never reaches upstream', async () => {
  const socket = await rawDevice(stack, device);
  const received = collect(socket);
  socket.write(connect);
  await stack.tb.waitFor(() => stack.tb.connects.length === 1);
  const second = mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId: 'provision', username: 'someone-elses-token', clean: true, keepalive: 30 });
  // Split so that the CONNECT's first byte arrives behind a complete PINGREQ.
  socket.write(Buffer.concat([pingreq, second.subarray(0, 1)]));
  socket.write(second.subarray(1));
  const { closed } = await received;
  expect(closed).toBe(true);
  expect(stack.tb.connects).toHaveLength(1);
  expect(stack.tb.mqtt.connections.at(-1)!.packets.filter((p) => p === 'connect')).toHaveLength(1);
});

test('a TCP client that never completes its TLS handshake is closed at the handshake timeout', async () => {
  const socket = tcpConnect(stack.gate.port, '127.0.0.1');
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 4_000);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  expect(closed).toBe(true);
});
