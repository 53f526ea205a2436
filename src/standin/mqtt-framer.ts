// TEST DOUBLE, not part of the gate. Cuts the MQTT byte stream into whole packets, whatever the
// TCP segmentation, so each packet's exact bytes can be recorded before it is decoded.

/** The stream is not MQTT framing, or a packet is over the size limit: the connection closes. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export class PacketFramer {
  #pending: Buffer = Buffer.alloc(0);
  #maxRemaining: number;

  /** `maxRemaining` mirrors ThingsBoard's `NETTY_MAX_PAYLOAD_SIZE` (default 65536 bytes). */
  constructor(maxRemaining = 65_536) {
    this.#maxRemaining = maxRemaining;
  }

  /** Adds received bytes and returns every packet now complete, each as its own buffer. */
  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const packets: Buffer[] = [];

    for (;;) {
      const size = this.#nextPacketSize();
      if (size === undefined || this.#pending.length < size) break;

      packets.push(Buffer.from(this.#pending.subarray(0, size)));
      this.#pending = this.#pending.subarray(size);
    }
    return packets;
  }

  /** Size of the packet at the head of the buffer; undefined while its header is partial. */
  #nextPacketSize(): number | undefined {
    let remaining = 0;
    let multiplier = 1;

    // Remaining Length: up to four bytes, seven bits each, high bit = "more follows" (MQTT 2.2.3).
    for (let i = 1; i <= 4; i++) {
      const byte = this.#pending[i];
      if (byte === undefined) return undefined;

      remaining += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      if ((byte & 0x80) === 0) return this.#checked(remaining) + 1 + i;
    }
    throw new FrameError('malformed remaining length');
  }

  #checked(remaining: number): number {
    if (remaining > this.#maxRemaining) {
      throw new FrameError(`packet of ${remaining} bytes is over the limit`);
    }
    return remaining;
  }
}
