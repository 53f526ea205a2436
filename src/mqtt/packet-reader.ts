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

/**
 * Feeds chunks in; returns the first packet once it is complete, null while more is needed.
 * Throws a GateError when the bytes can never become an acceptable packet.
 */
export class PacketReader {
  readonly #maxBytes: number;
  readonly #expectedType: number;
  #chunks: Buffer[] = [];
  #received = 0;

  constructor(expectedType: number, maxBytes: number) {
    this.#expectedType = expectedType;
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): FirstPacket | null {
    this.#chunks.push(chunk);
    this.#received += chunk.length;
    const head = Buffer.concat(this.#chunks);
    this.#chunks = [head];

    if (head.length === 0) return null;
    if (head[0]! >> 4 !== this.#expectedType) {
      throw new GateError('CERTGATE_NOT_CONNECT', `first packet is of type ${head[0]! >> 4}, not the expected type ${this.#expectedType}`);
    }

    const length = decodeRemainingLength(head, 1);
    if (length === null) return this.#checkSize(null);
    const total = 1 + length.bytes + length.value;
    this.#checkSize(total);
    if (head.length < total) return null;

    return { packet: head.subarray(0, total), rest: head.subarray(total) };
  }

  #checkSize(total: number | null): null {
    const size = total ?? this.#received;
    if (size > this.#maxBytes) {
      throw new GateError('CERTGATE_CONNECT_TOO_LARGE', `packet of ${size} bytes exceeds the limit of ${this.#maxBytes} bytes`);
    }
    return null;
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
