// The shared certificate cases (scenarios.ts) through the real TLS listener: a gate started from a configuration file,
// a device doing a real handshake with its key, and the CONNACK plus the gate's log as the verdict.

import { beforeAll, describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/demo/fleet.ts';
import { freshFleet, mqttClient, startStack } from '../helpers/stack.ts';
import { buildScenarios, type Scenario } from './scenarios.ts';

let fleet: Fleet;
let scenarios: Scenario[] = [];

beforeAll(async () => {
  fleet = await freshFleet();
  scenarios = await buildScenarios(fleet);
});

/** The CONNACK code the device gets: 0 admitted, anything else refused. */
async function connackFor(
  stack: Awaited<ReturnType<typeof startStack>>,
  scenario: Scenario,
): Promise<number> {
  return mqttClient(stack, scenario.device, { clientId: 'listener-test' }).then(
    async (client) => {
      await client.endAsync();
      return 0;
    },
    (err: { code?: number }) => err.code ?? -1,
  );
}

describe('the PKI cases through the TLS listener', () => {
  test('every case: admitted devices reach ThingsBoard, refused ones get CONNACK 5 and a log line with the reason', async () => {
    const outcomes: Array<Record<string, unknown>> = [];
    for (const scenario of scenarios) {
      const stack = await startStack({
        fleet,
        patch: (config) => ({ ...config, routes: scenario.routes }),
      });
      try {
        if (scenario.expect.verdict === 'accepted') {
          stack.tb.addDevice(scenario.expect.device, { profile: scenario.expect.profile });
        }
        const code = await connackFor(stack, scenario);
        const refusal = stack.logs.find((l) => l.msg.startsWith('refused: '));
        outcomes.push({
          case: scenario.name,
          code,
          upstreamUsernameIsToken:
            scenario.expect.verdict === 'accepted'
              ? stack.tb.connects.at(-1)?.packet.username ===
                stack.tb.device(scenario.expect.device)?.token
              : null,
          logCode: refusal?.['code'] ?? null,
          reasonMatches:
            scenario.expect.verdict === 'refused'
              ? (scenario.tlsReason ?? scenario.expect.reason).test(refusal?.msg ?? '')
              : null,
        });
      } finally {
        await stack.close();
      }
    }

    const expected = scenarios.map((s) =>
      s.expect.verdict === 'accepted'
        ? {
            case: s.name,
            code: 0,
            upstreamUsernameIsToken: true,
            logCode: null,
            reasonMatches: null,
          }
        : {
            case: s.name,
            code: 5,
            upstreamUsernameIsToken: null,
            logCode: s.expect.code,
            reasonMatches: true,
          },
    );
    expect(outcomes).toEqual(expected);
  });
});
