// The CLI as a user runs it: `certgate run` in its own process, a real mosquitto_pub device,
// SIGTERM to stop; `certgate demo` exits 0 with its table; --help and --version.

import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Fleet } from '../../src/demo/fleet.ts';
import { startStandin, type Standin } from '../../src/standin/index.ts';
import { fleetOnce } from '../helpers/stack.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/certgate.js', import.meta.url).pathname;

let fleet: Fleet;
let tb: Standin;

beforeAll(async () => {
  fleet = await fleetOnce();
  tb = await startStandin({ username: 'certgate@example.com', password: 'cli-test-password' });
  tb.addProfile('thermostat');
  tb.addDevice('TH-000417', { profile: 'thermostat' });
});

afterAll(async () => {
  await tb.close();
});

test('certgate run + mosquitto_pub: telemetry is recorded under the device; SIGTERM stops it with 0', async () => {
  const config = fleet.writeConfig({ upstreamPort: 1, platformUrl: 'http://127.0.0.1:1', platformUsername: tb.username, platformPassword: tb.password });
  const device = await fleet.device('TH-000417@IMEI-356482109825238', { file: 'cli-TH-000417' });
  const gate = spawn(process.execPath, [bin, 'run', '--config', config, '--upstream', `127.0.0.1:${tb.mqttPort}`, '--platform-url', tb.restUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  gate.stdout.on('data', (c: Buffer) => (out += c.toString()));

  try {
    while (!out.includes('certgate listening')) await once(gate.stdout, 'data');
    const port = (JSON.parse(out.split('\n').find((l) => l.includes('certgate listening'))!) as { listen: string }).listen.split(':')[1]!;
    await run('mosquitto_pub', [
      '-h', '127.0.0.1', '-p', port, '--cafile', fleet.serverCaPath, '--cert', device.certPath, '--key', device.keyPath,
      '-i', 'th-000417', '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"via":"cli"}',
    ], { timeout: 10_000 });
    await tb.waitFor(() => tb.telemetry('TH-000417').length > 0);
    expect(tb.telemetry('TH-000417')[0]!.payload).toEqual({ via: 'cli' });
  } finally {
    gate.kill('SIGTERM');
  }
  const [code] = await once(gate, 'exit');
  expect(code).toBe(0);
  expect(out).toContain('device admitted');
  expect(out).not.toContain('cli-test-password');
});

test('certgate demo prints one line per device and exits 0', async () => {
  const { stdout } = await run(process.execPath, [bin, 'demo'], { timeout: 60_000 });
  const lines = stdout.split('\n').filter((l) => /^(ok|FAIL) /.test(l));
  expect(lines).toHaveLength(5);
  expect(lines.every((l) => l.startsWith('ok'))).toBe(true);
  expect(stdout).toContain('5 of 5 devices behaved as expected');
});

test('--version prints the version; --help lists the commands', async () => {
  const version = await run(process.execPath, [bin, '--version']);
  expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  const help = await run(process.execPath, [bin, '--help']);
  for (const command of ['run', 'demo']) expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  const runHelp = await run(process.execPath, [bin, 'run', '--help']);
  expect(runHelp.stdout).toContain('CERTGATE_PLATFORM_PASSWORD');
});

test('an unknown command exits 2', async () => {
  const result = await run(process.execPath, [bin, 'frobnicate']).catch((e: { code: number }) => e);
  expect((result as { code: number }).code).toBe(2);
});
