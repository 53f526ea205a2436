// Benchmark, not a test: the cost of reading a 64 KiB CONNECT that arrives one byte per record,
// the worst case a client without a certificate can impose before it is judged.
//   node test/bench/packet-reader.ts

import { PacketReader } from '../../src/mqtt/packet-reader.ts';

const size = 65_536;
const packet = Buffer.alloc(size);
packet[0] = 0x10;
packet.set([0xfc, 0xff, 0x03], 1); // remaining length 65532

const runs = 5;
const started = process.hrtime.bigint();
for (let r = 0; r < runs; r++) {
  const reader = new PacketReader(1, size);
  for (let i = 0; i < size; i++) reader.push(packet.subarray(i, i + 1));
}
const ms = Number(process.hrtime.bigint() - started) / 1e6 / runs;
console.log(`64 KiB CONNECT fed one byte at a time: ${ms.toFixed(1)} ms per packet`);
