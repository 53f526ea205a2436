// A half-migrated fleet: with `tls.clientCertificate: optional`, token devices pass unchanged,
// certificate devices are admitted by certificate, and `lockTokens` retires a migrated token.

import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { openLedger } from '../../src/migration/index.ts';
import { connackOf, fleetOnce, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

const optional = (stateFile: string, lockTokens: boolean) => (c: Record<string, unknown>) => ({
  ...c,
  tls: { ...(c.tls as object), clientCertificate: 'optional' },
  migration: { lockTokens, stateFile },
});

test('optional certificates: a token device passes unchanged, a certificate device by certificate, a bad certificate is refused', async () => {
  const fleet = await fleetOnce();
  stack = await startStack({ patch: optional(join(fleet.dir, 'state-a.sqlite'), false) });
  const tokenA = stack.tb.addDevice('TH-000461', { profile: 'thermostat' }).token!;
  stack.tb.addDevice('TH-000462', { profile: 'thermostat' });

  expect(await connackOf(stack, null, 'token-device', tokenA)).toBe(0);
  expect(stack.tb.connects.at(-1)!.packet.username).toBe(tokenA);
  expect(stack.tb.connects.at(-1)!.packet.clientId).toBe('token-device');

  expect(await connackOf(stack, await fleet.device('TH-000462'), 'cert-device', 'whatever')).toBe(0);
  expect(stack.tb.connects.at(-1)!.device).toBe('TH-000462');

  const foreign = await fleet.device('TH-000461', { issuer: fleet.foreign, file: 'mig-foreign' });
  expect(await connackOf(stack, foreign, 'foreign', tokenA)).toBe(5);
  expect(stack.tb.connects).toHaveLength(2);
});

test('lockTokens: once a device has connected with a certificate, its token alone no longer logs in, even after a restart', async () => {
  const fleet = await fleetOnce();
  const stateFile = join(fleet.dir, 'state-b.sqlite');
  stack = await startStack({ patch: optional(stateFile, true) });
  const token = stack.tb.addDevice('TH-000463', { profile: 'thermostat' }).token!;
  const other = stack.tb.addDevice('TH-000464', { profile: 'thermostat' }).token!;
  const cert = await fleet.device('TH-000463');

  expect(await connackOf(stack, null, 'before', token)).toBe(0);
  expect(await connackOf(stack, cert, 'migrated', token)).toBe(0);
  expect(await connackOf(stack, null, 'after', token)).toBe(5);
  expect(await connackOf(stack, null, 'unmigrated', other)).toBe(0);
  expect(stack.logs.find((l) => l.code === 'CERTGATE_TOKEN_LOCKED')?.msg).toMatch(/TH-000463/);
  expect(stack.logText()).not.toContain(token);
  await stack.close();

  stack = await startStack({ patch: optional(stateFile, true) });
  stack.tb.addDevice('TH-000463', { profile: 'thermostat', token });
  expect(await connackOf(stack, null, 'after-restart', token)).toBe(5);
  await stack.close();
  stack = null;

  const ledger = openLedger(stateFile, { readOnly: true });
  const state = ledger.report().find((d) => d.name === 'TH-000463')!;
  ledger.close();
  expect(state.lastKind).toBe('own-token');
  expect(state.tokenOnlySince.refused).toBe(2);
});
