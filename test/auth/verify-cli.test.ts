// `certgate verify` and `certgate check` as child processes: the shared certificate cases (scenarios.ts) through a
// configuration file, the --ca form, JSON output, exit codes 0/1/2 and the check summary.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Fleet } from '../../src/demo/fleet.ts';
import { createCrl, issue } from '../../src/pki/throwaway-pki.ts';
import { freshFleet } from '../helpers/stack.ts';
import { buildScenarios, type Scenario } from './scenarios.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
// The real executable once the main CLI registers these commands; until then a stand-alone entry.
const ENTRY = readFileSync(MAIN, 'utf8').includes('./verify.ts')
  ? fileURLToPath(new URL('../../bin/certgate.js', import.meta.url))
  : fileURLToPath(new URL('./cli-entry.ts', import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ENTRY, ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let fleet: Fleet;
let scenarios: Scenario[];
let baseConfig: Record<string, unknown>;

beforeAll(async () => {
  fleet = await freshFleet();
  scenarios = await buildScenarios(fleet);
  const settings = {
    upstreamPort: 1883,
    platformUrl: 'http://127.0.0.1:9',
    platformUsername: 'tenant@example.test',
    platformPassword: 'not-used',
  };
  baseConfig = JSON.parse(readFileSync(fleet.writeConfig(settings), 'utf8')) as Record<
    string,
    unknown
  >;
});

function configWith(name: string, routes: Array<Record<string, unknown>>): string {
  return fleet.write(`${name}.json`, JSON.stringify({ ...baseConfig, routes }, null, 2));
}

describe('the PKI cases through verify --config', () => {
  test('every case gives its expected verdict, code and exit status', async () => {
    const results = await Promise.all(
      scenarios.map(async (s, i) => {
        const result = await cli(
          'verify',
          '--config',
          configWith(`verify-${i}`, s.routes),
          '--cert',
          s.device.certPath,
          '--json',
        );
        return { s, result, json: JSON.parse(result.stdout || '{}') as Record<string, unknown> };
      }),
    );

    for (const { s, result, json } of results) {
      if (s.expect.verdict === 'accepted') {
        expect({
          case: s.name,
          code: result.code,
          verdict: json['verdict'],
          route: json['route'],
          device: json['device'],
        }).toEqual({
          case: s.name,
          code: 0,
          verdict: 'accepted',
          route: s.expect.route,
          device: s.expect.device,
        });
      } else {
        expect({
          case: s.name,
          code: result.code,
          verdict: json['verdict'],
          errorCode: json['code'],
        }).toEqual({ case: s.name, code: 1, verdict: 'refused', errorCode: s.expect.code });
        expect(json['reason'], s.name).toMatch(s.expect.reason);
      }
    }
  });
});

describe('verify --ca', () => {
  test('accepted: route, device and path in words; exit 0', async () => {
    const device = await fleet.device('TH-000600');
    const result = await cli(
      'verify',
      '--ca',
      `${fleet.dir}/root-r1.pem`,
      '--cert',
      device.certPath,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("accepted: route 'command line', device 'TH-000600'");
    expect(result.stdout).toContain(
      "path: 'O=Example Widgets,CN=TH-000600' <- 'O=Example Widgets,CN=Example Thermostat Issuing CA 1' <- 'O=Example Widgets,CN=Example Fleet Root R1'",
    );
  });

  test('refused: the reason and exit 1; --json has verdict, route, device and reason', async () => {
    const device = await fleet.device('TH-000601', { chain: [] });
    const text = await cli('verify', '--ca', `${fleet.dir}/root-r1.pem`, '--cert', device.certPath);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      "refused: issuer 'O=Example Widgets,CN=Example Thermostat Issuing CA 1' of 'O=Example Widgets,CN=TH-000601' (depth 0) not found",
    );

    const json = await cli(
      'verify',
      '--ca',
      `${fleet.dir}/root-r1.pem`,
      '--cert',
      device.certPath,
      '--json',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      verdict: 'refused',
      route: null,
      device: null,
      code: 'CERTGATE_CHAIN_REFUSED',
    });
  });

  test('--intermediates, --eku any, --max-depth and --at change the verdict as the route settings would', async () => {
    const device = await fleet.device('TH-000602', {
      chain: [],
      eku: ['1.3.6.1.5.5.7.3.1'],
      notAfter: new Date('2030-01-01T00:00:00Z'),
    });
    const base = [
      'verify',
      '--ca',
      `${fleet.dir}/root-r1.pem`,
      '--intermediates',
      `${fleet.dir}/issuing-i1.pem`,
      '--cert',
      device.certPath,
    ];
    expect((await cli(...base)).stdout).toContain(
      'does not allow the extended key usage clientAuth',
    );
    expect((await cli(...base, '--eku', 'any')).code).toBe(0);
    expect((await cli(...base, '--eku', '1.3.6.1.5.5.7.3.1')).code).toBe(0);
    expect((await cli(...base, '--eku', 'any', '--max-depth', '0')).stdout).toContain(
      'more than maxDepth 0',
    );
    expect((await cli(...base, '--eku', 'any', '--at', '2030-01-02T00:00:00Z')).stdout).toContain(
      'expired at 2030-01-01T00:00:00Z',
    );
  });

  test('--crl applies a CRL from a file', async () => {
    const device = await fleet.device('TH-000603');
    const crl = fleet.write(
      'v-crl.pem',
      (await createCrl(fleet.issuing, { revoked: [{ serial: device.identity.serial }] })).pem,
    );
    const result = await cli(
      'verify',
      '--ca',
      `${fleet.dir}/root-r1.pem`,
      '--crl',
      crl,
      '--cert',
      device.certPath,
      '--json',
    );
    expect([result.code, JSON.parse(result.stdout).code]).toEqual([1, 'CERTGATE_CERT_REVOKED']);
  });

  test('usage mistakes exit 2 and say which flag', async () => {
    const device = await fleet.device('TH-000604');
    const anchor = `${fleet.dir}/root-r1.pem`;
    const cases: Array<[string[], string]> = [
      [['verify', '--cert', device.certPath], 'give either --config FILE or --ca FILE...'],
      [
        ['verify', '--ca', anchor, '--cert', device.certPath, '--at', 'yesterday'],
        "--at: 'yesterday' is not an ISO 8601 time",
      ],
      [
        ['verify', '--ca', anchor, '--cert', device.certPath, '--max-depth', 'two'],
        "--max-depth: 'two' is not a whole number",
      ],
      [['verify', '--ca', anchor, '--cert', `${fleet.dir}/missing.pem`], '--cert: '],
      [['verify', '--ca', `${fleet.dir}/missing.pem`, '--cert', device.certPath], '--ca: '],
      [
        ['verify', '--ca', anchor, '--cert', device.certPath, '--config', configWith('mixed', [])],
        '--config cannot be combined',
      ],
      [['verify', '--ca', anchor], "required option '--cert <file>' not specified"],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(message);
    }
  });

  test('a configuration the gate would refuse exits 2 and names the key', async () => {
    const bad = configWith('bad-pattern', [
      {
        name: 'x',
        trustAnchors: ['root-r1.pem'],
        deviceProfile: 'thermostat',
        subjectPattern: '(',
      },
    ]);
    const result = await cli('verify', '--config', bad, '--cert', `${fleet.dir}/root-r1.pem`);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('routes[0].subjectPattern: invalid regular expression');
  });
});

describe('check', () => {
  test('prints anchors, CRLs and the pattern per route; exit 0', async () => {
    const crl = fleet.write('c-crl.pem', (await createCrl(fleet.issuing, { crlNumber: 42 })).pem);
    const file = configWith('check-ok', [
      {
        name: 'thermostats',
        trustAnchors: ['root-r1.pem'],
        crls: [crl],
        deviceProfile: 'thermostat',
        subjectPattern: '^(TH-\\d+)$',
      },
    ]);
    const result = await cli('check', '--config', file);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("route 'thermostats'");
    const fingerprint = createHash('sha256').update(fleet.root.der).digest('hex');
    expect(result.stdout).toContain(
      `anchor: 'O=Example Widgets,CN=Example Fleet Root R1' sha256 ${fingerprint} expires ${fleet.root.cert.notAfter.toISOString().replace('.000Z', 'Z')}`,
    );
    expect(result.stdout).toMatch(
      /crl: 'O=Example Widgets,CN=Example Thermostat Issuing CA 1' number 42, 0 revoked, nextUpdate \d{4}-/,
    );
    expect(result.stdout).toContain('identity: CN matched by "^(TH-\\\\d+)$"');
  });

  test('warnings: an anchor expiring within 30 days; --strict turns them into exit 1', async () => {
    const soon = await issue(fleet.root, {
      subject: 'CN=Short-lived Issuing CA',
      ca: {},
      notAfter: new Date(Date.now() + 10 * 86_400_000),
    });
    const anchor = fleet.write('c-soon.pem', soon.certPem);
    const file = configWith('check-soon', [
      { name: 'soon', trustAnchors: [anchor], deviceProfile: 'thermostat', subjectPattern: '.+' },
    ]);
    const relaxed = await cli('check', '--config', file);
    expect(relaxed.code).toBe(0);
    expect(relaxed.stdout).toMatch(
      /warning: routes\[0\]\.trustAnchors: anchor 'CN=Short-lived Issuing CA' expires at .*, within 30 days/,
    );
    expect((await cli('check', '--config', file, '--strict')).code).toBe(1);
  });

  test('a configuration the gate would not start with exits 2 with every problem', async () => {
    const file = configWith('check-bad', [
      {
        name: 'x',
        trustAnchors: ['nowhere.pem'],
        deviceProfile: 'thermostat',
        subjectPattern: '[',
      },
    ]);
    const result = await cli('check', '--config', file);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('routes[0].trustAnchors[0]');
    expect(result.stdout).toContain('routes[0].subjectPattern: invalid regular expression');
    expect(result.stdout).toContain('the gate would not start');
  });
});
