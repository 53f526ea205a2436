// `certgate migration-report` run in its own process (a commander program holding only this
// command): text and JSON output, --config and --state, exit 2 on every bad input, no secrets.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest';
import type { Fleet } from '../../src/demo/fleet.ts';
import { openLedger } from '../../src/migration/index.ts';
import type { MigrationReport } from '../../src/migration/report.ts';
import { fleetOnce } from '../helpers/stack.ts';

const execFileAsync = promisify(execFile);
const commandModule = new URL('../../src/cli/migration-report.ts', import.meta.url).href;
const TOKEN_A = 'A1b2C3d4E5f6G7h8I9j0';
const TOKEN_B = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt';
const TOKEN_C = 'Cc3Cc3Cc3Cc3Cc3Cc3Cc';

/** What main.ts will do once it registers the command: parse, then exit with process.exitCode. */
const runner = `
  import { Command } from 'commander';
  const { register } = await import(${JSON.stringify(commandModule)});
  const program = new Command('certgate').exitOverride();
  register(program);
  try { await program.parseAsync(process.argv.slice(1), { from: 'user' }); } catch { process.exitCode = 2; }
`;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function report(...args: string[]): Promise<Result> {
  const argv = ['--input-type=module', '-e', runner, 'migration-report', ...args];
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, argv, { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let dir: string;
let statePath: string;
let fleet: Fleet;

beforeAll(async () => {
  fleet = await fleetOnce();
  dir = mkdtempSync(join(tmpdir(), 'certgate-report-'));
  statePath = join(dir, 'migration.db');

  const ledger = openLedger(statePath);
  const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 12, minute));
  ledger.tokenOnlyLogin({ username: TOKEN_C, lockTokens: false, at: at(0) });
  ledger.certificateLogin({ device: 'TH-000417', platform: 'tb-main', token: TOKEN_A, sentUsername: null, at: at(1) });
  ledger.certificateLogin({ device: 'TH-000418', platform: 'tb-main', token: TOKEN_B, sentUsername: TOKEN_B, at: at(2) });
  ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true, at: at(3) });
  ledger.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function configWith(migration: Record<string, unknown> | undefined): string {
  const settings = { upstreamPort: 1883, platformUrl: 'http://127.0.0.1:1', platformUsername: 'u', platformPassword: 'never-printed' };
  return fleet.writeConfig(settings, migration === undefined ? {} : { migration });
}

test('--state prints one line per device and the totals, and no token', async () => {
  const { code, stdout } = await report('--state', statePath);

  expect(code).toBe(0);
  const lines = stdout.split('\n');
  expect(lines[0]).toMatch(/^DEVICE\s+PLATFORM\s+FIRST CERT LOGIN\s+LAST CERT LOGIN\s+LAST KIND\s+LOCKED\s+TOKEN-ONLY SINCE$/);
  expect(lines[1]).toMatch(/^TH-000417\s+tb-main\s+2025-01-01T12:01:00.000Z\s+2025-01-01T12:01:00.000Z\s+certificate-only\s+\?\s+1 \(1 refused/);
  expect(lines[2]).toMatch(/^TH-000418\s+tb-main\s+.*own-token\s+\?\s+0$/);
  expect(stdout).toContain('migrated devices: 2 (last login: 1 certificate-only, 1 own-token, 0 other-device-token, 0 unknown-token)');
  expect(stdout).toContain('lockTokens: unknown (no --config given)');
  expect(stdout).toContain('still on tokens: 1 distinct tokens in 1 token-only logins');
  for (const token of [TOKEN_A, TOKEN_B, TOKEN_C]) expect(stdout).not.toContain(token);
});

test('--json prints one object with devices and totals', async () => {
  const { code, stdout } = await report('--state', statePath, '--json');

  expect(code).toBe(0);
  const parsed = JSON.parse(stdout) as MigrationReport;
  expect(parsed.devices.map((d) => [d.name, d.lastKind, d.locked])).toEqual([
    ['TH-000417', 'certificate-only', null],
    ['TH-000418', 'own-token', null],
  ]);
  expect(parsed.devices[0]!.tokenOnlySince).toEqual({ count: 1, last: '2025-01-01T12:03:00.000Z', refused: 1 });
  expect(parsed.totals).toEqual({
    devices: 2,
    byLastKind: { 'certificate-only': 1, 'own-token': 1, 'other-device-token': 0, 'unknown-token': 0 },
    locked: null,
    tokenOnlySince: 1,
    tokenOnlyRefused: 1,
    unmigratedTokens: 1,
    unmigratedLogins: 1,
    lastUnmigratedLogin: '2025-01-01T12:00:00.000Z',
    lockTokens: null,
  });
});

test('--config reads migration.stateFile (relative to the file) and lockTokens', async () => {
  const config = configWith({ stateFile: relative(fleet.dir, statePath), lockTokens: true });
  const { code, stdout, stderr } = await report('--config', config, '--json');

  expect(stderr).toBe('');
  expect(code).toBe(0);
  const parsed = JSON.parse(stdout) as MigrationReport;
  expect(parsed.totals).toMatchObject({ lockTokens: true, locked: 2 });
  expect(parsed.devices.every((d) => d.locked === true)).toBe(true);
  expect(stdout).not.toContain('never-printed');
});

test('with lockTokens off in the configuration no device shows as locked', async () => {
  const { code, stdout } = await report('--config', configWith({ stateFile: statePath }));

  expect(code).toBe(0);
  expect(stdout.split('\n')[1]).toMatch(/certificate-only\s+no\s+/);
  expect(stdout).toContain('lockTokens: off; 0 device tokens locked');
});

test('--state overrides migration.stateFile', async () => {
  const config = configWith({ stateFile: join(dir, 'elsewhere.db'), lockTokens: true });
  const { code, stdout } = await report('--config', config, '--state', statePath, '--json');

  expect(code).toBe(0);
  expect((JSON.parse(stdout) as MigrationReport).totals.devices).toBe(2);
});

test('the report reads the ledger while a gate holds it open for writing', async () => {
  const writer = openLedger(statePath);
  onTestFinished(() => writer.close());
  writer.certificateLogin({ device: 'TH-000419', platform: 'tb-main', token: 'W'.repeat(20), sentUsername: 'wrong-user' });

  const { code, stdout } = await report('--state', statePath, '--json');

  expect(code).toBe(0);
  const devices = (JSON.parse(stdout) as MigrationReport).devices;
  expect(devices.find((d) => d.name === 'TH-000419')?.lastKind).toBe('unknown-token');
});

test.each([
  ['a missing ledger file', (): string[] => ['--state', join(dir, 'missing.db')], /cannot open the migration ledger/],
  ['a file that is not a ledger', (): string[] => ['--state', fleet.serverCaPath], /cannot open the migration ledger/],
  ['neither --config nor --state', (): string[] => [], /give --config/],
  ['a configuration without migration.stateFile', (): string[] => ['--config', configWith(undefined)], /migration.stateFile is not set/],
  ['an invalid configuration', (): string[] => ['--config', fleet.write('bad.json', '{"listen": 5}')], /is not valid/],
  ['a missing configuration', (): string[] => ['--config', join(dir, 'nope.json'), '--state', statePath], /cannot read/],
])('%s exits 2 with a message on stderr', async (_name, args, message) => {
  const { code, stdout, stderr } = await report(...args());

  expect(code).toBe(2);
  expect(stdout).toBe('');
  expect(stderr).toMatch(message);
});
