// Configuration loading: a good file loads with its defaults; every mistake is named by its key,
// all at once; the CLI exits 2 without a stack trace and never prints the password.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import type { Fleet } from '../../src/demo/fleet.ts';
import { fleetOnce } from '../helpers/stack.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/certgate.js', import.meta.url).pathname;

let fleet: Fleet;
let good: Record<string, unknown>;

beforeAll(async () => {
  fleet = await fleetOnce();
  const path = fleet.writeConfig({ upstreamPort: 1883, platformUrl: 'http://127.0.0.1:9', platformUsername: 'certgate@example.com', platformPassword: 'pw-0123456789' });
  good = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
});

function write(name: string, config: unknown): string {
  return fleet.write(name, typeof config === 'string' ? config : JSON.stringify(config));
}

async function problems(config: unknown, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig(write('bad.json', config), { env });
  } catch (err) {
    return ((err as { detail: { problems: Array<{ key: string; message: string }> } }).detail.problems).map((p) => `${p.key}: ${p.message}`);
  }
  return [];
}

test('a good file loads, with defaults and paths resolved against its folder', async () => {
  const { config } = await loadConfig(write('good.json', good), { env: {} });
  expect(config.tls.cert).toBe(join(fleet.dir, 'gate.pem'));
  expect(config.routes[0]!.trustAnchors).toEqual([join(fleet.dir, 'issuing-i1.pem')]);
  expect(config.routes[0]!.requiredEku).toEqual(['clientAuth']);
  expect(config.mqtt.maxConnectBytes).toBe(65536);
  expect(config.platforms.default!.password).toBe('pw-0123456789');
});

test('overrides from the command line win over the file', async () => {
  const { config } = await loadConfig(write('good.json', good), {
    env: {},
    overrides: { listen: '[::1]:9883', upstream: 'tb.internal:11883', platformUrl: 'http://tb:8080', logLevel: 'debug' },
  });
  expect(config.listen).toMatchObject({ host: '::1', port: 9883 });
  expect(config.platforms.default!.upstream).toMatchObject({ host: 'tb.internal', port: 11883 });
  expect(config.platforms.default!.url).toBe('http://tb:8080');
  expect(config.logLevel).toBe('debug');
});

test('the password may come from CERTGATE_PLATFORM_PASSWORD', async () => {
  const platform = { ...(good.platform as object), passwordFile: undefined };
  const { config } = await loadConfig(write('env.json', { ...good, platform }), { env: { CERTGATE_PLATFORM_PASSWORD: 'from-env' } });
  expect(config.platforms.default!.password).toBe('from-env');
});

describe('each mistake is named by its key', () => {
  const route = (): Record<string, unknown> => ({ ...(good.routes as object[])[0] });
  test.each([
    ['a missing key', () => ({ ...good, upstream: {} }), /^upstream\.host:/],
    ['a wrong type', () => ({ ...good, listen: { port: 'eighty' } }), /^listen\.port:/],
    ['an unknown key (a typo)', () => ({ ...good, tsl: {} }), /tsl/],
    ['an unreadable anchor', () => ({ ...good, routes: [{ ...route(), trustAnchors: ['nope.pem'] }] }), /^routes\[0\]\.trustAnchors\[0\]:.*nope\.pem/],
    ['an anchor file without a certificate', () => ({ ...good, routes: [{ ...route(), trustAnchors: ['platform-password'] }] }), /^routes\[0\]\.trustAnchors\[0\]:/],
    ['a pattern that does not compile', () => ({ ...good, routes: [{ ...route(), subjectPattern: '^(TH-' }] }), /^routes\[0\]\.subjectPattern:/],
    ['a server key that is not a key', () => ({ ...good, tls: { cert: 'gate.pem', key: 'gate.pem' } }), /^tls\.key:/],
    ['no password anywhere', () => ({ ...good, platform: { ...(good.platform as object), passwordFile: undefined } }), /^platform\.passwordFile:.*CERTGATE_PLATFORM_PASSWORD/],
  ])('%s', async (_name, make, pattern) => {
    const found = await problems(make());
    expect(found.some((p) => pattern.test(p)), found.join('\n')).toBe(true);
  });

  test('all mistakes are reported at once', async () => {
    const found = await problems({ ...good, listen: { port: -1 }, upstream: {}, routes: [{ ...route(), deviceProfile: 7 }, { ...route(), subjectPattern: '[' }] });
    expect(found.length, found.join('\n')).toBeGreaterThanOrEqual(4);
    expect(found.some((p) => p.startsWith('routes[1].subjectPattern:'))).toBe(true);
  });
});

test('`certgate run` with a bad file exits 2, names the keys, shows no stack trace and no password', async () => {
  const path = write('bad-cli.json', { ...good, upstream: {}, routes: [{ ...(good.routes as object[])[0], subjectPattern: '(' }] });
  const result = await run(process.execPath, [bin, 'run', '--config', path]).then(
    () => ({ code: 0, stderr: '' }),
    (err: { code: number; stderr: string }) => err,
  );
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/upstream\.host/);
  expect(result.stderr).toMatch(/routes\[0\]\.subjectPattern/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).not.toContain('pw-0123456789');
});

test('a file that is not JSON exits 2 with the reason', async () => {
  const result = await run(process.execPath, [bin, 'run', '--config', write('broken.json', '{ "listen": ')]).catch((e: { code: number; stderr: string }) => e);
  expect((result as { code: number }).code).toBe(2);
  expect((result as { stderr: string }).stderr).toMatch(/not valid JSON/);
});

test('a bad --listen flag exits 2 naming the flag', async () => {
  writeFileSync(join(fleet.dir, 'ok.json'), JSON.stringify(good));
  const result = await run(process.execPath, [bin, 'run', '--config', join(fleet.dir, 'ok.json'), '--listen', 'nonsense']).catch((e: { code: number; stderr: string }) => e);
  expect((result as { code: number }).code).toBe(2);
  expect((result as { stderr: string }).stderr).toMatch(/--listen/);
});
