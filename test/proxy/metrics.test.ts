// The Prometheus endpoint: connection outcomes, refusals by code and migration progress as a
// scraper sees them, and the health check.

import { afterEach, expect, test } from 'vitest';
import { request } from 'undici';
import { connackOf, fleetOnce, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

test('/metrics counts admitted and refused devices by code; /healthz answers', async () => {
  stack = await startStack({ patch: (c) => ({ ...c, metrics: { host: '127.0.0.1', port: 0 } }) });
  const url = String(stack.logs.find((l) => l.msg === 'metrics served')!.metrics);
  stack.tb.addDevice('TH-000480', { profile: 'thermostat' });
  const fleet = await fleetOnce();
  expect(await connackOf(stack, await fleet.device('TH-000480', { file: 'metrics-480' }), 'm1', 'old-token')).toBe(0);
  expect(await connackOf(stack, await fleet.device('TH-000999', { file: 'metrics-999' }), 'm2')).toBe(5);

  const text = await (await request(url)).body.text();
  expect(text).toMatch(/^certgate_connections_total\{outcome="admitted"\} 1$/m);
  expect(text).toMatch(/^certgate_refusals_total\{code="CERTGATE_DEVICE_NOT_FOUND"\} 1$/m);
  expect(text).toMatch(/^certgate_certificate_logins_total\{kind="unknown-token"\} 1$/m);
  expect(text).toMatch(/^certgate_cached_devices 1$/m);

  const health = await request(url.replace('/metrics', '/healthz'));
  expect(health.statusCode).toBe(200);
  await health.body.text();
});
