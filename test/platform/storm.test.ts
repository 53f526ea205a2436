// A reconnect storm: 2,000 connections of 500 distinct devices at once, after a network cut.
// ThingsBoard sees at most one lookup per device and never more requests in flight than the limit.

import { expect, test } from 'vitest';
import type { DeviceFiles } from '../../src/demo/fleet.ts';
import { connackOf, fleetOnce, startStack } from '../helpers/stack.ts';

const DEVICES = 500;
const CONNECTIONS = 2_000;
const LIMIT = 4;

test(`${CONNECTIONS} connections of ${DEVICES} devices: at most ${DEVICES} lookups, at most ${LIMIT} REST calls in flight`, async () => {
  const fleet = await fleetOnce();
  const stack = await startStack({
    fleet,
    patch: (c) => ({ ...c, platform: { ...(c.platform as object), maxConcurrentRequests: LIMIT }, mqtt: { connectTimeoutSeconds: 60, connackTimeoutSeconds: 60 } }),
  });
  try {
    const devices: DeviceFiles[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const name = `TH-${String(100_000 + i)}`;
      stack.tb.addDevice(name, { profile: 'thermostat' });
      devices.push(await fleet.device(name, { file: `storm-${i}` }));
    }
    stack.tb.rest.setLatency(5);
    stack.tb.rest.resetCounters();

    const codes = await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) => connackOf(stack, devices[i % DEVICES]!, `storm-${i}`)),
    );
    expect(codes.filter((c) => c === 0)).toHaveLength(CONNECTIONS);
    expect(stack.tb.rest.calls.deviceByName).toBeLessThanOrEqual(DEVICES);
    expect(stack.tb.rest.calls.credentials).toBeLessThanOrEqual(DEVICES);
    expect(stack.tb.rest.maxInFlight).toBeLessThanOrEqual(LIMIT);
  } finally {
    await stack.close();
  }
}, 180_000);
