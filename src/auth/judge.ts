// The verdict on one connection: parse what the device sent, try the routes in order (the first
// whose anchor validates the chain and whose pattern matches wins), or say why none did.

import type { Refused, Verdict } from './types.ts';
import type { ErrorCode } from '../errors.ts';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { parseCertificate, type ParsedCert } from './parse-cert.ts';
import { CertIndex, PathSearch, Rank, type Failure } from './path-build.ts';
import { checkPath } from './path-checks.ts';
import { checkRevocation } from './revocation.ts';
import { deviceName, subjectValue } from './identity.ts';
import type { CrlStore } from './crl-store.ts';
import type { RouteTrust } from './route-trust.ts';

interface RouteOutcome {
  path: ParsedCert[] | null;
  failure: Failure | null;
  warnings: string[];
}

/** Everything a refusal carries besides its code and reason. */
interface Context {
  leaf: ParsedCert;
  refusal: {
    code: ErrorCode;
    reason: string;
    route: string | null;
    device: string | null;
    rank: number;
  } | null;
}

/** A device sends a few certificates; more is either a mistake or an attempt to burn CPU. */
const MAX_PRESENTED = 16;

/**
 * Parsed certificates by SHA-256 of their DER. Every device of a fleet sends the same
 * intermediate, and a device reconnects with the same leaf, so most judges parse nothing.
 */
const parsed = new LRUCache<string, ParsedCert | Error>({ max: 1024 });

export function judgeChain(
  routes: RouteTrust[],
  crls: CrlStore,
  presented: Buffer[],
  at: Date,
): Verdict {
  if (presented.length === 0) {
    return refuse('CERTGATE_NO_CLIENT_CERT', 'the device presented no client certificate', null);
  }

  if (presented.length > MAX_PRESENTED) {
    return refuse(
      'CERTGATE_CHAIN_REFUSED',
      `the device presented ${presented.length} certificates; at most ${MAX_PRESENTED} are read`,
      null,
    );
  }
  const leaf = parseCached(presented[0]!);
  if (leaf instanceof Error) {
    return refuse(
      'CERTGATE_CHAIN_REFUSED',
      `the device's certificate cannot be read: ${leaf.message}`,
      null,
    );
  }
  const extras = parseExtras(presented.slice(1), leaf);
  // Certificates carry whole seconds; a fractional clock would make notAfter exclusive.
  const time = new Date(Math.floor(at.getTime() / 1000) * 1000);

  const ctx: Context = { leaf, refusal: null };
  const memo = new Map<string, RouteOutcome>();
  for (const route of routes) {
    const outcome =
      memo.get(route.validationKey) ?? validateForRoute(route, crls, leaf, extras, time);
    memo.set(route.validationKey, outcome);

    if (outcome.failure?.code === 'revoked') {
      return refuse('CERTGATE_CERT_REVOKED', outcome.failure.reason, leaf, route.config.name);
    }
    if (!outcome.path) {
      const rank = outcome.failure?.rank ?? 0;
      note(
        ctx,
        'CERTGATE_CHAIN_REFUSED',
        outcome.failure?.reason ?? 'no valid path',
        rank >= Rank.validation ? route : null,
        rank,
      );
      continue;
    }

    const verdict = matchIdentity(ctx, route, outcome);
    if (verdict) return verdict;
  }

  const r = ctx.refusal!;
  return {
    verdict: 'refused',
    code: r.code,
    reason: r.reason,
    route: r.route,
    device: r.device,
    leaf: leaf.summary,
  };
}

function validateForRoute(
  route: RouteTrust,
  crls: CrlStore,
  leaf: ParsedCert,
  extras: ParsedCert[],
  at: Date,
): RouteOutcome {
  if (route.anchorIndex.has(leaf)) {
    const reason = `the device presented trust anchor '${leaf.label}' itself as its certificate`;
    return { path: null, failure: { rank: Rank.validation, reason }, warnings: [] };
  }

  const pool = new CertIndex([...route.intermediates, ...extras]);
  const search = new PathSearch(route.anchorIndex, pool);
  let warnings: string[] = [];
  const path = search.run(leaf, (candidate) => {
    const problem = checkPath(candidate, route.policy, at);
    if (problem) return { rank: Rank.validation, reason: problem };

    const revocation = checkRevocation(candidate, crls, route.config, at);
    if (revocation.status === 'revoked') {
      return { rank: Rank.validation + 1, reason: revocation.reason, code: 'revoked' };
    }
    if (revocation.status === 'unknown') {
      return { rank: Rank.validation, reason: revocation.reason };
    }
    warnings = revocation.warnings;
    return null;
  });
  return { path, failure: path ? null : search.best, warnings };
}

/** Subject value, then pattern; returns the verdict when this route accepts the device. */
function matchIdentity(ctx: Context, route: RouteTrust, outcome: RouteOutcome): Verdict | null {
  const field = route.config.subjectField;
  const value = subjectValue(ctx.leaf, field);
  if (!value.ok) {
    note(
      ctx,
      'CERTGATE_SUBJECT_REFUSED',
      `certificate '${ctx.leaf.label}' (depth 0): ${value.why}`,
      route,
      Rank.validation + 2,
    );
    return null;
  }

  const device = deviceName(route.pattern, value.text);
  if (device === null) {
    const reason = `${field} ${JSON.stringify(value.text)} of certificate '${ctx.leaf.label}' does not match the subjectPattern of route '${route.config.name}'`;
    note(ctx, 'CERTGATE_NO_ROUTE', reason, route, Rank.validation + 1);
    return null;
  }

  const path = outcome.path!;
  return {
    verdict: 'accepted',
    route: route.config.name,
    routeIndex: route.index,
    device,
    subjectValue: value.text,
    leaf: ctx.leaf.summary,
    path: path.map((c) => c.summary),
    warnings: outcome.warnings,
  };
}

/** Keeps the most telling refusal: a chain that got further beats one that stopped early. */
function note(
  ctx: Context,
  code: ErrorCode,
  reason: string,
  route: RouteTrust | null,
  rank: number,
): void {
  if (ctx.refusal && ctx.refusal.rank >= rank) return;
  ctx.refusal = { code, reason, route: route?.config.name ?? null, device: null, rank };
}

/** Readable extras other than the leaf; an unreadable one cannot be part of any path. */
function parseExtras(ders: Buffer[], leaf: ParsedCert): ParsedCert[] {
  return ders
    .map(parseCached)
    .filter((c): c is ParsedCert => !(c instanceof Error) && c.fingerprint !== leaf.fingerprint);
}

function parseCached(der: Buffer): ParsedCert | Error {
  const key = createHash('sha256').update(der).digest('hex');
  let cert = parsed.get(key);
  if (cert === undefined) {
    try {
      cert = parseCertificate(der);
    } catch (err) {
      cert = err as Error;
    }
    parsed.set(key, cert);
  }
  return cert;
}

function refuse(
  code: ErrorCode,
  reason: string,
  leaf: ParsedCert | null,
  route: string | null = null,
): Refused {
  return { verdict: 'refused', code, reason, route, device: null, leaf: leaf?.summary ?? null };
}
