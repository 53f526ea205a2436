// Device identity from the parsed subject: which value each subjectField reads, what the
// pattern extracts, and the values refused (several CNs, broken text, control characters).

import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRoot, issue, type Identity } from '../../src/pki/throwaway-pki.ts';
import type { RouteConfig } from '../../src/config/types.ts';
import { TempFiles, route, trustOf, ders, accepted, refused } from './fixture.ts';

const files = new TempFiles();
let root: Identity;
let anchor: string;

beforeAll(async () => {
  root = await createRoot('CN=Identity Test Root');
  anchor = files.pem('root.pem', root);
});
afterAll(() => files.remove());

async function judgeWith(
  subject: Parameters<typeof issue>[1]['subject'],
  settings: Partial<RouteConfig> = {},
  extra: Partial<Parameters<typeof issue>[1]> = {},
) {
  const leaf = await issue(root, { subject, ...extra });
  return trustOf([route({ trustAnchors: [anchor], ...settings })]).judge(ders(leaf));
}

describe('CN', () => {
  test('UTF8String and BMPString CNs keep their exact characters', async () => {
    expect(accepted(await judgeWith([{ CN: [{ utf8String: 'Thermostat Küche ✓' }] }])).device).toBe(
      'Thermostat Küche ✓',
    );
    expect(accepted(await judgeWith([{ CN: [{ bmpString: 'Zähler Süd' }] }])).device).toBe(
      'Zähler Süd',
    );
  });

  test('spaces and case are kept (C10)', async () => {
    expect(accepted(await judgeWith([{ CN: [{ utf8String: 'TH-000434 ' }] }])).device).toBe(
      'TH-000434 ',
    );
    expect(accepted(await judgeWith('CN=ACME|TH[433]+rev2 #5'.replace('+', '\\+'))).device).toBe(
      'ACME|TH[433]+rev2 #5',
    );
  });

  test('several CNs are refused', async () => {
    const verdict = refused(await judgeWith([{ CN: ['TH-1', 'TH-2'] }]));
    expect(verdict.code).toBe('CERTGATE_SUBJECT_REFUSED');
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-1+CN=TH-2' (depth 0): the certificate has 2 CN attributes in its subject; exactly one is required",
    );
  });

  test('no CN is refused', async () => {
    expect(refused(await judgeWith('O=Example Widgets')).reason).toContain(
      'the certificate has no CN in its subject',
    );
  });

  test('a CN that is not valid UTF-8 is refused', async () => {
    const verdict = refused(
      await judgeWith(
        [{ CN: [{ utf8String: 'TH-ABC' }] }],
        {},
        {
          patchTbs: {
            find: Buffer.from('TH-ABC'),
            replace: Buffer.from([0x54, 0x48, 0x2d, 0xff, 0xfe, 0x43]),
          },
        },
      ),
    );
    expect(verdict.code).toBe('CERTGATE_SUBJECT_REFUSED');
    expect(verdict.reason).toContain('the CN is not valid UTF-8');
  });

  test('a CN with control characters is refused, and the reason escapes them', async () => {
    const verdict = refused(await judgeWith([{ CN: [{ utf8String: 'TH-1\nfake log line' }] }]));
    expect(verdict.reason).toBe(
      "certificate 'CN=TH-1\\0afake log line' (depth 0): the CN contains control characters",
    );
  });
});

describe('other subject fields', () => {
  test('san:dns, san:uri and san:email read the one name of that type', async () => {
    const san = [
      { type: 'dns', value: 'th-000480.devices.example.test' },
      { type: 'url', value: 'urn:dev:th-000480' },
      { type: 'email', value: 'th-000480@example.test' },
    ] as const;
    const extra = { san: san.map((n) => ({ ...n })) };
    expect(accepted(await judgeWith('CN=x', { subjectField: 'san:dns' }, extra)).device).toBe(
      'th-000480.devices.example.test',
    );
    expect(accepted(await judgeWith('CN=x', { subjectField: 'san:uri' }, extra)).device).toBe(
      'urn:dev:th-000480',
    );
    expect(accepted(await judgeWith('CN=x', { subjectField: 'san:email' }, extra)).device).toBe(
      'th-000480@example.test',
    );
  });

  test('two DNS names are ambiguous and refused', async () => {
    const extra = {
      san: [
        { type: 'dns' as const, value: 'a.example.test' },
        { type: 'dns' as const, value: 'b.example.test' },
      ],
    };
    expect(refused(await judgeWith('CN=x', { subjectField: 'san:dns' }, extra)).reason).toContain(
      '2 san:dns subjectAltNames',
    );
  });

  test('serialNumber reads the subject attribute, subject the RFC 4514 string', async () => {
    expect(
      accepted(
        await judgeWith([{ CN: ['Meter'] }, { '2.5.4.5': [{ printableString: 'SN-0042' }] }], {
          subjectField: 'serialNumber',
        }),
      ).device,
    ).toBe('SN-0042');
    const whole = accepted(
      await judgeWith('CN=TH-000481, O=Example Widgets, C=DE', { subjectField: 'subject' }),
    );
    expect(whole.device).toBe('C=DE,O=Example Widgets,CN=TH-000481');
  });
});

describe('subjectPattern', () => {
  test('named group, first group, or the whole match; unanchored unless it says so (C10)', async () => {
    const cn = 'acme-th-000432.devices.example.test';
    expect(
      accepted(
        await judgeWith(`CN=${cn}`, {
          subjectPattern: '^acme-(?<name>th-\\d{6})\\.devices\\.example\\.test$',
        }),
      ).device,
    ).toBe('th-000432');
    expect(accepted(await judgeWith(`CN=${cn}`, { subjectPattern: '(th-\\d+)' })).device).toBe(
      'th-000432',
    );
    expect(accepted(await judgeWith(`CN=${cn}`, { subjectPattern: 'th-\\d+' })).device).toBe(
      'th-000432',
    );
  });

  test('a CN that does not match is refused with the value and the route', async () => {
    const verdict = refused(
      await judgeWith('CN=xacme-th-000432.devices.example.test', {
        subjectPattern: '^acme-(th-\\d{6})\\.devices\\.example\\.test$',
      }),
    );
    expect(verdict.code).toBe('CERTGATE_NO_ROUTE');
    expect(verdict.reason).toBe(
      `CN "xacme-th-000432.devices.example.test" of certificate 'CN=xacme-th-000432.devices.example.test' does not match the subjectPattern of route 'thermostat'`,
    );
  });
});

describe('route order', () => {
  test('routes sharing an anchor are told apart by their pattern; the first match wins', async () => {
    const leaf = await issue(root, { subject: 'CN=MT-000913' });
    const trust = trustOf([
      route({ name: 'thermostat', trustAnchors: [anchor], subjectPattern: '^(TH-\\d+)$' }),
      route({ name: 'meter', trustAnchors: [anchor], subjectPattern: '^(MT-\\d+)$' }),
      route({ name: 'catch-all', trustAnchors: [anchor], subjectPattern: '^(.+)$' }),
    ]);
    const verdict = accepted(trust.judge(ders(leaf)));
    expect([verdict.route, verdict.routeIndex, verdict.device]).toEqual(['meter', 1, 'MT-000913']);
  });

  test('a route whose anchor does not validate the chain is passed over', async () => {
    const other = await createRoot('CN=Other Root');
    const trust = trustOf([
      route({ name: 'other', trustAnchors: [files.pem('other.pem', other)] }),
      route({ name: 'fleet', trustAnchors: [anchor] }),
    ]);
    expect(accepted(trust.judge(ders(await issue(root, { subject: 'CN=TH-000482' })))).route).toBe(
      'fleet',
    );
  });
});
