// Collects the first MQTT packet of a byte stream, however it is segmented, and hands back
// the packet and whatever arrived behind it. Used for the device's CONNECT and upstream's CONNACK.

import { GateError } from '../errors.ts';

export interface FirstPacket {
  /** The whole packet: fixed header, remaining length and body. */
  packet: Buffer;
  /** Bytes that arrived after the packet (pipelined packets), in order. */
  rest: Buffer;
}

/** Result of decoding the remaining-length field: its value and how many bytes it took. */
interface Length {
  value: number;
  bytes: number;
}

/** The fixed header is at most five bytes: the type byte and a four-byte remaining length. */
const MAX_HEADER = 5;

/**
 * Feeds chunks in; returns the first packet once it is complete, null while more is needed.
 * Throws a GateError when the bytes can never become an acceptable packet. Chunks are kept as
 * they come and joined once, so a packet sent a byte at a time costs linear, not quadratic, work.
 */
export class PacketReader {
  readonly #maxBytes: number;
  readonly #expectedType: number;
  readonly #chunks: Buffer[] = [];
  #received = 0;
  /** The packet's total size, once its fixed header is complete. */
  #total: number | null = null;

  constructor(expectedType: number, maxBytes: number) {
    this.#expectedType = expectedType;
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): FirstPacket | null {
    this.#chunks.push(chunk);
    this.#received += chunk.length;
    this.#total ??= this.#readHeader();
    this.#checkSize(this.#total ?? this.#received);
    if (this.#total === null || this.#received < this.#total) return null;

    const all = Buffer.concat(this.#chunks, this.#received);
    return { packet: all.subarray(0, this.#total), rest: all.subarray(this.#total) };
  }

  /** The packet's total size from its fixed header, or null while the header is incomplete. */
  #readHeader(): number | null {
    const head = this.#peek(MAX_HEADER);
    if (head.length === 0) return null;
    if (head[0]! >> 4 !== this.#expectedType) {
      throw new GateError('CERTGATE_NOT_CONNECT', `first packet is of type ${head[0]! >> 4}, not the expected type ${this.#expectedType}`);
    }
    const length = decodeRemainingLength(head, 1);
    return length === null ? null : 1 + length.bytes + length.value;
  }

  /** The first `count` bytes received (fewer when fewer arrived), without joining everything. */
  #peek(count: number): Buffer {
    const parts: Buffer[] = [];
    let have = 0;
    for (const chunk of this.#chunks) {
      if (have >= count) break;
      parts.push(chunk.subarray(0, count - have));
      have += Math.min(chunk.length, count - have);
    }
    return Buffer.concat(parts, have);
  }

  #checkSize(size: number): void {
    if (size > this.#maxBytes) {
      throw new GateError('CERTGATE_CONNECT_TOO_LARGE', `packet of ${size} bytes exceeds the limit of ${this.#maxBytes} bytes`);
    }
  }
}

/**
 * The MQTT variable byte integer (MQTT 3.1.1 §2.2.3, 5.0 §1.5.5): at most four bytes.
 * Returns null when more bytes are needed.
 */
export function decodeRemainingLength(buf: Buffer, offset: number): Length | null {
  let value = 0;
  let multiplier = 1;

  for (let i = 0; i < 4; i++) {
    const byte = buf[offset + i];
    if (byte === undefined) return null;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
    multiplier *= 128;
  }

  throw new GateError('CERTGATE_MALFORMED_PACKET', 'malformed remaining length: more than four bytes');
}

export function encodeRemainingLength(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}
