// A CRL file that names an issuer but is signed by another key must not count as "no CRL":
// the chain through that issuer is refused, as OpenSSL refuses it with a CRL signature failure.

import { afterAll, expect, test } from 'vitest';
import { createCrl, createRoot, issue } from '../../src/pki/throwaway-pki.ts';
import { TempFiles, ders, refused, accepted, route, trustOf } from './fixture.ts';

const files = new TempFiles();
afterAll(() => files.remove());

test('a forged CRL for an intermediate the device sends refuses the chain; the genuine one admits it', async () => {
  const root = await createRoot('CN=Example Fleet Root R1');
  const i1 = await issue(root, { subject: 'CN=Example Thermostat Issuing CA 1', ca: { pathLength: 0 } });
  const leaf = await issue(i1, { subject: 'CN=TH-000431' });
  const forger = await issue(await createRoot('CN=Forger Root'), { subject: 'CN=Example Thermostat Issuing CA 1', ca: {} });

  const forged = trustOf([route({ trustAnchors: [files.pem('root.pem', root)], crls: [files.write('forged.crl', (await createCrl(forger)).pem)] })]);
  const verdict = refused(forged.judge(ders(leaf, i1)));
  expect(verdict.reason).toMatch(/signature does not verify/);

  const genuine = trustOf([route({ trustAnchors: [files.pem('root2.pem', root)], crls: [files.write('genuine.crl', (await createCrl(i1)).pem)] })]);
  expect(accepted(genuine.judge(ders(leaf, i1))).device).toBe('TH-000431');
});

test("a CRL file replaced by another issuer's CRL keeps the revocations it held, with a warning", async () => {
  const root = await createRoot('CN=Example Fleet Root R1');
  const i1 = await issue(root, { subject: 'CN=Example Thermostat Issuing CA 1', ca: { pathLength: 0 } });
  const revokedLeaf = await issue(i1, { subject: 'CN=TH-000432' });
  const crlFile = files.write('live.crl', (await createCrl(i1, { crlNumber: 3, revoked: [{ serial: revokedLeaf.serial }] })).pem);
  const trust = trustOf([route({ trustAnchors: [files.pem('i1.pem', i1)], crls: [crlFile] })]);
  expect(refused(trust.judge(ders(revokedLeaf, i1))).code).toBe('CERTGATE_CERT_REVOKED');

  const { writeFileSync } = await import('node:fs');
  writeFileSync(crlFile, (await createCrl(root, { crlNumber: 9 })).pem);
  const reloaded = trust.reloadCrls();
  expect(reloaded.warnings.some((w) => /no longer holds a CRL of .*Thermostat Issuing CA 1/.test(w))).toBe(true);
  expect(refused(trust.judge(ders(revokedLeaf, i1))).code).toBe('CERTGATE_CERT_REVOKED');
});
