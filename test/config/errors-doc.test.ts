// Every error code in the catalogue is documented, with the refusal the device actually sees.

import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ErrorCodes } from '../../src/errors.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

test.each(Object.keys(ErrorCodes))('%s is in docs/errors.md', (code) => {
  expect(doc).toContain(`| \`${code}\` |`);
});

test('docs/errors.md lists no code the catalogue lacks', () => {
  const documented = [...doc.matchAll(/\| `(CERTGATE_[A-Z_]+)` \|/g)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(ErrorCodes).sort());
});
