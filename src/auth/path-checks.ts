// The checks of RFC 5280 section 6.1 on one candidate path (leaf first, anchor last), once its
// signatures are known to link up: validity, CA rules, key usage, path length, depth, EKU.

import type { ParsedCert } from './parse-cert.ts';
import { isoSeconds } from './parse-cert.ts';
import { KeyUsageBit } from './extensions.ts';
import { checkSignature, weakDigest, weakKey, type SecurityLevel } from './signature.ts';
import { checkNameConstraints } from './name-constraints.ts';
import { checkPolicies } from './policies.ts';

export const ANY_EKU = '2.5.29.37.0';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface PathPolicy {
  /** OIDs the leaf's extendedKeyUsage must contain; empty: none required. */
  requiredEku: string[];
  /** Most non-self-issued intermediates between leaf and anchor; null: no limit. */
  maxDepth: number | null;
  securityLevel: SecurityLevel;
}

/** Returns null when the path is valid at `at`, else the reason in words. */
export function checkPath(path: ParsedCert[], policy: PathPolicy, at: Date): string | null {
  const anchorDepth = path.length - 1;
  for (let depth = anchorDepth; depth >= 0; depth -= 1) {
    const problem = checkCertificate(path[depth]!, depth, anchorDepth, policy, at);
    if (problem) return `certificate '${path[depth]!.label}' (depth ${depth}) ${problem}`;
  }

  return (
    checkPathLength(path) ??
    checkDepth(path, policy) ??
    checkNameConstraints(path) ??
    checkPolicies(path) ??
    checkEku(path, policy)
  );
}

/** The rules a trust anchor is held to on its own (what every path through it would check). */
export function checkAnchor(anchor: ParsedCert, policy: PathPolicy, at: Date): string | null {
  return checkCertificate(anchor, 1, 1, policy, at);
}

function checkCertificate(
  cert: ParsedCert,
  depth: number,
  anchorDepth: number,
  policy: PathPolicy,
  at: Date,
): string | null {
  const isAnchor = depth === anchorDepth;
  const defect =
    cert.defects[0] ??
    cert.keyProblem ??
    (isAnchor ? null : cert.serialProblem) ??
    weakKey(cert.publicKey, cert.keyAlgorithm, policy.securityLevel);
  if (defect) return `cannot be used: ${defect}`;

  const time = checkValidity(cert, at);
  if (time) return time;

  const digest = isAnchor ? null : weakDigest(cert.signatureAlgorithm);
  if (digest) return `cannot be used: ${digest} (security level ${policy.securityLevel})`;

  return (
    (depth > 0 ? checkIssuerRole(cert) : checkLeafRole(cert, policy)) ?? checkCommon(cert, isAnchor)
  );
}

/** RFC 5280 section 4.1.2.5: the validity period includes both notBefore and notAfter. */
function checkValidity(cert: ParsedCert, at: Date): string | null {
  if (at.getTime() < cert.notBefore.getTime()) {
    const seconds = Math.ceil((cert.notBefore.getTime() - at.getTime()) / 1000);
    return `is not valid until ${isoSeconds(cert.notBefore)} (another ${seconds} s)`;
  }
  if (at.getTime() > cert.notAfter.getTime()) return `expired at ${isoSeconds(cert.notAfter)}`;
  return null;
}

/** Rules for a certificate that signs the one below it (intermediate or anchor). */
function checkIssuerRole(cert: ParsedCert): string | null {
  const bc = cert.ext.basicConstraints;
  // RFC 5280 section 6.1.4 (k) and 4.2.1.9: an issuer must say CA:TRUE in critical basicConstraints.
  if (!bc) return 'is used as a CA but has no basicConstraints extension';
  if (!bc.ca) return 'is used as a CA but its basicConstraints say CA:FALSE';
  if (!bc.critical) {
    return 'is a CA whose basicConstraints are not marked critical (RFC 5280 section 4.2.1.9)';
  }

  // RFC 5280 section 6.1.4 (n): when keyUsage is present, keyCertSign must be set.
  if (cert.ext.keyUsage !== undefined && !(cert.ext.keyUsage & KeyUsageBit.keyCertSign)) {
    return 'is used as a CA but its keyUsage lacks keyCertSign';
  }
  // RFC 5280 section 4.1.2.6 and 4.2.1.2: a CA has a non-empty subject and a key identifier.
  if (cert.subject.rdns.length === 0) return 'is a CA with an empty subject name';
  if (!cert.ext.ski) return 'is a CA without a subjectKeyIdentifier (RFC 5280 section 4.2.1.2)';
  return null;
}

function checkLeafRole(cert: ParsedCert, policy: PathPolicy): string | null {
  // A TLS client proves possession by signing (RFC 8446 section 4.4.3), so keyUsage must allow it.
  const ku = cert.ext.keyUsage;
  if (
    policy.requiredEku.includes(CLIENT_AUTH) &&
    ku !== undefined &&
    !(ku & KeyUsageBit.digitalSignature)
  ) {
    return 'has a keyUsage without digitalSignature, so it cannot authenticate a TLS client';
  }
  return null;
}

function checkCommon(cert: ParsedCert, isAnchor: boolean): string | null {
  const ku = cert.ext.keyUsage;
  // RFC 5280 section 4.2.1.3: keyCertSign only together with CA:TRUE.
  if (ku !== undefined && ku & KeyUsageBit.keyCertSign && !cert.ext.basicConstraints?.ca) {
    return 'has keyCertSign in its keyUsage but is not a CA';
  }
  // RFC 5280 section 4.2.1.10: name constraints only in CA certificates, marked critical.
  const nc = cert.ext.list.find((e) => e.oid === '2.5.29.30');
  if (nc && !cert.ext.basicConstraints?.ca) return 'carries name constraints but is not a CA';
  if (nc && !nc.critical) {
    return 'carries name constraints that are not marked critical (RFC 5280 section 4.2.1.10)';
  }

  // RFC 5280 section 4.2.1.6: an empty subject requires a critical subjectAltName.
  if (cert.subject.rdns.length === 0 && !cert.ext.sanCritical) {
    return 'has an empty subject and no critical subjectAltName';
  }
  const pc = cert.ext.list.find((e) => e.oid === '2.5.29.36');
  if (pc && !pc.critical) {
    return 'carries policy constraints that are not marked critical (RFC 5280 section 4.2.1.11)';
  }

  // RFC 5280 section 4.2.1.1: every certificate except a self-signed one names its signing key.
  // A trust anchor is exempt: it is trusted by configuration, not found through its issuer.
  if (!isAnchor && cert.ext.akiKeyId === undefined && !selfSigned(cert)) {
    return 'has no authorityKeyIdentifier (RFC 5280 section 4.2.1.1)';
  }
  return null;
}

const selfSignedMemo = new WeakMap<ParsedCert, boolean>();

/** Self-issued and verifiable with its own key (a root, or a self-signed leaf). */
function selfSigned(cert: ParsedCert): boolean {
  if (!cert.selfIssued || !cert.publicKey) return false;

  let result = selfSignedMemo.get(cert);
  if (result === undefined) {
    result =
      checkSignature(cert.tbs, cert.signatureAlgorithm, cert.signature, cert.publicKey) === null;
    selfSignedMemo.set(cert, result);
  }
  return result;
}

/** RFC 5280 section 6.1.4 (l) and (m), starting from the anchor's own pathLenConstraint. */
function checkPathLength(path: ParsedCert[]): string | null {
  const anchor = path[path.length - 1]!;
  let remaining = anchor.ext.basicConstraints?.pathLen ?? Infinity;
  let limitSetBy = anchor;

  for (let depth = path.length - 2; depth >= 1; depth -= 1) {
    const cert = path[depth]!;
    if (!cert.selfIssued) {
      if (remaining <= 0) {
        return `certificate '${cert.label}' (depth ${depth}) exceeds the path length constraint of '${limitSetBy.label}'`;
      }
      remaining -= 1;
    }
    const own = cert.ext.basicConstraints?.pathLen;
    if (own !== null && own !== undefined && own < remaining) {
      remaining = own;
      limitSetBy = cert;
    }
  }
  return null;
}

/** The route's maxDepth: intermediates between leaf and anchor, self-issued ones not counted. */
function checkDepth(path: ParsedCert[], policy: PathPolicy): string | null {
  if (policy.maxDepth === null) return null;
  const counted = path.slice(1, -1).filter((c) => !c.selfIssued).length;
  if (counted <= policy.maxDepth) return null;
  return `the path has ${counted} intermediate${counted === 1 ? '' : 's'} between leaf and anchor, more than maxDepth ${policy.maxDepth}`;
}

/**
 * The leaf must carry every required purpose; a leaf without the extension allows all
 * (RFC 5280 section 4.2.1.12). An intermediate that restricts purposes must allow them too,
 * as OpenSSL and most TLS stacks require. anyExtendedKeyUsage satisfies the rule in an
 * intermediate but not in the leaf: section 4.2.1.12 lets an application that needs a
 * particular purpose refuse it, and a gate that admits devices should.
 */
function checkEku(path: ParsedCert[], policy: PathPolicy): string | null {
  for (const [depth, cert] of path.slice(0, -1).entries()) {
    const eku = cert.ext.eku;
    if (!eku) continue;

    const missing = policy.requiredEku.filter(
      (oid) => !eku.includes(oid) && (depth === 0 || !eku.includes(ANY_EKU)),
    );
    if (missing.length > 0) {
      return `certificate '${cert.label}' (depth ${depth}) does not allow the extended key usage ${missing.map(ekuName).join(', ')}`;
    }
  }
  return null;
}

const EKU_NAMES: Record<string, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: CLIENT_AUTH,
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

/** Turns a configured purpose (a name such as clientAuth, or a dotted OID) into an OID. */
export function ekuOid(value: string): string | null {
  const named = EKU_NAMES[value];
  if (named) return named;
  return /^\d+(\.\d+)+$/.test(value) ? value : null;
}

export function ekuName(oid: string): string {
  return Object.entries(EKU_NAMES).find(([, v]) => v === oid)?.[0] ?? oid;
}
