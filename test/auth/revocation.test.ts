// Revocation through buildTrust/judge: CRLs belong to their issuer whatever route lists them,
// revoked means refused outright, freshness and grace, crlRequired, and reloading (C04, C06, C07).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { writeFileSync, renameSync } from 'node:fs';
import { buildTrust } from '../../src/auth/index.ts';
import {
  createRoot,
  createCrl,
  issue,
  KeyUsage,
  type Identity,
} from '../../src/pki/throwaway-pki.ts';
import { TempFiles, route, trustOf, ders, accepted, refused, DAY } from './fixture.ts';

const files = new TempFiles();
let r1: Identity, i1: Identity, good: Identity, revoked: Identity;
let r1File: string, i1File: string;

beforeAll(async () => {
  r1 = await createRoot('CN=Example Fleet Root R1');
  i1 = await issue(r1, { subject: 'CN=Example Thermostat Issuing CA 1', ca: { pathLength: 0 } });
  good = await issue(i1, { subject: 'CN=TH-000421' });
  revoked = await issue(i1, { subject: 'CN=TH-000422', serial: '1a2b' });
  r1File = files.pem('r1.pem', r1);
  i1File = files.pem('i1.pem', i1);
});
afterAll(() => files.remove());

async function crlFile(
  issuer: Identity,
  options: Parameters<typeof createCrl>[1] = {},
  der = false,
): Promise<string> {
  const crl = await createCrl(issuer, options);
  return files.write('crl.pem', der ? crl.der : crl.pem);
}

describe('a CRL where one is configured (C04)', () => {
  test('root anchor, CRL of the intermediate only: good leaf accepted, listed leaf revoked', async () => {
    const trust = trustOf([
      route({
        trustAnchors: [r1File],
        crls: [await crlFile(i1, { revoked: [{ serial: '1a2b' }], crlNumber: 7 })],
      }),
    ]);
    expect(accepted(trust.judge(ders(good, i1))).device).toBe('TH-000421');

    const verdict = refused(trust.judge(ders(revoked, i1)));
    expect(verdict.code).toBe('CERTGATE_CERT_REVOKED');
    expect(verdict.reason).toMatch(
      /^certificate 'CN=TH-000422' \(depth 0, serial 0x1a2b\) is revoked since .* by CRL #7 of 'CN=Example Thermostat Issuing CA 1' \(thisUpdate .*\)$/,
    );
  });

  test('intermediate anchor with its own CRL gives the same outcome', async () => {
    const trust = trustOf([
      route({
        trustAnchors: [i1File],
        crls: [await crlFile(i1, { revoked: [{ serial: '1a2b' }] })],
      }),
    ]);
    expect(accepted(trust.judge(ders(good))).device).toBe('TH-000421');
    expect(refused(trust.judge(ders(revoked))).code).toBe('CERTGATE_CERT_REVOKED');
  });

  test('a revoked intermediate refuses the leaves below it', async () => {
    const rootCrl = await crlFile(r1, { revoked: [{ serial: i1.serial }] });
    const verdict = refused(
      trustOf([route({ trustAnchors: [r1File], crls: [rootCrl] })]).judge(ders(good, i1)),
    );
    expect(verdict.code).toBe('CERTGATE_CERT_REVOKED');
    expect(verdict.reason).toContain("certificate 'CN=Example Thermostat Issuing CA 1' (depth 1");
  });

  test('two roots, a CRL for one: the other fleet is unaffected and a warning says so', async () => {
    const rb = await createRoot('CN=Example Meter Root R-B');
    const meter = await issue(rb, { subject: 'CN=MT-000913' });
    const routes = [
      route({ name: 'thermostat', trustAnchors: [r1File], crls: [await crlFile(r1)] }),
      route({ name: 'meter', trustAnchors: [files.pem('rb.pem', rb)] }),
    ];
    const built = buildTrust(routes);
    expect(built.warnings).toContain(
      "route 'meter': anchor 'CN=Example Meter Root R-B' has no CRL; certificates it issues are not checked for revocation",
    );
    expect(accepted(built.trust!.judge(ders(meter))).route).toBe('meter');
    expect(accepted(built.trust!.judge(ders(good, i1))).route).toBe('thermostat');

    const strict = trustOf([routes[0]!, { ...routes[1]!, crlRequired: true }]);
    expect(refused(strict.judge(ders(meter))).reason).toBe(
      "no CRL available from issuer 'CN=Example Meter Root R-B' for certificate 'CN=MT-000913' (depth 0), and the route sets crlRequired",
    );
  });

  test('crlRequired needs a CRL for every certificate below the anchor', async () => {
    const onlyI1 = route({ trustAnchors: [r1File], crls: [await crlFile(i1)], crlRequired: true });
    expect(refused(trustOf([onlyI1]).judge(ders(good, i1))).reason).toContain(
      "no CRL available from issuer 'CN=Example Fleet Root R1' for certificate 'CN=Example Thermostat Issuing CA 1' (depth 1)",
    );
    const both = { ...onlyI1, crls: [...onlyI1.crls, await crlFile(r1)] };
    expect(accepted(trustOf([both]).judge(ders(good, i1))).device).toBe('TH-000421');
  });
});

describe('a CRL belongs to its issuer, not to a route', () => {
  test('a CRL listed by a later route still revokes chains judged by an earlier one, and nothing is handed on', async () => {
    const trust = trustOf([
      route({ name: 'first', trustAnchors: [r1File] }),
      route({
        name: 'second',
        trustAnchors: [r1File],
        crls: [await crlFile(i1, { revoked: [{ serial: '1a2b' }] })],
      }),
    ]);
    const verdict = refused(trust.judge(ders(revoked, i1)));
    expect([verdict.code, verdict.route]).toEqual(['CERTGATE_CERT_REVOKED', 'first']);
  });

  test("a serial on another issuer's CRL does not revoke", async () => {
    const other = await createRoot('CN=Other Root');
    const trust = trustOf([
      route({
        trustAnchors: [r1File],
        crls: [await crlFile(other, { revoked: [{ serial: '1a2b' }] })],
      }),
    ]);
    expect(accepted(trust.judge(ders(revoked, i1))).device).toBe('TH-000422');
  });

  test('a CRL that claims the issuer name but is signed by another key is a configuration problem', async () => {
    const imposter = await createRoot('CN=Example Thermostat Issuing CA 1');
    const built = buildTrust([
      route({ trustAnchors: [r1File], intermediates: [i1File], crls: [await crlFile(imposter)] }),
    ]);
    expect(built.trust).toBeNull();
    expect(built.problems[0]?.key).toBe('routes[0].crls[0]');
    expect(built.problems[0]?.message).toContain(
      "its signature does not verify with the key of any configured certificate named 'CN=Example Thermostat Issuing CA 1'",
    );
  });

  test('several CRLs in one PEM file all apply, and DER files load too', async () => {
    const i2 = await issue(r1, { subject: 'CN=Example Meter Issuing CA 1', ca: {} });
    const meter = await issue(i2, { subject: 'CN=MT-000915', serial: '3c4d' });
    const both =
      (await createCrl(i1, { revoked: [{ serial: '1a2b' }] })).pem +
      (await createCrl(i2, { revoked: [{ serial: '3c4d' }] })).pem;
    const trust = trustOf([
      route({ trustAnchors: [r1File], crls: [files.write('both.pem', both)] }),
    ]);
    expect(refused(trust.judge(ders(revoked, i1))).code).toBe('CERTGATE_CERT_REVOKED');
    expect(refused(trust.judge(ders(meter, i2))).code).toBe('CERTGATE_CERT_REVOKED');
    expect(accepted(trust.judge(ders(good, i1))).device).toBe('TH-000421');

    const derTrust = trustOf([
      route({
        trustAnchors: [r1File],
        crls: [await crlFile(i1, { revoked: [{ serial: '1a2b' }] }, true)],
      }),
    ]);
    expect(refused(derTrust.judge(ders(revoked, i1))).code).toBe('CERTGATE_CERT_REVOKED');
  });

  test('an issuer without cRLSign cannot vouch for revocation', async () => {
    const noCrlSign = await issue(r1, {
      subject: 'CN=No cRLSign CA',
      ca: {},
      keyUsage: KeyUsage.keyCertSign,
    });
    const leaf = await issue(noCrlSign, { subject: 'CN=TH-000430' });
    const built = buildTrust([
      route({
        trustAnchors: [r1File],
        intermediates: [files.pem('n.pem', noCrlSign)],
        crls: [await crlFile(noCrlSign)],
      }),
    ]);
    expect(built.problems[0]?.message).toContain(
      "the keyUsage of 'CN=No cRLSign CA' lacks cRLSign",
    );
    const fromDevice = trustOf([
      route({ trustAnchors: [r1File], crls: [await crlFile(noCrlSign)] }),
    ]);
    expect(refused(fromDevice.judge(ders(leaf, noCrlSign))).reason).toContain('lacks cRLSign');
  });
});

describe('freshness (C06)', () => {
  const now = new Date('2026-12-03T10:00:00Z');
  const stale = {
    thisUpdate: new Date(now.getTime() - 8 * DAY),
    nextUpdate: new Date(now.getTime() - DAY),
  };

  test('past nextUpdate the covered certificates are refused; other anchors are unaffected', async () => {
    const rb = await createRoot('CN=Example Meter Root R-B');
    const meter = await issue(rb, { subject: 'CN=MT-000914' });
    const built = buildTrust(
      [
        route({ trustAnchors: [r1File], crls: [await crlFile(i1, stale)] }),
        route({
          name: 'meter',
          trustAnchors: [files.pem('rb.pem', rb)],
          crls: [await crlFile(rb)],
        }),
      ],
      { now: () => now },
    );
    expect(
      built.warnings.some((w) => w.includes('is past its nextUpdate 2026-12-02T10:00:00Z')),
    ).toBe(true);

    const verdict = refused(built.trust!.judge(ders(good, i1), now));
    expect(verdict.code).toBe('CERTGATE_CHAIN_REFUSED');
    expect(verdict.reason).toMatch(
      /CRL #1 of 'CN=Example Thermostat Issuing CA 1' .* expired at 2026-12-02T10:00:00Z/,
    );
    expect(accepted(built.trust!.judge(ders(meter), now)).device).toBe('MT-000914');
  });

  test('within crlGraceSeconds the device is accepted with a warning', async () => {
    const trust = trustOf([
      route({
        trustAnchors: [r1File],
        crls: [await crlFile(i1, stale)],
        crlGraceSeconds: 48 * 3600,
      }),
    ]);
    const verdict = accepted(trust.judge(ders(good, i1), now));
    expect(verdict.warnings[0]).toMatch(
      /^stale CRL within grace: CRL #1 of 'CN=Example Thermostat Issuing CA 1'/,
    );
  });

  test('a revoked certificate stays revoked even when its CRL is stale', async () => {
    const trust = trustOf([
      route({
        trustAnchors: [r1File],
        crls: [await crlFile(i1, { ...stale, revoked: [{ serial: '1a2b' }] })],
      }),
    ]);
    expect(refused(trust.judge(ders(revoked, i1), now)).code).toBe('CERTGATE_CERT_REVOKED');
  });

  test('a CRL close to its nextUpdate is reported ahead of time', async () => {
    const soon = {
      thisUpdate: new Date(now.getTime() - DAY),
      nextUpdate: new Date(now.getTime() + 3600_000),
    };
    const built = buildTrust([route({ trustAnchors: [r1File], crls: [await crlFile(i1, soon)] })], {
      now: () => now,
    });
    expect(
      built.warnings.some((w) =>
        w.includes('reaches its nextUpdate at 2026-12-03T11:00:00Z, within a day'),
      ),
    ).toBe(true);
  });
});

describe('malformed CRLs', () => {
  test('a file without a CRL, a CRL without a number: each named by its key', async () => {
    const empty = files.write('empty.pem', 'nothing here');
    const built = buildTrust([route({ trustAnchors: [r1File], crls: [empty] })]);
    expect(built.problems).toEqual([
      { key: 'routes[0].crls[0]', message: `${empty}: no CRL found` },
    ]);
  });
});

describe('reloading (C07)', () => {
  test('new revocations apply after reload; a broken file keeps the last set; an older CRL is ignored', async () => {
    const file = files.write('live.pem', (await createCrl(i1, { crlNumber: 1 })).pem);
    const trust = trustOf([route({ trustAnchors: [r1File], crls: [file] })]);
    expect(accepted(trust.judge(ders(revoked, i1))).device).toBe('TH-000422');

    replace(file, (await createCrl(i1, { crlNumber: 2, revoked: [{ serial: '1a2b' }] })).pem);
    expect(trust.reloadCrls().problems).toEqual([]);
    expect(refused(trust.judge(ders(revoked, i1))).reason).toContain('CRL #2');

    replace(file, (await createCrl(i1, { crlNumber: 3 })).pem.slice(0, 120));
    const broken = trust.reloadCrls();
    expect(broken.problems[0]?.message).toContain(
      'keeping the previously loaded CRLs of this file',
    );
    expect(refused(trust.judge(ders(revoked, i1))).code).toBe('CERTGATE_CERT_REVOKED');
    expect(accepted(trust.judge(ders(good, i1))).device).toBe('TH-000421');

    replace(file, (await createCrl(i1, { crlNumber: 1 })).pem);
    const older = trust.reloadCrls();
    expect(older.warnings.some((w) => w.includes('it is older than the loaded CRL #2'))).toBe(true);
    expect(refused(trust.judge(ders(revoked, i1))).code).toBe('CERTGATE_CERT_REVOKED');
  });
});

function replace(file: string, content: string): void {
  writeFileSync(file + '.new', content);
  renameSync(file + '.new', file);
}
