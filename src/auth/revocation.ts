// Revocation of one validated path (RFC 5280 section 6.3): each certificate below the anchor
// whose issuer has a CRL is looked up in it; freshness, grace and crlRequired decide the rest.

import type { ParsedCert } from './parse-cert.ts';
import { isoSeconds } from './parse-cert.ts';
import { describeCrl } from './crl-parse.ts';
import { crlSignProblem, type CrlStore } from './crl-store.ts';

export interface RevocationSettings {
  crlRequired: boolean;
  crlGraceSeconds: number;
}

export type RevocationResult =
  | { status: 'good'; warnings: string[] }
  | { status: 'revoked'; reason: string }
  | { status: 'unknown'; reason: string };

/**
 * LIMITATION: revocation comes only from CRL files in the configuration; OCSP is not asked and
 * CRL distribution points are not fetched. A certificate whose issuer has no loaded CRL is not
 * checked at all unless the route sets crlRequired (start-up warns about such anchors).
 */
export function checkRevocation(
  path: ParsedCert[],
  store: CrlStore,
  settings: RevocationSettings,
  at: Date,
): RevocationResult {
  const warnings: string[] = [];
  // Revocation comes first for the whole path: a revoked certificate is refused even when
  // another certificate's CRL is stale or missing.
  const findings = path.slice(0, -1).map((cert, depth) => ({
    cert,
    depth,
    issuer: path[depth + 1]!,
    crl: store.crlFor(cert, path[depth + 1]!, at),
  }));

  for (const { cert, depth, crl } of findings) {
    const revokedAt = crl?.revoked.get(Buffer.from(cert.serial).toString('hex'));
    if (crl && revokedAt) {
      return {
        status: 'revoked',
        reason: `certificate '${cert.label}' (depth ${depth}, serial 0x${cert.summary.serial}) is revoked since ${isoSeconds(revokedAt)} by ${describeCrl(crl)}`,
      };
    }
  }

  for (const { cert, depth, issuer, crl } of findings) {
    const bad = crl ? null : store.unverifiableFor(cert, issuer);
    if (bad) {
      return {
        status: 'unknown',
        reason: `revocation of certificate '${cert.label}' (depth ${depth}) cannot be checked: ${describeCrl(bad)} names '${issuer.label}' as its issuer but its signature does not verify with that certificate's key`,
      };
    }
    if (!crl) {
      if (settings.crlRequired) {
        return {
          status: 'unknown',
          reason: `no CRL available from issuer '${issuer.label}' for certificate '${cert.label}' (depth ${depth}), and the route sets crlRequired`,
        };
      }
      continue;
    }
    const problem = crlSignProblem(issuer) ?? freshness(crl, settings, at, warnings);
    if (problem) {
      return {
        status: 'unknown',
        reason: `revocation of certificate '${cert.label}' (depth ${depth}) cannot be checked: ${problem}`,
      };
    }
  }
  return { status: 'good', warnings };
}

function freshness(
  crl: NonNullable<ReturnType<CrlStore['crlFor']>>,
  settings: RevocationSettings,
  at: Date,
  warnings: string[],
): string | null {
  if (crl.thisUpdate.getTime() > at.getTime()) {
    return `${describeCrl(crl)} is not valid until ${isoSeconds(crl.thisUpdate)}`;
  }

  const nextUpdate = crl.nextUpdate!;
  const late = at.getTime() - nextUpdate.getTime();
  if (late <= 0) return null;

  if (late <= settings.crlGraceSeconds * 1000) {
    warnings.push(
      `stale CRL within grace: ${describeCrl(crl)} expired at ${isoSeconds(nextUpdate)} (crlGraceSeconds ${settings.crlGraceSeconds})`,
    );
    return null;
  }
  return `${describeCrl(crl)} expired at ${isoSeconds(nextUpdate)} (its nextUpdate)`;
}
