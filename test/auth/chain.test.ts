// Path building and validation through buildTrust/judge with a generated PKI: anchors (root or
// intermediate), helper intermediates, validity of every certificate, CA rules, EKU, forgeries.

import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as x509 from '@peculiar/x509';
import {
  createRoot,
  issue,
  generateKeys,
  Eku,
  KeyUsage,
  type Identity,
} from '../../src/pki/throwaway-pki.ts';
import { TempFiles, route, trustOf, ders, accepted, refused, DAY } from './fixture.ts';

const files = new TempFiles();
let r1: Identity, i1: Identity, i2: Identity, th: Identity, mt: Identity;
let r1File: string, i1File: string, i2File: string;

beforeAll(async () => {
  r1 = await createRoot('CN=Example Fleet Root R1');
  i1 = await issue(r1, { subject: 'CN=Example Thermostat Issuing CA 1', ca: { pathLength: 0 } });
  i2 = await issue(r1, { subject: 'CN=Example Meter Issuing CA 1', ca: { pathLength: 0 } });
  th = await issue(i1, { subject: 'CN=TH-000417, O=Example Widgets' });
  mt = await issue(i2, { subject: 'CN=MT-000912, O=Example Widgets' });
  r1File = files.pem('r1.pem', r1);
  i1File = files.pem('i1.pem', i1);
  i2File = files.pem('i2.pem', i2);
});
afterAll(() => files.remove());

describe('root anchor (C02)', () => {
  test('a leaf with its intermediate is accepted, path leaf to anchor', () => {
    const verdict = accepted(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(th, i1)));
    expect(verdict.device).toBe('TH-000417');
    expect(verdict.route).toBe('thermostat');
    expect(verdict.path.map((c) => c.subject)).toEqual([
      'O=Example Widgets,CN=TH-000417',
      'CN=Example Thermostat Issuing CA 1',
      'CN=Example Fleet Root R1',
    ]);
  });

  test('a leaf alone is refused and the reason names the missing intermediate', () => {
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(th)));
    expect(verdict.code).toBe('CERTGATE_CHAIN_REFUSED');
    expect(verdict.reason).toBe(
      "issuer 'CN=Example Thermostat Issuing CA 1' of 'O=Example Widgets,CN=TH-000417' (depth 0) not found: the device did not send its intermediate, or no route trusts that issuer",
    );
  });

  test('a leaf alone is accepted when the route lists the intermediate as a helper', () => {
    const trust = trustOf([route({ trustAnchors: [r1File], intermediates: [i1File] })]);
    expect(accepted(trust.judge(ders(th))).path).toHaveLength(3);
  });

  test('unrelated extra certificates from the device do not matter', async () => {
    const stranger = await createRoot('CN=Stranger');
    expect(
      accepted(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(th, stranger, i2, i1)))
        .device,
    ).toBe('TH-000417');
  });

  test('no certificate at all is its own refusal', () => {
    expect(refused(trustOf([route({ trustAnchors: [r1File] })]).judge([])).code).toBe(
      'CERTGATE_NO_CLIENT_CERT',
    );
  });
});

describe('intermediate anchor (C01)', () => {
  test('the leaf is accepted with or without its intermediate', () => {
    const trust = trustOf([route({ trustAnchors: [i1File] })]);
    expect(accepted(trust.judge(ders(th, i1))).path.at(-1)?.subject).toBe(
      'CN=Example Thermostat Issuing CA 1',
    );
    expect(accepted(trust.judge(ders(th))).device).toBe('TH-000417');
  });

  test('a sibling intermediate is not trusted, even when the device sends the root', () => {
    const trust = trustOf([route({ trustAnchors: [i1File] })]);
    expect(refused(trust.judge(ders(mt, i2))).reason).toContain(
      "issuer 'CN=Example Fleet Root R1' of 'CN=Example Meter Issuing CA 1' (depth 1) not found",
    );
    expect(refused(trust.judge(ders(mt, i2, r1))).reason).toBe(
      "the chain ends at self-signed 'CN=Example Fleet Root R1' (depth 2), which is not a trust anchor",
    );
  });

  test('a helper intermediate never becomes an anchor', () => {
    const trust = trustOf([route({ trustAnchors: [i1File], intermediates: [i2File] })]);
    expect(refused(trust.judge(ders(mt))).code).toBe('CERTGATE_CHAIN_REFUSED');
  });

  test('the anchor certificate itself is not accepted as a device certificate', () => {
    expect(refused(trustOf([route({ trustAnchors: [i1File] })]).judge(ders(i1))).reason).toContain(
      'presented trust anchor',
    );
  });
});

describe('forged chains', () => {
  test('a leaf that names the anchor as issuer but is signed by its own key is refused', async () => {
    const keys = await generateKeys();
    const fakeAnchor: Identity = { ...r1, privateKey: keys.privateKey, publicKey: keys.publicKey };
    const forged = await issue(fakeAnchor, { subject: 'CN=TH-000999' });
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(forged, r1)));
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-000999' (depth 0) names issuer 'CN=Example Fleet Root R1', but no certificate of that name has the key that signed it (authorityKeyIdentifier mismatch)",
    );
  });

  test('the same forgery with an authorityKeyIdentifier copied from the anchor fails on the signature', async () => {
    const keys = await generateKeys();
    const fakeAnchor: Identity = { ...r1, privateKey: keys.privateKey };
    const forged = await issue(fakeAnchor, { subject: 'CN=TH-000997', keys });
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(forged, r1)));
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-000997' (depth 0) is not signed by 'CN=Example Fleet Root R1': its signature does not verify with the issuer's key",
    );
  });

  test('a self-signed certificate with the anchor name is refused', async () => {
    const imposter = await createRoot('CN=Example Fleet Root R1');
    const leaf = await issue(imposter, { subject: 'CN=TH-000998' });
    expect(
      refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, imposter))).code,
    ).toBe('CERTGATE_CHAIN_REFUSED');
  });
});

describe('validity of every certificate (C18)', () => {
  const now = new Date('2026-12-03T10:00:00Z');

  test('an expired leaf names its notAfter', async () => {
    const leaf = await issue(i1, {
      subject: 'CN=TH-000450',
      notBefore: new Date(now.getTime() - 30 * DAY),
      notAfter: new Date('2026-12-02T10:00:00Z'),
    });
    const verdict = refused(
      trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, i1), now),
    );
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-000450' (depth 0) expired at 2026-12-02T10:00:00Z",
    );
  });

  test('a leaf valid 90 s from now says how long to wait', async () => {
    const leaf = await issue(i1, {
      subject: 'CN=TH-000451',
      notBefore: new Date(now.getTime() + 90_000),
    });
    const verdict = refused(
      trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, i1), now),
    );
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-000451' (depth 0) is not valid until 2026-12-03T10:01:30Z (another 90 s)",
    );
  });

  test('notAfter itself is still valid (RFC 5280 section 4.1.2.5), one second later is not', async () => {
    const end = new Date('2026-12-03T10:00:00Z');
    const leaf = await issue(i1, {
      subject: 'CN=TH-000452',
      notBefore: new Date(end.getTime() - DAY),
      notAfter: end,
    });
    const trust = trustOf([route({ trustAnchors: [r1File] })]);
    expect(accepted(trust.judge(ders(leaf, i1), new Date(end.getTime() + 999))).device).toBe(
      'TH-000452',
    );
    expect(refused(trust.judge(ders(leaf, i1), new Date(end.getTime() + 1000))).reason).toContain(
      'expired',
    );
  });

  test('an expired or not-yet-valid intermediate refuses the chain', async () => {
    const old = await issue(r1, {
      subject: 'CN=Old CA',
      ca: {},
      notBefore: new Date(now.getTime() - 400 * DAY),
      notAfter: new Date(now.getTime() - DAY),
    });
    const future = await issue(r1, {
      subject: 'CN=Future CA',
      ca: {},
      notBefore: new Date(now.getTime() + DAY),
    });
    const trust = trustOf([route({ trustAnchors: [r1File] })]);
    const viaOld = await issue(old, {
      subject: 'CN=TH-000453',
      notBefore: new Date(now.getTime() - 2 * DAY),
    });
    const viaFuture = await issue(future, {
      subject: 'CN=TH-000454',
      notBefore: new Date(now.getTime() - 2 * DAY),
    });
    expect(refused(trust.judge(ders(viaOld, old), now)).reason).toMatch(
      /^certificate 'CN=Old CA' \(depth 1\) expired at/,
    );
    expect(refused(trust.judge(ders(viaFuture, future), now)).reason).toMatch(
      /^certificate 'CN=Future CA' \(depth 1\) is not valid until/,
    );
  });
});

describe('CA rules', () => {
  test('an issuer with CA:FALSE is refused', async () => {
    const notCa = await issue(r1, {
      subject: 'CN=Not A CA',
      ca: false,
      keyUsage: KeyUsage.digitalSignature,
      eku: false,
    });
    const leaf = await issue(notCa, { subject: 'CN=TH-000460' });
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, notCa)));
    expect(verdict.reason).toBe(
      "certificate 'CN=Not A CA' (depth 1) is used as a CA but its basicConstraints say CA:FALSE",
    );
  });

  test('a path longer than a pathLenConstraint allows is refused', async () => {
    const below = await issue(i1, { subject: 'CN=Sub CA under I1', ca: {} });
    const leaf = await issue(below, { subject: 'CN=TH-000461' });
    const verdict = refused(
      trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, below, i1)),
    );
    expect(verdict.reason).toBe(
      "certificate 'CN=Sub CA under I1' (depth 1) exceeds the path length constraint of 'CN=Example Thermostat Issuing CA 1'",
    );
  });

  test('an issuer whose keyUsage lacks keyCertSign is refused', async () => {
    const noSign = await issue(r1, {
      subject: 'CN=No keyCertSign CA',
      ca: {},
      keyUsage: KeyUsage.cRLSign,
    });
    const leaf = await issue(noSign, { subject: 'CN=TH-000462' });
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, noSign)));
    expect(verdict.reason).toBe(
      "certificate 'CN=No keyCertSign CA' (depth 1) is used as a CA but its keyUsage lacks keyCertSign",
    );
  });

  test('maxDepth counts intermediates between leaf and anchor', () => {
    const trust = trustOf([route({ trustAnchors: [r1File], maxDepth: 0 })]);
    expect(refused(trust.judge(ders(th, i1))).reason).toBe(
      'the path has 1 intermediate between leaf and anchor, more than maxDepth 0',
    );
    expect(
      accepted(trustOf([route({ trustAnchors: [r1File], maxDepth: 1 })]).judge(ders(th, i1)))
        .device,
    ).toBe('TH-000417');
  });

  test('a leaf signed with SHA-1 is refused by the security level', async () => {
    const weak = await issue(i1, { subject: 'CN=TH-000452', hash: 'SHA-1' });
    expect(refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(weak, i1))).reason).toBe(
      "certificate 'CN=TH-000452' (depth 0) cannot be used: it is signed with SHA1, which is too weak (security level 2)",
    );
  });

  test('an RSA-1024 leaf passes at security level 1 and is refused at level 2', async () => {
    const small = await issue(i1, { subject: 'CN=TH-000453', keyType: 'rsa', rsaBits: 1024 });
    const routes = [route({ trustAnchors: [r1File] })];
    expect(accepted(trustOf(routes, { securityLevel: 1 }).judge(ders(small, i1))).device).toBe(
      'TH-000453',
    );
    expect(refused(trustOf(routes).judge(ders(small, i1))).reason).toContain(
      'its RSA key has 1024 bits, below the 2048 that security level 2 requires',
    );
  });
});

describe('extended key usage', () => {
  test('clientAuth is required by default', async () => {
    const server = await issue(i1, { subject: 'CN=TH-000470', eku: [Eku.serverAuth] });
    const verdict = refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(server, i1)));
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-000470' (depth 0) does not allow the extended key usage clientAuth",
    );
  });

  test('names and OIDs both work; an empty list requires nothing; no EKU extension allows all', async () => {
    const server = await issue(i1, { subject: 'CN=TH-000471', eku: [Eku.serverAuth] });
    const none = await issue(i1, { subject: 'CN=TH-000472', eku: false });
    expect(
      accepted(
        trustOf([route({ trustAnchors: [r1File], requiredEku: [Eku.serverAuth] })]).judge(
          ders(server, i1),
        ),
      ).device,
    ).toBe('TH-000471');
    expect(
      accepted(
        trustOf([route({ trustAnchors: [r1File], requiredEku: [] })]).judge(ders(server, i1)),
      ).device,
    ).toBe('TH-000471');
    expect(
      accepted(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(none, i1))).device,
    ).toBe('TH-000472');
  });

  test('an intermediate that restricts purposes must allow the required one', async () => {
    const serverCa = await issue(r1, {
      subject: 'CN=Server Only CA',
      ca: {},
      eku: [Eku.serverAuth],
    });
    const leaf = await issue(serverCa, { subject: 'CN=TH-000473' });
    expect(
      refused(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, serverCa))).reason,
    ).toContain("'CN=Server Only CA' (depth 1) does not allow the extended key usage clientAuth");
  });
});

describe('certificate policies', () => {
  const requireExplicit = new x509.Extension('2.5.29.36', true, Buffer.from('3003800100', 'hex'));
  const policy = (...oids: string[]) => new x509.CertificatePolicyExtension(oids, false);

  test('a CA that requires an explicit policy refuses a leaf without one, and accepts one with its policy', async () => {
    const strictCa = await issue(r1, {
      subject: 'CN=Policy CA',
      ca: {},
      extensions: [requireExplicit, policy('1.3.6.1.4.1.55555.1')],
    });
    const without = await issue(strictCa, { subject: 'CN=TH-000480' });
    const withPolicy = await issue(strictCa, {
      subject: 'CN=TH-000481',
      extensions: [policy('1.3.6.1.4.1.55555.1')],
    });
    const otherPolicy = await issue(strictCa, {
      subject: 'CN=TH-000482',
      extensions: [policy('1.3.6.1.4.1.55555.2')],
    });
    const trust = trustOf([route({ trustAnchors: [r1File] })]);

    expect(refused(trust.judge(ders(without, strictCa))).reason).toBe(
      "certificate 'CN=TH-000480' (depth 0) leaves no acceptable certificate policy, and a CA in the path requires an explicit policy",
    );
    expect(accepted(trust.judge(ders(withPolicy, strictCa))).device).toBe('TH-000481');
    expect(refused(trust.judge(ders(otherPolicy, strictCa))).code).toBe('CERTGATE_CHAIN_REFUSED');
  });

  test('without requireExplicitPolicy, policies do not matter', async () => {
    const relaxedCa = await issue(r1, {
      subject: 'CN=Relaxed Policy CA',
      ca: {},
      extensions: [policy('1.3.6.1.4.1.55555.1')],
    });
    const leaf = await issue(relaxedCa, {
      subject: 'CN=TH-000483',
      extensions: [policy('1.3.6.1.4.1.55555.9')],
    });
    expect(
      accepted(trustOf([route({ trustAnchors: [r1File] })]).judge(ders(leaf, relaxedCa))).device,
    ).toBe('TH-000483');
  });
});
