// The CONNECT codec: what it accepts and refuses, and that a rewrite changes only the credentials.

import mqttPacket from 'mqtt-packet';
import { describe, expect, test } from 'vitest';
import { parseConnect, rewriteConnect, UnsupportedProtocol } from '../../src/mqtt/connect.ts';
import { PacketGuard } from '../../src/mqtt/packet-guard.ts';
import { PacketReader } from '../../src/mqtt/packet-reader.ts';

type ConnectOptions = Omit<mqttPacket.IConnectPacket, 'cmd'>;

function connect(options: Partial<ConnectOptions>): Buffer {
  return mqttPacket.generate({ cmd: 'connect', clientId: 'th-000440', protocolVersion: 4, keepalive: 30, ...options } as mqttPacket.IConnectPacket);
}

function decode(packet: Buffer, protocolVersion: 3 | 4 | 5): mqttPacket.IConnectPacket {
  const parser = mqttPacket.parser({ protocolVersion });
  let out: mqttPacket.Packet | null = null;
  parser.on('packet', (p) => (out = p));
  parser.on('error', (e) => {
    throw e;
  });
  parser.parse(packet);
  expect(out).not.toBeNull();
  return out! as mqttPacket.IConnectPacket;
}

const TOKEN = 'Tk7qW2xR9mB4nL6pZ3sV';

describe('rewrite keeps every byte but the credentials', () => {
  const cases: Array<[string, Partial<ConnectOptions>]> = [
    ['3.1.1, no credentials', {}],
    ['3.1.1, an old token and a password', { username: 'legacy-token-abc', password: Buffer.from('x') }],
    ['3.1.1, will with a 200-byte payload', { will: { topic: 'v1/devices/me/attributes', payload: Buffer.alloc(200, 7), qos: 1, retain: true } }],
    ['3.1, MQIsdp', { protocolId: 'MQIsdp', protocolVersion: 3, username: 'old' }],
    ['5.0, properties and will properties', {
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: 120, receiveMaximum: 10, userProperties: { a: 'b', c: 'd' } },
      will: { topic: 'w', payload: Buffer.from('bye'), qos: 0, retain: false, properties: { willDelayInterval: 5, contentType: 'text/plain' } },
      username: 'someone-elses-token',
    }],
  ];

  test.each(cases)('%s', (_name, options) => {
    const original = connect(options);
    const version = (options.protocolVersion ?? 4) as 3 | 4 | 5;
    const info = parseConnect(original);
    expect(info.version).toBe(version);
    expect(info.clientId).toBe('th-000440');

    const rewritten = rewriteConnect(original, info, { username: TOKEN });
    const before = decode(original, version);
    const after = decode(rewritten, version);
    expect(after.username).toBe(TOKEN);
    expect(after.password).toBeUndefined();
    expect({ ...after, username: undefined, password: undefined, length: 0 })
      .toEqual({ ...before, username: undefined, password: undefined, length: 0 });

    // Everything up to the credentials is byte-identical but the flags byte.
    const headerAfter = 1 + (rewritten.length - 1 > 128 ? 2 : 1);
    const headerBefore = 1 + (original.length - 1 > 128 ? 2 : 1);
    const bodyBefore = original.subarray(headerBefore, info.credentialsOffset);
    const bodyAfter = rewritten.subarray(headerAfter, headerAfter + bodyBefore.length);
    const flagsAt = info.flagsOffset - headerBefore;
    expect(Buffer.compare(bodyBefore.subarray(0, flagsAt), bodyAfter.subarray(0, flagsAt))).toBe(0);
    expect(Buffer.compare(bodyBefore.subarray(flagsAt + 1), bodyAfter.subarray(flagsAt + 1))).toBe(0);
  });
});

describe('refused CONNECTs', () => {
  const codes = (bytes: number[]): string => {
    try {
      parseConnect(Buffer.from(bytes));
      return 'accepted';
    } catch (err) {
      return err instanceof UnsupportedProtocol ? `unsupported ${err.level}` : (err as { code: string }).code;
    }
  };
  // 10 len | 00 04 'MQTT' | level | flags | keepalive | client id "a"
  const mqtt = [0x00, 0x04, 0x4d, 0x51, 0x54, 0x54];

  test('password flag without username in 3.1.1 [MQTT-3.1.2-22]', () => {
    expect(codes([0x10, 17, ...mqtt, 4, 0x42, 0, 30, 0, 1, 0x61, 0, 2, 0x61, 0x62])).toBe('CERTGATE_MALFORMED_PACKET');
  });
  test('protocol name MQTT with level 3 gets 0x01', () => {
    expect(codes([0x10, 13, ...mqtt, 3, 0x02, 0, 30, 0, 1, 0x61])).toBe('unsupported 3');
  });
  test('a bridge level (0x84) gets 0x01', () => {
    expect(codes([0x10, 13, ...mqtt, 0x84, 0x02, 0, 30, 0, 1, 0x61])).toBe('unsupported 132');
  });
  test('username string present but its flag clear', () => {
    expect(codes([0x10, 18, ...mqtt, 4, 0x02, 0, 30, 0, 1, 0x61, 0, 3, 0x61, 0x62, 0x63])).toBe('CERTGATE_MALFORMED_PACKET');
  });
  test('reserved flag bit set', () => {
    expect(codes([0x10, 13, ...mqtt, 4, 0x03, 0, 30, 0, 1, 0x61])).toBe('CERTGATE_MALFORMED_PACKET');
  });
  test('a field running past the end', () => {
    expect(codes([0x10, 13, ...mqtt, 4, 0x02, 0, 30, 0, 9, 0x61])).toBe('CERTGATE_MALFORMED_PACKET');
  });
  test('an unknown protocol name', () => {
    expect(codes([0x10, 13, 0x00, 0x04, 0x48, 0x54, 0x54, 0x50, 4, 0x02, 0, 30, 0, 1, 0x61])).toBe('CERTGATE_MALFORMED_PACKET');
  });
  test('MQTT 5 allows a password without a username', () => {
    const v5 = [0x10, 18, ...mqtt, 5, 0x42, 0, 30, 0, 0, 1, 0x61, 0, 2, 0x61, 0x62];
    expect(codes(v5)).toBe('accepted');
    const info = parseConnect(Buffer.from(v5));
    const rewritten = rewriteConnect(Buffer.from(v5), info, { username: TOKEN });
    expect(decode(rewritten, 5)).toMatchObject({ username: TOKEN, clientId: 'a' });
    expect(decode(rewritten, 5).password).toBeUndefined();
  });
  test('a minimal valid CONNECT is accepted', () => {
    expect(codes([0x10, 13, ...mqtt, 4, 0x02, 0, 30, 0, 1, 0x61])).toBe('accepted');
  });
});

describe('PacketReader', () => {
  test('assembles a CONNECT fed one byte at a time and keeps what follows it', () => {
    const packet = connect({ will: { topic: 't', payload: Buffer.alloc(200, 1), qos: 0, retain: false } });
    const publish = mqttPacket.generate({ cmd: 'publish', topic: 'v1/devices/me/telemetry', payload: '{"t":21.5}', qos: 1, messageId: 1, retain: false, dup: false });
    const stream = Buffer.concat([packet, publish]);
    const reader = new PacketReader(1, 65536);
    let result = null;
    for (let i = 0; i < stream.length && result === null; i++) result = reader.push(stream.subarray(i, i + 1));
    expect(result!.packet.equals(packet)).toBe(true);

    // Fed whole, the pipelined PUBLISH comes back untouched.
    const whole = new PacketReader(1, 65536).push(stream)!;
    expect(whole.packet.equals(packet)).toBe(true);
    expect(whole.rest.equals(publish)).toBe(true);
  });

  test('refuses a remaining length longer than four bytes', () => {
    expect(() => new PacketReader(1, 65536).push(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff]))).toThrow(/remaining length/);
  });

  test('refuses a first packet that is not a CONNECT', () => {
    expect(() => new PacketReader(1, 65536).push(Buffer.from([0x30, 0x02, 0x00, 0x00]))).toThrow(/type 3/);
  });

  test('refuses a CONNECT announcing more than the size limit before it arrives', () => {
    // remaining length 200 MB: c8 d0 ae 5f
    expect(() => new PacketReader(1, 65536).push(Buffer.from([0x10, 0x80, 0x84, 0xaf, 0x5f]))).toThrow(/exceeds the limit/);
  });
});

describe('PacketGuard', () => {
  const publish = (size: number): Buffer =>
    mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(size, 1), qos: 0, retain: false, dup: false });
  const stream = Buffer.concat([publish(10), publish(300), mqttPacket.generate({ cmd: 'pingreq' }), publish(20_000)]);

  test.each([1, 2, 3, 7, 1000, stream.length])('passes a stream of non-CONNECT packets cut every %i bytes', (step) => {
    const guard = new PacketGuard();
    for (let i = 0; i < stream.length; i += step) guard.check(stream.subarray(i, i + step));
  });

  test.each([
    ['an MQTT 5 AUTH', Buffer.from([0xf0, 0x02, 0x19, 0x00])],
    ['a reserved type 0 packet', Buffer.from([0x00, 0x00])],
  ])('stops %s', (_name, bytes) => {
    expect(() => new PacketGuard().check(Buffer.concat([stream, bytes]))).toThrow(/after admission/);
  });

  test.each([1, 5, 333])('stops a CONNECT behind other packets, cut every %i bytes', (step) => {
    const guard = new PacketGuard();
    const bad = Buffer.concat([stream, connect({})]);
    expect(() => {
      for (let i = 0; i < bad.length; i += step) guard.check(bad.subarray(i, i + step));
    }).toThrow(/second CONNECT/);
  });
});
