// The loaded trust in plain data, for `certgate check` and start-up logs: per route its anchors,
// helper intermediates, CRLs and identity settings, each with the dates an operator watches.

import type { ParsedCert } from './parse-cert.ts';
import { isoSeconds } from './parse-cert.ts';
import type { CrlStore } from './crl-store.ts';
import type { RouteTrust } from './route-trust.ts';
import { ekuName } from './path-checks.ts';

export interface CertFacts {
  subject: string;
  fingerprint: string;
  notAfter: string;
  expired: boolean;
}

export interface CrlFacts {
  file: string;
  issuer: string;
  number: string | null;
  thisUpdate: string;
  nextUpdate: string | null;
  revoked: number;
  stale: boolean;
}

export interface RouteSummary {
  name: string;
  anchors: CertFacts[];
  intermediates: CertFacts[];
  crls: CrlFacts[];
  crlRequired: boolean;
  crlGraceSeconds: number;
  requiredEku: string[];
  maxDepth: number | null;
  subjectField: string;
  subjectPattern: string;
}

export interface TrustSummary {
  at: string;
  routes: RouteSummary[];
}

export function summarise(routes: RouteTrust[], crls: CrlStore, at: Date): TrustSummary {
  return {
    at: isoSeconds(at),
    routes: routes.map((route) => ({
      name: route.config.name,
      anchors: route.anchors.map((c) => certFacts(c, at)),
      intermediates: route.intermediates.map((c) => certFacts(c, at)),
      crls: route.config.crls.flatMap((file) => crlFacts(crls, file, at)),
      crlRequired: route.config.crlRequired,
      crlGraceSeconds: route.config.crlGraceSeconds,
      requiredEku: route.policy.requiredEku.map(ekuName),
      maxDepth: route.config.maxDepth,
      subjectField: route.config.subjectField,
      subjectPattern: route.config.subjectPattern,
    })),
  };
}

function certFacts(cert: ParsedCert, at: Date): CertFacts {
  return {
    subject: cert.label,
    fingerprint: cert.fingerprint,
    notAfter: isoSeconds(cert.notAfter),
    expired: cert.notAfter.getTime() < at.getTime(),
  };
}

function crlFacts(crls: CrlStore, file: string, at: Date): CrlFacts[] {
  return (crls.files.get(file)?.crls ?? []).map((crl) => ({
    file,
    issuer: crl.issuerLabel,
    number: crl.number === null ? null : crl.number.toString(),
    thisUpdate: isoSeconds(crl.thisUpdate),
    nextUpdate: crl.nextUpdate ? isoSeconds(crl.nextUpdate) : null,
    revoked: crl.revoked.size,
    stale: crl.nextUpdate !== null && crl.nextUpdate.getTime() < at.getTime(),
  }));
}
