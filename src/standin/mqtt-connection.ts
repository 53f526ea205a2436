// TEST DOUBLE, not part of the gate. One device connection to the stand-in's MQTT port: frames
// and decodes packets, answers CONNECT as ThingsBoard would, records PUBLISH, PING and DISCONNECT.

import type { Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type IPublishPacket, type Packet } from 'mqtt-packet';
import { connackCode, judgeConnect, type ConnectVerdict, type ConnectReason } from './mqtt-auth.ts';
import { PacketFramer } from './mqtt-framer.ts';
import { readProxyHeader, type ProxyHeader } from './mqtt-proxy-header.ts';
import type { Device, Store } from './store.ts';

/** A CONNECT exactly as received, with what the stand-in answered. */
export interface ConnectRecord {
  connection: number;
  raw: Buffer;
  packet: IConnectPacket;
  protocolVersion: number;
  accepted: boolean;
  /** The CONNACK code sent, or -1 when the stand-in was told to stay silent. */
  returnCode: number;
  device?: string;
  provisioning: boolean;
  /** The client address from the PROXY protocol header, when the stand-in expects one. */
  proxyHeader?: ProxyHeader;
  at: number;
}

/** What the connection needs from the server that owns it. */
export interface MqttHub {
  store: Store;
  isSilent(): boolean;
  forcedRefusal(): ConnectReason | undefined;
  recordConnect(record: ConnectRecord): void;
  /** Makes this the device's only session, closing an older one. */
  claimDevice(device: Device, connection: MqttConnection): void;
  released(connection: MqttConnection): void;
}

export class MqttConnection {
  readonly id: number;
  /** Packet types in the order they arrived (`connect`, `publish`, …). */
  readonly packets: string[] = [];
  device: Device | undefined;
  proxyHeader: ProxyHeader | undefined;
  #socket: Socket;
  #hub: MqttHub;
  #framer = new PacketFramer();
  #version = 4;
  #connected = false;
  /** Told to stay silent: the CONNECT got no answer, and later packets are ignored too. */
  #unanswered = false;
  /** Bytes of a PROXY protocol header still being read, or undefined when none is expected. */
  #headerBytes: Buffer | undefined;

  constructor(id: number, socket: Socket, hub: MqttHub, expectProxyHeader: boolean) {
    this.id = id;
    this.#socket = socket;
    this.#hub = hub;
    this.#headerBytes = expectProxyHeader ? Buffer.alloc(0) : undefined;

    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => hub.released(this));
  }

  get closed(): boolean {
    return this.#socket.destroyed;
  }

  /** Ends the session as ThingsBoard does: MQTT 5 clients first get DISCONNECT with a reason. */
  kick(reasonCode: number): void {
    if (this.#version === 5 && this.#connected) this.#send({ cmd: 'disconnect', reasonCode });
    this.#socket.destroySoon();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    try {
      const bytes = this.#headerBytes ? this.#readHeader(chunk) : chunk;
      for (const raw of this.#framer.push(bytes)) {
        if (this.#socket.destroyed) return;
        this.#onPacket(raw);
      }
    } catch {
      // A decode failure closes the connection without a CONNACK (thingsboard.md §5.3).
      this.#socket.destroy();
    }
  }

  /** Consumes the PROXY header; returns the bytes after it (none while it is incomplete). */
  #readHeader(chunk: Buffer): Buffer {
    const read = readProxyHeader(Buffer.concat([this.#headerBytes ?? Buffer.alloc(0), chunk]));
    if (!read.complete) {
      this.#headerBytes = Buffer.concat([this.#headerBytes ?? Buffer.alloc(0), chunk]);
      return Buffer.alloc(0);
    }

    this.proxyHeader = read.header;
    this.#headerBytes = undefined;
    return read.rest;
  }

  #onPacket(raw: Buffer): void {
    const packet = decode(raw, this.#version);
    this.packets.push(packet.cmd);

    if (packet.cmd === 'connect') return this.#onConnect(raw, packet);
    if (this.#unanswered) return;
    if (!this.#connected) return void this.#socket.destroy();

    this.#onSessionPacket(packet);
  }

  /** Packets after a successful CONNECT; ThingsBoard grants QoS 1 at most. */
  #onSessionPacket(packet: Packet): void {
    const messageId = packet.messageId ?? 0;

    switch (packet.cmd) {
      case 'publish':
        return this.#onPublish(packet);
      case 'pingreq':
        return this.#send({ cmd: 'pingresp' });
      case 'pubrel':
        return this.#send({ cmd: 'pubcomp', messageId });
      case 'subscribe': {
        const granted = packet.subscriptions.map((s) => Math.min(s.qos, 1));
        return this.#send({ cmd: 'suback', messageId, granted });
      }
      case 'unsubscribe':
        return this.#send({
          cmd: 'unsuback',
          messageId,
          granted: packet.unsubscriptions.map(() => 0),
        });
      case 'disconnect':
        return void this.#socket.destroy();
      default:
        return;
    }
  }

  #onConnect(raw: Buffer, packet: IConnectPacket): void {
    // A second CONNECT on one connection is a protocol violation [MQTT-3.1.0-2].
    if (this.packets.length > 1) return void this.#socket.destroy();
    this.#version = packet.protocolVersion ?? 4;

    const verdict = this.#judge(packet);
    const silent = this.#hub.isSilent();
    const returnCode = silent ? -1 : connackCode(verdict.reason, this.#version);
    this.#hub.recordConnect({
      connection: this.id,
      raw,
      packet,
      protocolVersion: this.#version,
      accepted: verdict.reason === 'accepted',
      returnCode,
      ...(verdict.device ? { device: verdict.device.name } : {}),
      provisioning: verdict.provisioning,
      ...(this.proxyHeader ? { proxyHeader: this.proxyHeader } : {}),
      at: Date.now(),
    });
    if (silent) {
      this.#unanswered = true;
      return;
    }

    this.#answerConnect(packet, verdict, returnCode);
  }

  #judge(packet: IConnectPacket): ConnectVerdict {
    const forced = this.#hub.forcedRefusal();
    return forced ? { reason: forced, provisioning: false } : judgeConnect(this.#hub.store, packet);
  }

  #answerConnect(packet: IConnectPacket, verdict: ConnectVerdict, returnCode: number): void {
    // ThingsBoard sets sessionPresent to !cleanSession, even on a refusal.
    const sessionPresent = packet.clean === false;

    if (verdict.reason !== 'accepted') {
      this.#send({ cmd: 'connack', sessionPresent, returnCode, reasonCode: returnCode });
      if (this.#version === 5) this.#send({ cmd: 'disconnect', reasonCode: returnCode });
      this.#socket.destroySoon();
      return;
    }

    this.#connected = true;
    this.device = verdict.device;
    if (verdict.device) this.#hub.claimDevice(verdict.device, this);
    this.#send({ cmd: 'connack', sessionPresent, returnCode, reasonCode: returnCode });
  }

  #onPublish(packet: IPublishPacket): void {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);

    // LIMITATION: a provisioning session's `/provision/request` is recorded in the packet list
    // only; the stand-in never answers on `/provision/response`.
    this.device?.published.push({
      topic: packet.topic,
      payload: parsePayload(payload),
      raw: payload,
      qos: packet.qos,
      at: Date.now(),
    });

    const messageId = packet.messageId ?? 0;
    if (packet.qos === 1) this.#send({ cmd: 'puback', messageId });
    if (packet.qos === 2) this.#send({ cmd: 'pubrec', messageId });
  }

  #send(packet: Packet): void {
    if (this.#socket.destroyed || !this.#socket.writable) return;
    this.#socket.write(mqttPacket.generate(packet, { protocolVersion: this.#version }));
  }
}

/** Decodes one framed packet; throws when mqtt-packet refuses it. */
function decode(raw: Buffer, protocolVersion: number): Packet {
  const parser = mqttPacket.parser({ protocolVersion });
  let packet: Packet | undefined;
  let failure: unknown;

  parser.on('packet', (p) => (packet = p));
  parser.on('error', (e) => (failure = e));
  parser.parse(raw);

  if (failure || !packet) throw failure ?? new Error('incomplete packet');
  return packet;
}

function parsePayload(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
