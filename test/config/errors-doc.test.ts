// Documentation kept honest: every error code is documented, and the example configuration parses.

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

test('config.example.json follows the schema', async () => {
  const { configSchema } = await import('../../src/config/schema.ts');
  const example: unknown = JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8'));
  const result = configSchema.safeParse(example);
  expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
});
