// The certificate cases the verifier must get right, as data: routes for a configuration file, the chain a device sends,
// and the verdict expected. The TLS listener test and the `certgate verify` test run the same list.

import type { ErrorCode } from '../../src/errors.ts';
import type { DeviceFiles, Fleet } from '../../src/demo/fleet.ts';
import {
  createCrl,
  createRoot,
  issue,
  generateKeys,
  Eku,
  KeyUsage,
  type Identity,
} from '../../src/pki/throwaway-pki.ts';

const DAY = 86_400_000;

export type Expected =
  | { verdict: 'accepted'; device: string; route: string; profile: string }
  | { verdict: 'refused'; code: ErrorCode; reason: RegExp };

export interface Scenario {
  name: string;
  routes: Array<Record<string, unknown>>;
  device: DeviceFiles;
  expect: Expected;
  /**
   * The reason as the TLS listener reports it, when that differs: Node hands the gate only the
   * certificates OpenSSL links as issuers (X509_check_issued wants keyCertSign), so the gate
   * sees a lone leaf where `verify` sees the whole chain. The verdict is the same.
   */
  tlsReason?: RegExp;
}

function routeFor(
  name: string,
  anchors: string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    trustAnchors: anchors,
    deviceProfile: name === 'meter' ? 'meter' : 'thermostat',
    subjectPattern: '^(?<name>.+)$',
    ...extra,
  };
}

const ok = (device: string, route = 'thermostat', profile = 'thermostat'): Expected => ({
  verdict: 'accepted',
  device,
  route,
  profile,
});
const no = (reason: RegExp, code: ErrorCode = 'CERTGATE_CHAIN_REFUSED'): Expected => ({
  verdict: 'refused',
  code,
  reason,
});

/** Builds every scenario's certificates and files inside the fleet's folder. */
export async function buildScenarios(fleet: Fleet): Promise<Scenario[]> {
  const now = Date.now();
  const { root, issuing: i1, sibling: i2 } = fleet;
  const rootPem = fleet.write('s-root.pem', root.certPem);
  const i1Pem = fleet.write('s-i1.pem', i1.certPem);
  const pem = (name: string, id: Identity): string => fleet.write(name, id.certPem);
  const crl = async (
    name: string,
    issuer: Identity,
    options: Parameters<typeof createCrl>[1] = {},
  ): Promise<string> => fleet.write(name, (await createCrl(issuer, options)).pem);
  const thermostat = (
    anchors = [rootPem],
    extra: Record<string, unknown> = {},
  ): Array<Record<string, unknown>> => [routeFor('thermostat', anchors, extra)];
  const list: Scenario[] = [];
  const add = (
    name: string,
    routes: Array<Record<string, unknown>>,
    device: DeviceFiles,
    expect: Expected,
    tlsReason?: RegExp,
  ): void => {
    list.push({ name, routes, device, expect, ...(tlsReason ? { tlsReason } : {}) });
  };

  add('leaf with its intermediate', thermostat(), await fleet.device('TH-000500'), ok('TH-000500'));
  add(
    'leaf without intermediate, none configured',
    thermostat(),
    await fleet.device('TH-000501', { chain: [] }),
    no(
      /issuer 'O=Example Widgets,CN=Example Thermostat Issuing CA 1' of .* not found: the device did not send its intermediate/,
    ),
  );
  add(
    'leaf without intermediate, route helper',
    thermostat([rootPem], { intermediates: [i1Pem] }),
    await fleet.device('TH-000502', { chain: [] }),
    ok('TH-000502'),
  );
  add(
    'intermediate anchor, own leaf',
    thermostat([i1Pem]),
    await fleet.device('TH-000503', { chain: [] }),
    ok('TH-000503'),
  );
  add(
    'intermediate anchor, sibling leaf with root',
    thermostat([i1Pem]),
    await fleet.device('MT-000504', { issuer: i2, chain: [i2, root] }),
    no(
      /the chain ends at self-signed 'O=Example Widgets,CN=Example Fleet Root R1' \(depth 2\), which is not a trust anchor/,
    ),
  );

  add(
    'expired leaf',
    thermostat(),
    await fleet.device('TH-000505', {
      notBefore: new Date(now - 30 * DAY),
      notAfter: new Date(now - DAY),
    }),
    no(/'O=Example Widgets,CN=TH-000505' \(depth 0\) expired at/),
  );
  add(
    'not-yet-valid leaf',
    thermostat(),
    await fleet.device('TH-000506', { notBefore: new Date(now + 3600_000) }),
    no(/'O=Example Widgets,CN=TH-000506' \(depth 0\) is not valid until .* \(another \d+ s\)/),
  );
  const oldCa = await issue(root, {
    subject: 'CN=Expired Issuing CA',
    ca: {},
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - DAY),
  });
  add(
    'expired intermediate',
    thermostat(),
    await fleet.device('TH-000507', { issuer: oldCa, notBefore: new Date(now - 30 * DAY) }),
    no(/'CN=Expired Issuing CA' \(depth 1\) expired at/),
  );
  const futureCa = await issue(root, {
    subject: 'CN=Future Issuing CA',
    ca: {},
    notBefore: new Date(now + DAY),
  });
  add(
    'not-yet-valid intermediate',
    thermostat(),
    await fleet.device('TH-000508', { issuer: futureCa }),
    no(/'CN=Future Issuing CA' \(depth 1\) is not valid until/),
  );

  const notCa = await issue(root, {
    subject: 'CN=Not A CA',
    ca: false,
    keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign,
    eku: false,
  });
  add(
    'CA:FALSE issuer',
    thermostat(),
    await fleet.device('TH-000509', { issuer: notCa }),
    no(/'CN=Not A CA' \(depth 1\) /),
  );
  const subCa = await issue(i1, { subject: 'CN=Sub CA Below Pathlen 0', ca: {} });
  add(
    'pathlen exceeded',
    thermostat(),
    await fleet.device('TH-000510', { issuer: subCa, chain: [subCa, i1] }),
    no(/'CN=Sub CA Below Pathlen 0' \(depth 1\) exceeds the path length constraint/),
  );
  const noCertSign = await issue(root, {
    subject: 'CN=No keyCertSign CA',
    ca: {},
    keyUsage: KeyUsage.cRLSign,
  });
  add(
    'missing keyCertSign',
    thermostat(),
    await fleet.device('TH-000511', { issuer: noCertSign }),
    no(/its keyUsage lacks keyCertSign/),
    /issuer 'CN=No keyCertSign CA' of .* not found/,
  );
  add(
    'wrong EKU',
    thermostat(),
    await fleet.device('TH-000512', { eku: [Eku.serverAuth] }),
    no(/does not allow the extended key usage clientAuth/),
  );

  const forgerKeys = await generateKeys();
  const fakeRoot: Identity = { ...root, privateKey: forgerKeys.privateKey };
  add(
    'forged chain (anchor in the chain, leaf signed by the device itself)',
    thermostat(),
    await fleet.device('TH-000513', { issuer: fakeRoot, chain: [root] }),
    no(/is not signed by 'O=Example Widgets,CN=Example Fleet Root R1'/),
  );

  const revokedLeaf = await fleet.device('TH-000514');
  const i1Crl = await crl('s-i1-crl.pem', i1, {
    revoked: [{ serial: revokedLeaf.identity.serial }],
    crlNumber: 4,
  });
  add(
    'revoked leaf',
    thermostat([rootPem], { crls: [i1Crl] }),
    revokedLeaf,
    no(
      /'O=Example Widgets,CN=TH-000514' \(depth 0, serial 0x[0-9a-f]+\) is revoked since .* by CRL #4/,
      'CERTGATE_CERT_REVOKED',
    ),
  );
  const revokedCa = await issue(root, { subject: 'CN=Revoked Issuing CA', ca: {} });
  const rootCrl = await crl('s-root-crl.pem', root, { revoked: [{ serial: revokedCa.serial }] });
  add(
    'revoked intermediate',
    thermostat([rootPem], { crls: [rootCrl] }),
    await fleet.device('TH-000515', { issuer: revokedCa }),
    no(/'CN=Revoked Issuing CA' \(depth 1, serial/, 'CERTGATE_CERT_REVOKED'),
  );

  const otherCa = await createRoot('CN=Some Other CA');
  const sameSerial = await fleet.device('TH-000516');
  const otherCrl = await crl('s-other-crl.pem', otherCa, {
    revoked: [{ serial: sameSerial.identity.serial }],
  });
  add(
    'CRL from the wrong issuer does not revoke',
    thermostat([rootPem], { crls: [otherCrl] }),
    sameSerial,
    ok('TH-000516'),
  );

  const stale = { thisUpdate: new Date(now - 8 * DAY), nextUpdate: new Date(now - DAY) };
  add(
    'stale CRL without grace',
    thermostat([rootPem], { crls: [await crl('s-stale.pem', i1, stale)] }),
    await fleet.device('TH-000517'),
    no(/CRL #1 of 'O=Example Widgets,CN=Example Thermostat Issuing CA 1' .* expired at/),
  );
  add(
    'stale CRL within grace',
    thermostat([rootPem], {
      crls: [await crl('s-stale2.pem', i1, stale)],
      crlGraceSeconds: 172_800,
    }),
    await fleet.device('TH-000518'),
    ok('TH-000518'),
  );

  const meterRoot = await createRoot('CN=Example Meter Root R-B');
  const meterRootPem = pem('s-rb.pem', meterRoot);
  const revokedTh = await fleet.device('TH-000519');
  const twoRoutes = [
    routeFor('thermostat', [rootPem], {
      crls: [await crl('s-two.pem', i1, { revoked: [{ serial: revokedTh.identity.serial }] })],
    }),
    routeFor('meter', [meterRootPem]),
  ];
  add(
    'two routes, only one has CRLs: the other fleet is unaffected',
    twoRoutes,
    await fleet.device('MT-000520', { issuer: meterRoot }),
    ok('MT-000520', 'meter', 'meter'),
  );
  add(
    'two routes, only one has CRLs: revoked on the first',
    twoRoutes,
    revokedTh,
    no(/is revoked/, 'CERTGATE_CERT_REVOKED'),
  );

  const meterLeaf = await fleet.device('MT-000521', { issuer: i2 });
  const both =
    (await createCrl(i1, {})).pem +
    (await createCrl(i2, { revoked: [{ serial: meterLeaf.identity.serial }] })).pem;
  add(
    'several CRLs in one file',
    thermostat([rootPem], { crls: [fleet.write('s-both.pem', both)] }),
    meterLeaf,
    no(/'O=Example Widgets,CN=MT-000521' \(depth 0, serial/, 'CERTGATE_CERT_REVOKED'),
  );

  add(
    'several CNs',
    thermostat(),
    await fleet.device('TH-000522', { subject: [{ CN: ['TH-000522', 'TH-000523'] }] }),
    no(/has 2 CN attributes in its subject/, 'CERTGATE_SUBJECT_REFUSED'),
  );
  add(
    'non-ASCII CN, UTF8String',
    thermostat(),
    await fleet.device('utf8', {
      subject: [{ CN: [{ utf8String: 'Thermostat Küche №5' }] }],
      file: 'utf8',
    }),
    ok('Thermostat Küche №5'),
  );
  add(
    'non-ASCII CN, BMPString',
    thermostat(),
    await fleet.device('bmp', { subject: [{ CN: [{ bmpString: 'Zähler Süd' }] }], file: 'bmp' }),
    ok('Zähler Süd'),
  );
  return list;
}
