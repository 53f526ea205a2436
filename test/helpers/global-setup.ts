// Runs once around the whole test run: one temporary folder for every throw-away PKI the tests
// write (private keys included), removed when the run ends.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-tests-'));
  process.env.CERTGATE_TEST_TMP = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
