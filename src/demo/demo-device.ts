// A minimal MQTT device for `certgate demo`: connects over mutual TLS, sends CONNECT, reads the
// CONNACK and, when admitted, publishes one telemetry message with QoS 1. Not part of the gate.

import { connect, type TLSSocket } from 'node:tls';
import mqttPacket from 'mqtt-packet';

export interface DeviceOptions {
  port: number;
  ca: string;
  cert: string;
  key: string;
  clientId: string;
  /** What the device still sends as its username (a token from before the migration). */
  username?: string;
  protocolVersion?: 4 | 5;
  telemetry?: Record<string, unknown>;
}

export interface DeviceResult {
  /** CONNACK return code (3.1.1) or reason code (5.0); null when the gate closed without one. */
  connack: number | null;
  published: boolean;
}

const TIMEOUT_MS = 5_000;

export async function runDevice(options: DeviceOptions): Promise<DeviceResult> {
  const version = options.protocolVersion ?? 4;
  const socket = connect({
    host: '127.0.0.1',
    port: options.port,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    servername: 'localhost',
  });
  const packets = packetStream(socket, version);
  try {
    await once(socket, 'secureConnect');
    socket.write(mqttPacket.generate({
      cmd: 'connect', protocolVersion: version, clientId: options.clientId, clean: true, keepalive: 30,
      ...(options.username ? { username: options.username } : {}),
    }));
    const connack = await packets.next('connack');
    if (connack === null) return { connack: null, published: false };
    const code = (connack.reasonCode ?? connack.returnCode ?? 0) as number;
    if (code !== 0) return { connack: code, published: false };

    socket.write(mqttPacket.generate({
      cmd: 'publish', topic: 'v1/devices/me/telemetry', payload: JSON.stringify(options.telemetry ?? { temperature: 21.5 }),
      qos: 1, messageId: 1, retain: false, dup: false,
    }, { protocolVersion: version }));
    const puback = await packets.next('puback');
    socket.write(mqttPacket.generate({ cmd: 'disconnect' }, { protocolVersion: version }));
    return { connack: code, published: puback !== null };
  } finally {
    socket.end();
    setTimeout(() => socket.destroy(), 200).unref();
  }
}

/** Packets from the socket, awaited one command at a time; null when the socket closes first. */
function packetStream(socket: TLSSocket, version: 4 | 5) {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const queue: mqttPacket.Packet[] = [];
  let waiter: (() => void) | null = null;
  let ended = false;
  const wake = (): void => {
    waiter?.();
    waiter = null;
  };
  parser.on('packet', (p) => {
    queue.push(p);
    wake();
  });
  socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  socket.on('close', () => {
    ended = true;
    wake();
  });
  socket.on('error', () => undefined);

  return {
    async next(cmd: string): Promise<(mqttPacket.Packet & { reasonCode?: number; returnCode?: number }) | null> {
      const deadline = Date.now() + TIMEOUT_MS;
      for (;;) {
        const index = queue.findIndex((p) => p.cmd === cmd);
        if (index >= 0) return queue.splice(index, 1)[0]!;
        if (ended || Date.now() > deadline) return null;
        await new Promise<void>((resolve) => {
          waiter = resolve;
          setTimeout(resolve, 100).unref();
        });
      }
    },
  };
}

function once(socket: TLSSocket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once(event, () => resolve());
    socket.once('error', reject);
  });
}
