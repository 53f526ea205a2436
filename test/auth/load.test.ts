// buildTrust's loading side: problems named by configuration key (the gate will not start),
// warnings for anchors that cannot work or expire soon, and the summary `certgate check` prints.

import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as x509 from '@peculiar/x509';
import { buildTrust } from '../../src/auth/index.ts';
import { createCrl, createRoot, issue, type Identity } from '../../src/pki/throwaway-pki.ts';
import { TempFiles, route, DAY } from './fixture.ts';

const files = new TempFiles();
let root: Identity;
let rootFile: string;

beforeAll(async () => {
  root = await createRoot('CN=Load Test Root');
  rootFile = files.pem('root.pem', root);
});
afterAll(() => files.remove());

describe('problems', () => {
  test('each mistake is named by its key, and any problem means no trust', () => {
    const empty = files.write('empty.pem', 'not a certificate');
    const built = buildTrust(
      [
        route({ trustAnchors: [rootFile, empty] }),
        route({ trustAnchors: [files.dir + '/missing.pem'], subjectPattern: '(' }),
        route({
          trustAnchors: [rootFile],
          requiredEku: ['clientAuth', 'client-auth'],
          maxDepth: -1,
        }),
      ],
      { keyPrefix: 'routes' },
    );
    expect(built.trust).toBeNull();
    expect(built.problems.map((p) => p.key)).toEqual([
      'routes[0].trustAnchors[1]',
      'routes[1].trustAnchors[0]',
      'routes[1].subjectPattern',
      'routes[2].requiredEku[1]',
      'routes[2].maxDepth',
    ]);
    expect(built.problems[0]!.message).toBe(`${empty}: no certificate found`);
    expect(built.problems[1]!.message).toBe(`${files.dir}/missing.pem: cannot be read (ENOENT)`);
    expect(built.problems[2]!.message).toMatch(/^invalid regular expression: /);
  });

  test('no routes at all is a problem', () => {
    expect(buildTrust([]).problems).toEqual([
      { key: 'routes', message: 'at least one route is required' },
    ]);
  });
});

describe('warnings', () => {
  test('an anchor that cannot validate any chain is reported with the reason', async () => {
    const noCa = await createRoot('CN=Not Really A CA', { ca: false, keyUsage: false, eku: false });
    const odd = new x509.Extension('1.3.6.1.4.1.55555.99', true, Buffer.from('0500', 'hex'));
    const critical = await createRoot('CN=Odd Critical Root', { extensions: [odd] });
    const built = buildTrust([
      route({ trustAnchors: [files.pem('bad.pem', noCa, critical), rootFile] }),
    ]);
    expect(built.trust).not.toBeNull();
    expect(built.warnings).toContain(
      "routes[0].trustAnchors: anchor 'CN=Not Really A CA' cannot validate any chain: it is used as a CA but its basicConstraints say CA:FALSE",
    );
    expect(built.warnings).toContain(
      "routes[0].trustAnchors: anchor 'CN=Odd Critical Root' cannot validate any chain: it cannot be used: it has an unknown critical extension 1.3.6.1.4.1.55555.99",
    );
  });

  test('anchors and helper intermediates expiring within 30 days are announced', async () => {
    const now = new Date('2026-12-03T00:00:00Z');
    const soon = await issue(root, {
      subject: 'CN=Short-lived CA',
      ca: {},
      notBefore: new Date(now.getTime() - DAY),
      notAfter: new Date(now.getTime() + 20 * DAY),
    });
    const built = buildTrust(
      [route({ trustAnchors: [rootFile], intermediates: [files.pem('soon.pem', soon)] })],
      { now: () => now },
    );
    expect(built.warnings).toContain(
      "routes[0].intermediates: intermediate 'CN=Short-lived CA' expires at 2026-12-23T00:00:00Z, within 30 days",
    );
  });
});

describe('summary', () => {
  test('per route: anchors with fingerprint and expiry, CRLs with issuer, number and nextUpdate, the pattern', async () => {
    const crl = files.write(
      'root.crl',
      (await createCrl(root, { crlNumber: 9, revoked: [{ serial: '0a' }] })).der,
    );
    const built = buildTrust([
      route({
        name: 'fleet',
        trustAnchors: [rootFile],
        crls: [crl],
        subjectPattern: '^(TH-\\d+)$',
      }),
    ]);
    const summary = built.trust!.summary();
    const only = summary.routes[0]!;
    expect(only.name).toBe('fleet');
    expect(only.anchors).toEqual([
      {
        subject: 'CN=Load Test Root',
        fingerprint: createHash('sha256').update(root.der).digest('hex'),
        notAfter: root.cert.notAfter.toISOString().replace('.000Z', 'Z'),
        expired: false,
      },
    ]);
    expect(only.crls).toMatchObject([
      { file: crl, issuer: 'CN=Load Test Root', number: '9', revoked: 1, stale: false },
    ]);
    expect([only.subjectField, only.subjectPattern, only.requiredEku]).toEqual([
      'CN',
      '^(TH-\\d+)$',
      ['clientAuth'],
    ]);
  });
});
