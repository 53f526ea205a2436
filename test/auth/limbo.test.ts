// Every x509-limbo case of test/fixtures/limbo through buildTrust/judge. Prints the score, holds
// it at or above the floor, and pins the known disagreements (docs/limbo.md explains each).

import { afterAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCorpus, runLimboCase, type LimboOutcome } from './limbo-runner.ts';

/** OpenSSL 3.0 with -x509_strict agrees on 130 of 152; certgate must do better. */
const FLOOR = 151;

/** Cases where certgate's verdict differs from limbo's, on purpose; see docs/limbo.md. */
const KNOWN_DISAGREEMENTS = ['rfc5280::aki::cross-signed-root-missing-aki'];

const dir = mkdtempSync(join(tmpdir(), 'certgate-limbo-'));
const cases = loadCorpus();
const outcomes: LimboOutcome[] = [];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('x509-limbo client corpus', () => {
  test.each(cases.map((c) => [c.id, c] as const))('%s', (_id, testCase) => {
    const outcome = runLimboCase(testCase, dir);
    outcomes.push(outcome);
    if (KNOWN_DISAGREEMENTS.includes(testCase.id)) {
      expect(outcome.actual).not.toBe(outcome.expected);
    } else expect(outcome, outcome.reason).toMatchObject({ actual: testCase.expected_result });
  });

  test('score', () => {
    const agreed = outcomes.filter((o) => o.actual === o.expected).length;
    console.log(
      `x509-limbo: certgate agrees on ${agreed}/${cases.length} cases (OpenSSL 3.0 -x509_strict: 130/152)`,
    );
    for (const o of outcomes.filter((x) => x.actual !== x.expected)) {
      console.log(`  disagrees: ${o.id} (expected ${o.expected}, got ${o.actual}: ${o.reason})`);
    }
    expect(outcomes).toHaveLength(cases.length);
    expect(agreed).toBeGreaterThanOrEqual(FLOOR);
  });
});
