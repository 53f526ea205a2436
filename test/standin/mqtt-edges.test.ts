// Edge cases of the stand-in ThingsBoard's MQTT port (a test double, not the gate): MQTT 3.1,
// decode failures, QoS 2, PROXY protocol headers and sessions closed by credential changes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';
import { connect as tcpConnect, type Socket } from 'node:net';
import { startStandin, type Standin } from '../../src/standin/index.ts';

let tb: Standin;
let token: string;

beforeEach(async () => {
  tb = await startStandin();
  token = tb.addDevice('dev').token ?? '';
});

afterEach(async () => {
  await tb.close();
});

function connectBytes(fields: Partial<IConnectPacket>): Buffer {
  const base = {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'c',
    clean: true,
    keepalive: 30,
  };
  return mqttPacket.generate({ ...base, ...fields } as IConnectPacket);
}

/** A raw connection that collects what the stand-in sends until it closes the socket. */
function open(): { socket: Socket; received: () => Buffer; closed: Promise<Buffer> } {
  const socket = tcpConnect(tb.mqttPort, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {}); // resets after the stand-in hangs up are expected here

  const closed = new Promise<Buffer>((resolve) =>
    socket.on('close', () => resolve(Buffer.concat(chunks))),
  );
  return { socket, received: () => Buffer.concat(chunks), closed };
}

async function until(ready: () => boolean): Promise<void> {
  await tb.waitFor(ready, 2_000);
}

describe('protocol versions and decode failures', () => {
  it('speaks MQTT 3.1 (MQIsdp, level 3) with the 3.x codes', async () => {
    const good = open();
    good.socket.write(connectBytes({ protocolId: 'MQIsdp', protocolVersion: 3, username: token }));
    await until(() => good.received().length >= 4);
    expect([...good.received()]).toEqual([0x20, 0x02, 0x00, 0x00]);
    good.socket.destroy();

    const bad = open();
    bad.socket.write(connectBytes({ protocolId: 'MQIsdp', protocolVersion: 3, username: 'nope' }));
    expect([...(await bad.closed)]).toEqual([0x20, 0x02, 0x00, 0x05]);
  });

  it('sets sessionPresent to !cleanSession even on a refusal, as ThingsBoard does', async () => {
    const c = open();
    c.socket.write(connectBytes({ clean: false, username: 'nope' }));
    expect([...(await c.closed)]).toEqual([0x20, 0x02, 0x01, 0x05]);
  });

  it('refuses a password without a username over MQTT 5 with 0x86', async () => {
    // mqtt-packet will not generate this, so the bytes are written out by hand.
    const c = open();
    c.socket.write(
      Buffer.from([
        0x10,
        18, // CONNECT, remaining length
        0x00,
        0x04,
        0x4d,
        0x51,
        0x54,
        0x54,
        0x05, // "MQTT", level 5
        0x42,
        0x00,
        0x1e,
        0x00, // flags: password + clean start; keepalive 30; no properties
        0x00,
        0x01,
        0x78, // client id "x"
        0x00,
        0x02,
        0x70,
        0x77, // password "pw"
      ]),
    );
    expect([...(await c.closed)].slice(0, 4)).toEqual([0x20, 0x03, 0x00, 0x86]);
  });

  it('closes without a CONNACK on an unknown protocol level or a bad length', async () => {
    const level = open();
    const bytes = connectBytes({ username: token });
    bytes[8] = 7; // protocol level byte, after fixed header (2) and "MQTT" (6)
    level.socket.write(bytes);
    expect((await level.closed).length).toBe(0);

    const length = open();
    length.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect((await length.closed).length).toBe(0);
    expect(tb.connects).toHaveLength(0);
  });

  it('closes a connection whose first packet is not CONNECT', async () => {
    const c = open();
    c.socket.write(mqttPacket.generate({ cmd: 'pingreq' }));
    expect((await c.closed).length).toBe(0);
    expect(tb.mqtt.connections[0]?.packets).toEqual(['pingreq']);
  });

  it('closes a packet over the 65536-byte limit', async () => {
    const c = open();
    c.socket.write(connectBytes({ username: token }));
    const payload = Buffer.alloc(70_000, 0x61);
    c.socket.write(
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'v1/devices/me/telemetry',
        payload,
        qos: 0,
        dup: false,
        retain: false,
      }),
    );
    await c.closed;
    expect(tb.telemetry('dev')).toHaveLength(0);
  });
});

describe('silent mode', () => {
  it('keeps the socket open and ignores later packets after an unanswered CONNECT', async () => {
    tb.mqtt.silent(true);
    const c = open();
    c.socket.write(connectBytes({ username: token }));
    c.socket.write(mqttPacket.generate({ cmd: 'pingreq' }));

    await until(() => tb.mqtt.connections[0]?.packets.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.received().length).toBe(0);
    expect(c.socket.destroyed).toBe(false);
    c.socket.destroy();
  });
});

describe('publishing', () => {
  it('runs the QoS 2 handshake and records the message once', async () => {
    const c = open();
    c.socket.write(connectBytes({ username: token }));
    const publish: Packet = {
      cmd: 'publish',
      topic: 'v1/devices/me/telemetry',
      payload: '{"a":1}',
      qos: 2,
      messageId: 7,
      dup: false,
      retain: false,
    };
    c.socket.write(mqttPacket.generate(publish));
    await until(() => c.received().length >= 8);

    c.socket.write(mqttPacket.generate({ cmd: 'pubrel', messageId: 7 }));
    await until(() => c.received().length >= 12);
    expect([...c.received()]).toEqual([0x20, 2, 0, 0, 0x50, 2, 0, 7, 0x70, 2, 0, 7]);
    expect(tb.telemetry('dev').map((t) => t.payload)).toEqual([{ a: 1 }]);
    c.socket.destroy();
  });
});

describe('sessions closed by the platform', () => {
  it('sends an MQTT 5 session DISCONNECT 0x98 when the device is deleted', async () => {
    const c = open();
    c.socket.write(connectBytes({ protocolVersion: 5, username: token }));
    await until(() => tb.device('dev')?.connected === true);

    tb.removeDevice('dev');
    const bytes = await c.closed;
    expect([...bytes.subarray(-4)]).toEqual([0xe0, 0x02, 0x98, 0x00]);
  });

  it('drops every connection at once on dropAll()', async () => {
    const a = open();
    const b = open();
    a.socket.write(connectBytes({ username: token }));
    b.socket.write(connectBytes({ clientId: 'provision' }));
    await until(() => tb.connects.length === 2);

    tb.mqtt.dropAll();
    await Promise.all([a.closed, b.closed]);
    await until(() => tb.mqtt.counters.open === 0);
    expect(tb.mqtt.counters).toMatchObject({ accepted: 2, open: 0, maxOpen: 2 });
  });
});

describe('PROXY protocol', () => {
  beforeEach(() => tb.mqtt.proxyProtocol(true));

  it('reads a v1 header split across segments and records the client address', async () => {
    const c = open();
    c.socket.write('PROXY TCP4 192.0.2.7 127.0.0.1 51000 1883');
    await new Promise((resolve) => setTimeout(resolve, 20));
    c.socket.write(Buffer.concat([Buffer.from('\r\n'), connectBytes({ username: token })]));

    await until(() => c.received().length >= 4);
    expect(tb.connects[0]?.proxyHeader).toMatchObject({
      version: 1,
      sourceAddress: '192.0.2.7',
      sourcePort: 51000,
    });
    c.socket.destroy();
  });

  it('reads a v2 header with an IPv4 source', async () => {
    const header = Buffer.concat([
      Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]),
      Buffer.from([0x21, 0x11, 0x00, 0x0c]), // v2 PROXY, TCP over IPv4, 12 address bytes
      Buffer.from([198, 51, 100, 9, 127, 0, 0, 1, 0xc3, 0x50, 0x07, 0x5b]),
    ]);
    const c = open();
    c.socket.write(Buffer.concat([header, connectBytes({ username: token })]));

    await until(() => c.received().length >= 4);
    expect(tb.connects[0]?.accepted).toBe(true);
    expect(tb.connects[0]?.proxyHeader).toMatchObject({
      version: 2,
      sourceAddress: '198.51.100.9',
      sourcePort: 50000,
    });
    c.socket.destroy();
  });

  it('closes a connection that sends no header, or a LOCAL one', async () => {
    const plain = open();
    plain.socket.write(connectBytes({ username: token }));
    expect((await plain.closed).length).toBe(0);

    const local = open();
    const signature = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
    local.socket.write(Buffer.from([...signature, 0x20, 0x00, 0x00, 0x00]));
    expect((await local.closed).length).toBe(0);
    expect(tb.connects).toHaveLength(0);
  });
});
