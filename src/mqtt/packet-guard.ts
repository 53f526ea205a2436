// Watches the packet boundaries of a device's stream after its CONNECT was admitted, without
// copying or changing bytes, and stops a second CONNECT or an AUTH: either could change who the
// device is upstream.

import { GateError } from '../errors.ts';

const CONNECT = 1;
const RESERVED = 0;
/** MQTT 5 AUTH: (re-)authentication, which would let a device change who it is mid-session. */
const AUTH = 15;

/**
 * Feed it every chunk the device sends after its admitted CONNECT; it throws on a second
 * CONNECT [MQTT-3.1.0-2] or an impossible remaining length. Only fixed headers are read.
 */
export class PacketGuard {
  /** Bytes of the current packet still to skip (its body). */
  #skip = 0;
  /** A fixed header split across chunks. */
  #header: number[] = [];

  check(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#skip > 0) {
        const step = Math.min(this.#skip, chunk.length - offset);
        this.#skip -= step;
        offset += step;
        continue;
      }
      this.#header.push(chunk[offset++]!);
      this.#readHeader();
    }
  }

  /** Once the header is complete (type byte and remaining length), skip the packet's body. */
  #readHeader(): void {
    const [type, ...length] = this.#header;
    const kind = type! >> 4;
    if (kind === CONNECT) {
      throw new GateError('CERTGATE_MALFORMED_PACKET', 'a second CONNECT after the admitted one [MQTT-3.1.0-2]');
    }
    if (kind === AUTH || kind === RESERVED) {
      throw new GateError('CERTGATE_MALFORMED_PACKET', `packet type ${kind} (${kind === AUTH ? 'AUTH: re-authentication is not supported' : 'reserved'}) after admission`);
    }
    if (length.length === 0) return;

    const last = length[length.length - 1]!;
    if (last & 0x80) {
      if (length.length === 4) throw new GateError('CERTGATE_MALFORMED_PACKET', 'malformed remaining length: more than four bytes');
      return;
    }
    this.#skip = length.reduce((sum, byte, i) => sum + (byte & 0x7f) * 128 ** i, 0);
    this.#header = [];
  }
}
