// The token cache under trouble: ThingsBoard's REST API down for 30 s with a warm cache, a 429
// with Retry-After, and unknown devices knocking repeatedly.

import { afterEach, expect, test } from 'vitest';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { connackOf, fleetOnce, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

async function devices(s: Stack, count: number, prefix: string): Promise<DeviceFiles[]> {
  const fleet = await fleetOnce();
  const out: DeviceFiles[] = [];
  for (let i = 0; i < count; i++) {
    const name = `TH-${prefix}${String(i).padStart(3, '0')}`;
    s.tb.addDevice(name, { profile: 'thermostat' });
    out.push(await fleet.device(name, { file: `cache-${prefix}-${i}` }));
  }
  return out;
}

test('REST down for 30 s with a warm cache: every cached device keeps connecting; an uncached one is told to retry', async () => {
  stack = await startStack({ patch: (c) => ({ ...c, cache: { tokenTtlSeconds: 2, staleIfErrorSeconds: 120 } }) });
  const warm = await devices(stack, 20, '5');
  const cold = (await devices(stack, 1, '6'))[0]!;
  for (const [i, d] of warm.entries()) expect(await connackOf(stack, d, `warm-${i}`)).toBe(0);

  await stack.tb.rest.down();
  const started = Date.now();
  const rounds: number[][] = [];
  while (Date.now() - started < 30_000) {
    rounds.push(await Promise.all(warm.map((d, i) => connackOf(stack!, d, `warm-${i}`).then((c) => c ?? -1))));
    await new Promise((r) => setTimeout(r, 5_000));
  }
  expect(await connackOf(stack, cold, 'cold')).toBe(3);
  await stack.tb.rest.up();

  expect(rounds.length).toBeGreaterThanOrEqual(6);
  for (const round of rounds) expect(round.every((c) => c === 0)).toBe(true);
  expect(stack.logs.some((l) => /using the cached token/.test(l.msg))).toBe(true);
}, 60_000);

test('a 429 with Retry-After: devices are told to retry, and ThingsBoard hears nothing until it passes', async () => {
  stack = await startStack();
  const [a, b] = await devices(stack, 2, '7');
  stack.tb.rest.failNext(429, 1, { 'retry-after': '2' });
  expect(await connackOf(stack, a!, 'a')).toBe(3);
  const callsAfter429 = stack.tb.rest.calls.deviceByName ?? 0;

  expect(await connackOf(stack, b!, 'b')).toBe(3);
  expect(stack.tb.rest.calls.deviceByName ?? 0).toBe(callsAfter429);
  await new Promise((r) => setTimeout(r, 2_100));
  expect(await connackOf(stack, b!, 'b')).toBe(0);
});

test('an unknown device knocking again within the negative time limit costs no second lookup', async () => {
  stack = await startStack({ patch: (c) => ({ ...c, cache: { negativeTtlSeconds: 30 } }) });
  const stranger = await (await fleetOnce()).device('TH-000999', { file: 'cache-stranger' });
  expect(await connackOf(stack, stranger, 's1')).toBe(5);
  expect(await connackOf(stack, stranger, 's2')).toBe(5);
  expect(stack.tb.rest.calls.deviceByName).toBe(1);
});
