// One route's trust settings made ready for judging: anchors and helper intermediates parsed and
// indexed, purposes resolved to OIDs, the pattern compiled. Built once per configuration load.

import type { RouteConfig } from '../config/types.ts';
import type { LoadProblem } from './types.ts';
import type { ParsedCert } from './parse-cert.ts';
import { isoSeconds } from './parse-cert.ts';
import { CertIndex } from './path-build.ts';
import { checkAnchor, ekuOid, type PathPolicy } from './path-checks.ts';
import { compilePattern } from './identity.ts';
import { readCertificates } from './load-files.ts';
import type { SecurityLevel } from './signature.ts';

const WARN_DAYS = 30;
const DAY_MS = 86_400_000;

export interface RouteTrust {
  index: number;
  config: RouteConfig;
  anchors: ParsedCert[];
  anchorIndex: CertIndex;
  intermediates: ParsedCert[];
  policy: PathPolicy;
  pattern: RegExp;
  /** Routes with equal keys validate chains identically, so one result serves them all. */
  validationKey: string;
}

export interface RouteBuild {
  route: RouteTrust | null;
  problems: LoadProblem[];
  warnings: string[];
}

/** Loads one route. `key` is its configuration key, such as `routes[2]`. */
export function buildRoute(
  config: RouteConfig,
  index: number,
  key: string,
  level: SecurityLevel,
  now: Date,
): RouteBuild {
  const problems: LoadProblem[] = [];
  const warnings: string[] = [];

  const anchors = loadAll(config.trustAnchors, `${key}.trustAnchors`, problems);
  const intermediates = loadAll(config.intermediates, `${key}.intermediates`, problems);
  if (config.trustAnchors.length === 0) {
    problems.push({
      key: `${key}.trustAnchors`,
      message: 'at least one trust anchor file is required',
    });
  }

  const requiredEku = config.requiredEku.map((value, i) => {
    const oid = ekuOid(value);
    if (!oid) {
      problems.push({
        key: `${key}.requiredEku[${i}]`,
        message: `'${value}' is neither a known purpose name nor a dotted OID`,
      });
    }
    return oid ?? '';
  });

  const compiled = compilePattern(config.subjectPattern);
  if ('error' in compiled) problems.push({ key: `${key}.subjectPattern`, message: compiled.error });

  if (config.maxDepth !== null && (!Number.isInteger(config.maxDepth) || config.maxDepth < 0)) {
    problems.push({ key: `${key}.maxDepth`, message: 'must be a whole number, 0 or more' });
  }
  if (problems.length > 0 || 'error' in compiled) return { route: null, problems, warnings };

  const policy: PathPolicy = { requiredEku, maxDepth: config.maxDepth, securityLevel: level };
  for (const anchor of anchors) {
    warnings.push(...anchorWarnings(anchor, policy, `${key}.trustAnchors`, now));
  }
  for (const cert of intermediates) {
    warnings.push(...expiryWarnings(cert, `${key}.intermediates`, 'intermediate', now));
  }

  const route: RouteTrust = {
    index,
    config,
    anchors,
    intermediates,
    policy,
    anchorIndex: new CertIndex(anchors),
    pattern: compiled.pattern,
    validationKey: JSON.stringify([
      config.trustAnchors,
      config.intermediates,
      requiredEku,
      config.maxDepth,
      config.crlRequired,
      config.crlGraceSeconds,
    ]),
  };
  return { route, problems, warnings };
}

function loadAll(files: string[], key: string, problems: LoadProblem[]): ParsedCert[] {
  const certs: ParsedCert[] = [];
  for (const [i, file] of files.entries()) {
    const read = readCertificates(file, `${key}[${i}]`);
    certs.push(...read.items);
    problems.push(...read.problems);
  }
  return certs;
}

/** An anchor that can never validate a chain is almost certainly a configuration mistake. */
function anchorWarnings(anchor: ParsedCert, policy: PathPolicy, key: string, now: Date): string[] {
  const problem = checkAnchor(anchor, policy, now);
  const unusable = problem
    ? [`${key}: anchor '${anchor.label}' cannot validate any chain: it ${problem}`]
    : [];
  return [...unusable, ...expiryWarnings(anchor, key, 'anchor', now)];
}

export function expiryWarnings(cert: ParsedCert, key: string, role: string, now: Date): string[] {
  const left = cert.notAfter.getTime() - now.getTime();
  if (left < 0 || left > WARN_DAYS * DAY_MS) return [];
  return [
    `${key}: ${role} '${cert.label}' expires at ${isoSeconds(cert.notAfter)}, within ${WARN_DAYS} days`,
  ];
}
