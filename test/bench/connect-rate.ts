// Benchmark, not a test: how many device connections per second one certgate process admits
// (mutual TLS, CONNECT, CONNACK from ThingsBoard) with a warm token cache, and the gate's memory
// with 1,000 idle sessions.   node test/bench/connect-rate.ts [connections=2000] [concurrency=50]
// The gate runs as `certgate run` in its own process; the clients and the stand-in ThingsBoard
// share this one, so on a 2-core machine the figures are a floor.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import mqttPacket from 'mqtt-packet';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { startStandin } from '../../src/standin/index.ts';
import { fleetOnce } from '../helpers/stack.ts';

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 50);
const DEVICES = 1000;

const fleet = await fleetOnce();
const tb = await startStandin({ username: 'bench@example.com', password: 'bench' });
tb.addProfile('thermostat');
const devices: DeviceFiles[] = [];
for (let i = 0; i < DEVICES; i++) {
  tb.addDevice(`TH-${200_000 + i}`, { profile: 'thermostat' });
  devices.push(await fleet.device(`TH-${200_000 + i}`, { file: `bench-${i}` }));
}
const config = fleet.writeConfig({ upstreamPort: tb.mqttPort, platformUrl: tb.restUrl, platformUsername: tb.username, platformPassword: tb.password });
const bin = new URL('../../bin/certgate.js', import.meta.url).pathname;
const gate = spawn(process.execPath, [bin, 'run', '--config', config, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
gate.stdout.on('data', (c: Buffer) => (out += c.toString()));
while (!out.includes('certgate listening')) await once(gate.stdout, 'data');
const port = Number(/"listen":"[^"]*:(\d+)"/.exec(out)![1]);
gate.stdout.removeAllListeners('data');
gate.stdout.resume();

function open(device: DeviceFiles, clientId: string): Promise<{ socket: TLSSocket; code: number | null }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca: fleet.serverCa.certPem, cert: device.certPem, key: device.keyPem, servername: 'localhost' });
    socket.on('error', () => resolve({ socket, code: null }));
    socket.once('secureConnect', () => socket.write(mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId, clean: true, keepalive: 600 })));
    socket.once('data', (d: Buffer) => resolve({ socket, code: d[0] === 0x20 ? d[3]! : null }));
  });
}

for (const [i, d] of devices.entries()) (await open(d, `warm-${i}`)).socket.destroy();

const latencies: number[] = [];
let next = 0;
let failures = 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < total) {
    const i = next++;
    const t0 = process.hrtime.bigint();
    const { socket, code } = await open(devices[i % DEVICES]!, `bench-${i}`);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    socket.destroy();
    if (code !== 0) failures++;
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
latencies.sort((a, b) => a - b);
const pct = (p: number): string => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
const rss = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gate.pid}/status`, 'utf8'))![1]) * 1024;

console.log(`node ${process.version}, OpenSSL ${process.versions.openssl}, ${total} connections, ${concurrency} at a time`);
console.log(`admitted ${total - failures}/${total} in ${seconds.toFixed(2)} s: ${(total / seconds).toFixed(0)} connections/s`);
console.log(`per connection (TLS handshake + CONNECT + upstream CONNACK): p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms`);

await new Promise((r) => setTimeout(r, 1000));
const before = rss();
const held: TLSSocket[] = [];
for (let i = 0; i < 1000; i++) held.push((await open(devices[i % DEVICES]!, `idle-${i}`)).socket);
await new Promise((r) => setTimeout(r, 1000));
const after = rss();
console.log(`gate RSS ${(before / 1e6).toFixed(0)} MB before, ${(after / 1e6).toFixed(0)} MB with 1,000 idle sessions open: ${((after - before) / 1000 / 1024).toFixed(1)} KiB per session`);

for (const s of held) s.destroy();
gate.kill('SIGTERM');
await once(gate, 'exit');
await tb.close();
