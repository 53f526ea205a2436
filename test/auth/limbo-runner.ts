// Runs x509-limbo cases (test/fixtures/limbo) through buildTrust and judge exactly as the gate
// would: anchors, CRLs and policy become a route; the leaf and its intermediates are what the device sends.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTrust } from '../../src/auth/index.ts';
import type { RouteConfig } from '../../src/config/types.ts';

export interface LimboCase {
  id: string;
  description: string;
  validation_kind: 'CLIENT' | 'SERVER';
  expected_result: 'SUCCESS' | 'FAILURE';
  features: string[];
  flags: string[];
  validation_time: string | null;
  max_chain_depth: number | null;
  extended_key_usage: string[];
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  crls?: string[] | null;
}

export interface LimboOutcome {
  id: string;
  expected: LimboCase['expected_result'];
  actual: LimboCase['expected_result'];
  reason: string;
}

export const CORPUS = new URL('../fixtures/limbo/limbo-client.json', import.meta.url);

export function loadCorpus(): LimboCase[] {
  return JSON.parse(readFileSync(CORPUS, 'utf8')) as LimboCase[];
}

/**
 * The verdict certgate gives a case. A configuration certgate refuses to load counts as
 * FAILURE (the gate would not start, so nothing is accepted). Limbo judges the path only, so a
 * refusal of the subject value (SUBJECT_REFUSED, NO_ROUTE) after a valid path counts as SUCCESS.
 */
export function runLimboCase(testCase: LimboCase, workDir: string): LimboOutcome {
  const dir = join(workDir, testCase.id.replace(/[^a-z0-9.-]+/gi, '_'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'anchors.pem'), testCase.trusted_certs.join('\n'));
  const crls = testCase.crls ?? [];
  if (crls.length > 0) writeFileSync(join(dir, 'crls.pem'), crls.join('\n'));

  const route = {
    name: 'limbo',
    trustAnchors: [join(dir, 'anchors.pem')],
    intermediates: [] as string[],
    crls: crls.length > 0 ? [join(dir, 'crls.pem')] : [],
    crlRequired: false,
    crlGraceSeconds: 0,
    requiredEku: testCase.extended_key_usage,
    maxDepth: testCase.max_chain_depth,
    deviceProfile: 'limbo',
    subjectField: 'subject',
    subjectPattern: '^(?<name>[\\s\\S]*)$',
  } as RouteConfig;
  const at = testCase.validation_time ? new Date(testCase.validation_time) : new Date();
  const built = buildTrust([route], { now: () => at });
  const outcome = { id: testCase.id, expected: testCase.expected_result };
  if (!built.trust) {
    return {
      ...outcome,
      actual: 'FAILURE',
      reason: `configuration refused: ${built.problems.map((p) => p.message).join('; ')}`,
    };
  }

  const presented = [testCase.peer_certificate, ...testCase.untrusted_intermediates].map(pemToDer);
  const verdict = built.trust.judge(presented, at);
  if (verdict.verdict === 'accepted') {
    return { ...outcome, actual: 'SUCCESS', reason: `accepted as ${verdict.device}` };
  }

  const pathValid =
    verdict.code === 'CERTGATE_SUBJECT_REFUSED' || verdict.code === 'CERTGATE_NO_ROUTE';
  return {
    ...outcome,
    actual: pathValid ? 'SUCCESS' : 'FAILURE',
    reason: `${verdict.code}: ${verdict.reason}`,
  };
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(
    pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
    'base64',
  );
}
