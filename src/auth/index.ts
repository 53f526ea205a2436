// The certificate judge's public face: buildTrust turns the configured routes into a Trust that
// judges each connection's chain, summarises what it loaded, and re-reads CRL files on demand.

import type { RouteConfig } from '../config/types.ts';
import type { Judge, LoadProblem, Verdict } from './types.ts';
import type { ParsedCert } from './parse-cert.ts';
import { buildRoute, type RouteTrust } from './route-trust.ts';
import { CrlStore } from './crl-store.ts';
import { judgeChain } from './judge.ts';
import { summarise, type TrustSummary } from './summary.ts';
import type { SecurityLevel } from './signature.ts';

export type { TrustSummary } from './summary.ts';
export type { SecurityLevel } from './signature.ts';

export interface Trust extends Judge {
  /** What `certgate check` prints: per route its anchors, intermediates, CRLs and pattern. */
  summary(): TrustSummary;
  /** Re-reads CRL files; a file that fails keeps its previous CRLs; an older CRL is ignored. */
  reloadCrls(): { problems: LoadProblem[]; warnings: string[] };
}

export interface TrustOptions {
  now?: () => Date;
  /** Prefix of configuration keys in problems; default `routes`. */
  keyPrefix?: string;
  /** OpenSSL-style security level for digests and key sizes; default 2, as Node 24 uses. */
  securityLevel?: SecurityLevel;
}

export function buildTrust(
  routes: RouteConfig[],
  options: TrustOptions = {},
): { trust: Trust | null; problems: LoadProblem[]; warnings: string[] } {
  const now = options.now ?? (() => new Date());
  const prefix = options.keyPrefix ?? 'routes';
  const level = options.securityLevel ?? 2;
  const problems: LoadProblem[] = [];
  const warnings: string[] = [];

  const built: RouteTrust[] = [];
  for (const [i, config] of routes.entries()) {
    const result = buildRoute(config, i, `${prefix}[${i}]`, level, now());
    problems.push(...result.problems);
    warnings.push(...result.warnings);
    if (result.route) built.push(result.route);
  }
  if (routes.length === 0) {
    problems.push({ key: prefix, message: 'at least one route is required' });
  }

  const issuers = built.flatMap((r) => [...r.anchors, ...r.intermediates]);
  const crls = new CrlStore();
  for (const [i, config] of routes.entries()) {
    for (const [j, file] of config.crls.entries()) {
      problems.push(...crls.add(file, `${prefix}[${i}].crls[${j}]`, issuers));
    }
  }
  warnings.push(...crls.freshnessWarnings(now()), ...revocationWarnings(built, crls));

  if (problems.length > 0) return { trust: null, problems, warnings };
  return { trust: createTrust(built, crls, issuers, now), problems, warnings };
}

function createTrust(
  routes: RouteTrust[],
  crls: CrlStore,
  issuers: ParsedCert[],
  now: () => Date,
): Trust {
  return {
    judge(presented: Buffer[], at?: Date): Verdict {
      return judgeChain(routes, crls, presented, at ?? now());
    },
    summary(): TrustSummary {
      return summarise(routes, crls, now());
    },
    reloadCrls() {
      const result = crls.reload(issuers);
      return {
        problems: result.problems,
        warnings: [...result.warnings, ...crls.freshnessWarnings(now())],
      };
    },
  };
}

/** C04: say at start-up which anchors' chains are not checked for revocation at all. */
function revocationWarnings(routes: RouteTrust[], crls: CrlStore): string[] {
  const crlIssuers = new Set(
    [...crls.files.values()].flatMap((f) => f.crls.map((c) => c.issuer.key)),
  );
  const warnings: string[] = [];
  for (const route of routes) {
    if (route.config.crlRequired) continue;
    for (const anchor of route.anchors) {
      if (!crlIssuers.has(anchor.subject.key)) {
        warnings.push(
          `route '${route.config.name}': anchor '${anchor.label}' has no CRL; certificates it issues are not checked for revocation`,
        );
      }
    }
  }
  return warnings;
}
