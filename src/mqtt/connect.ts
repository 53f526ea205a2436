// Reads a device's CONNECT just far enough to judge and rewrite it: protocol version, flags,
// client id, and where the username and password fields sit. Nothing else is decoded or changed.

import mqttPacket from 'mqtt-packet';
import { GateError } from '../errors.ts';
import { decodeRemainingLength, encodeRemainingLength } from './packet-reader.ts';

export type ProtocolVersion = 3 | 4 | 5;

export interface ConnectInfo {
  version: ProtocolVersion;
  clientId: string;
  keepalive: number;
  hasUsername: boolean;
  hasPassword: boolean;
  /** What the device sent as username: a secret (an old token, say). Never log it. */
  username: string | null;
  /** Offset of the connect-flags byte in the packet. */
  flagsOffset: number;
  /** Where the client identifier field (length and bytes) starts and ends. */
  clientIdOffset: number;
  clientIdEnd: number;
  /** Offset where the username field starts (or would start): everything after it is credentials. */
  credentialsOffset: number;
}

/** The protocol level a device asked for, when the CONNECT must be answered 0x01 "unacceptable protocol". */
export class UnsupportedProtocol extends GateError {
  readonly level: number;

  constructor(level: number, message: string) {
    super('CERTGATE_UNSUPPORTED_PROTOCOL', message);
    this.level = level;
  }
}

const USERNAME_FLAG = 0x80;
const PASSWORD_FLAG = 0x40;
const WILL_FLAG = 0x04;

/** Parses a complete CONNECT packet (as returned by PacketReader). Throws GateError on bad input. */
export function parseConnect(packet: Buffer): ConnectInfo {
  if (packet[0] !== 0x10) malformed('CONNECT fixed-header flags must be zero [MQTT-2.2.2-2]');
  const length = decodeRemainingLength(packet, 1);
  if (length === null) malformed('truncated remaining length');
  const cursor = new Cursor(packet, 1 + length.bytes);

  // Variable header: protocol name and level
  const name = cursor.string('protocol name');
  const level = cursor.byte('protocol level');
  const version = checkProtocol(name, level);

  // Connect flags [MQTT-3.1.2-3]: the reserved bit must be zero
  const flagsOffset = cursor.offset;
  const flags = cursor.byte('connect flags');
  checkFlags(flags, version);
  const keepalive = cursor.uint16('keep alive');
  if (version === 5) cursor.properties('connect properties');

  // Payload: client id, will, then the credentials, in that order [MQTT-3.1.3-1]
  const clientIdOffset = cursor.offset;
  const clientId = cursor.string('client identifier');
  const clientIdEnd = cursor.offset;
  if (flags & WILL_FLAG) {
    if (version === 5) cursor.properties('will properties');
    cursor.string('will topic');
    cursor.binary('will message');
  }
  const credentialsOffset = cursor.offset;
  const username = flags & USERNAME_FLAG ? cursor.string('username') : null;
  if (flags & PASSWORD_FLAG) cursor.binary('password');
  if (cursor.offset !== packet.length) {
    malformed(`${packet.length - cursor.offset} bytes after the last field the flags announce`);
  }

  checkWithCodec(packet, version);
  return {
    version,
    clientId,
    keepalive,
    hasUsername: (flags & USERNAME_FLAG) !== 0,
    hasPassword: (flags & PASSWORD_FLAG) !== 0,
    username,
    flagsOffset,
    clientIdOffset,
    clientIdEnd,
    credentialsOffset,
  };
}

/** What replaces the device's own fields; an absent username or password is left out. */
export interface Replacement {
  clientId?: string;
  username?: string;
  password?: string;
}

/**
 * The same CONNECT with the gate's credentials instead of the device's: the username and password
 * fields (and, when given, the client id) spliced in, their flags set to match, and the remaining
 * length recomputed. Every other byte (flags, keep alive, will, MQTT 5 properties in their order)
 * is the device's own.
 */
export function rewriteConnect(packet: Buffer, info: ConnectInfo, replace: Replacement): Buffer {
  const headerLength = 1 + decodeRemainingLength(packet, 1)!.bytes;
  const clientId = replace.clientId === undefined ? packet.subarray(info.clientIdOffset, info.clientIdEnd) : field(replace.clientId);
  const newBody = Buffer.concat([
    packet.subarray(headerLength, info.clientIdOffset),
    clientId,
    packet.subarray(info.clientIdEnd, info.credentialsOffset),
    replace.username === undefined ? Buffer.alloc(0) : field(replace.username),
    replace.password === undefined ? Buffer.alloc(0) : field(replace.password),
  ]);

  const flagsAt = info.flagsOffset - headerLength;
  let flags = newBody[flagsAt]! & ~(USERNAME_FLAG | PASSWORD_FLAG);
  if (replace.username !== undefined) flags |= USERNAME_FLAG;
  if (replace.password !== undefined) flags |= PASSWORD_FLAG;
  newBody[flagsAt] = flags;
  return Buffer.concat([Buffer.from([0x10]), encodeRemainingLength(newBody.length), newBody]);
}

/** A length-prefixed UTF-8 field [MQTT-1.5.3]. */
function field(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

function checkProtocol(name: string, level: number): ProtocolVersion {
  // MQTT 3.1 says MQIsdp/3; 3.1.1 and 5.0 say MQTT/4 and MQTT/5. Any other pairing, including
  // a bridge's level with bit 0x80 set, is answered 0x01 [MQTT-3.1.2-2].
  if (name === 'MQIsdp' && level === 3) return 3;
  if (name === 'MQTT' && (level === 4 || level === 5)) return level;
  if (name !== 'MQTT' && name !== 'MQIsdp') malformed(`unknown protocol name '${printable(name)}'`);
  throw new UnsupportedProtocol(level, `unsupported protocol: name '${name}' with level ${level}`);
}

function checkFlags(flags: number, version: ProtocolVersion): void {
  if (flags & 0x01) malformed('reserved connect flag is set [MQTT-3.1.2-3]');
  const will = (flags & WILL_FLAG) !== 0;
  const willQos = (flags >> 3) & 0x03;
  if (willQos === 3) malformed('will QoS 3 is not allowed [MQTT-3.1.2-14]');
  if (!will && (willQos !== 0 || flags & 0x20)) malformed('will QoS or retain set without the will flag [MQTT-3.1.2-11]');
  if (version !== 5 && flags & PASSWORD_FLAG && !(flags & USERNAME_FLAG)) {
    malformed('password flag set without the username flag [MQTT-3.1.2-22]');
  }
}

/** A second opinion from mqtt-packet, which also validates MQTT 5 properties. */
function checkWithCodec(packet: Buffer, version: ProtocolVersion): void {
  const parser = mqttPacket.parser({ protocolVersion: version });
  let problem: string | null = null;
  let parsed = false;
  parser.on('error', (err: Error) => (problem = err.message));
  parser.on('packet', () => (parsed = true));
  parser.parse(packet);
  if (problem !== null) malformed(problem);
  if (!parsed) malformed('CONNECT could not be decoded');
}

function malformed(message: string): never {
  throw new GateError('CERTGATE_MALFORMED_PACKET', `malformed CONNECT: ${message}`);
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 32);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Walks a packet field by field; every read checks the bounds first. */
class Cursor {
  readonly #buf: Buffer;
  offset: number;

  constructor(buf: Buffer, offset: number) {
    this.#buf = buf;
    this.offset = offset;
  }

  byte(field: string): number {
    this.#need(1, field);
    return this.#buf[this.offset++]!;
  }

  uint16(field: string): number {
    this.#need(2, field);
    const value = this.#buf.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  binary(field: string): Buffer {
    const length = this.uint16(field);
    this.#need(length, field);
    const value = this.#buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  string(field: string): string {
    const bytes = this.binary(field);
    let text = '';
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      malformed(`${field} is not valid UTF-8 [MQTT-1.5.3-1]`);
    }
    if (text.includes('\u0000')) malformed(`${field} contains U+0000 [MQTT-1.5.3-2]`);
    return text;
  }

  properties(field: string): void {
    const length = decodeRemainingLength(this.#buf, this.offset);
    if (length === null) malformed(`truncated ${field}`);
    this.offset += length.bytes;
    this.#need(length.value, field);
    this.offset += length.value;
  }

  #need(count: number, field: string): void {
    if (this.offset + count > this.#buf.length) malformed(`truncated at ${field}`);
  }
}
