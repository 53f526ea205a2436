// TEST DOUBLE, not part of the gate. Reads the PROXY protocol header (v1 text or v2 binary) that
// ThingsBoard expects first on every MQTT connection when `MQTT_PROXY_PROTOCOL_ENABLED` is on.

import { isIPv4 } from 'node:net';
import { FrameError } from './mqtt-framer.ts';

/** The client address a PROXY header announced. */
export interface ProxyHeader {
  version: 1 | 2;
  family: 'TCP4' | 'TCP6';
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export type HeaderRead =
  { complete: false } | { complete: true; header: ProxyHeader; rest: Buffer };

const V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V1_MAX = 107;

/**
 * Reads a header from the start of `buffer`. Throws FrameError when the bytes are not a PROXY
 * header, or when it carries no source address (LOCAL, UNKNOWN): ThingsBoard closes those.
 */
export function readProxyHeader(buffer: Buffer): HeaderRead {
  if (startsLike(buffer, V2_SIGNATURE)) return readV2(buffer);
  if (startsLike(buffer, V1_PREFIX)) return readV1(buffer);

  throw new FrameError('connection does not start with a PROXY protocol header');
}

function readV1(buffer: Buffer): HeaderRead {
  const end = buffer.indexOf('\r\n');
  if (end === -1) {
    if (buffer.length >= V1_MAX) throw new FrameError('PROXY v1 header too long');
    return { complete: false };
  }

  const [, family, source, destination, sourcePort, destinationPort] = buffer
    .toString('latin1', 0, end)
    .split(' ');
  if ((family !== 'TCP4' && family !== 'TCP6') || !source || !destination) {
    throw new FrameError('PROXY v1 header without a source address');
  }

  const header: ProxyHeader = {
    version: 1,
    family,
    sourceAddress: source,
    sourcePort: Number(sourcePort),
    destinationAddress: destination,
    destinationPort: Number(destinationPort),
  };
  return { complete: true, header, rest: buffer.subarray(end + 2) };
}

function readV2(buffer: Buffer): HeaderRead {
  if (buffer.length < 16) return { complete: false };

  const length = buffer.readUInt16BE(14);
  if (buffer.length < 16 + length) return { complete: false };

  const command = buffer[12] ?? 0;
  const family = buffer[13] ?? 0;
  if (command >> 4 !== 2) throw new FrameError('PROXY v2 header with a bad version');
  if ((command & 0x0f) !== 1) {
    throw new FrameError('PROXY v2 LOCAL header carries no source address');
  }

  const size = family === 0x11 ? 4 : family === 0x21 ? 16 : undefined;
  if (!size || length < 2 * size + 4) {
    throw new FrameError('PROXY v2 header without a TCP source address');
  }

  const header = v2Addresses(buffer, size);
  return { complete: true, header, rest: buffer.subarray(16 + length) };
}

function v2Addresses(buffer: Buffer, size: 4 | 16): ProxyHeader {
  const at = 16;
  const source = ipText(buffer.subarray(at, at + size));
  const destination = ipText(buffer.subarray(at + size, at + 2 * size));

  return {
    version: 2,
    family: isIPv4(source) ? 'TCP4' : 'TCP6',
    sourceAddress: source,
    sourcePort: buffer.readUInt16BE(at + 2 * size),
    destinationAddress: destination,
    destinationPort: buffer.readUInt16BE(at + 2 * size + 2),
  };
}

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');

  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** Whether the bytes so far agree with the start of `prefix` (or all of it). */
function startsLike(buffer: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buffer.length, prefix.length);
  return buffer.subarray(0, n).equals(prefix.subarray(0, n));
}
