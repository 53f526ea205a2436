// Path building: from the device's leaf up to one of a route's trust anchors, trying every
// candidate issuer (RFC 4158 style depth-first search) within a fixed budget of work.

import type { ParsedCert } from './parse-cert.ts';
import { bytesEqual } from './parse-cert.ts';
import { checkSignature } from './signature.ts';

/** Certificates indexed by subject name (comparison form). */
export class CertIndex {
  readonly #bySubject = new Map<string, ParsedCert[]>();
  readonly #fingerprints = new Set<string>();

  constructor(certs: Iterable<ParsedCert> = []) {
    for (const cert of certs) this.add(cert);
  }

  add(cert: ParsedCert): void {
    if (this.#fingerprints.has(cert.fingerprint)) return;
    this.#fingerprints.add(cert.fingerprint);
    const list = this.#bySubject.get(cert.subject.key) ?? [];
    list.push(cert);
    this.#bySubject.set(cert.subject.key, list);
  }

  has(cert: ParsedCert): boolean {
    return this.#fingerprints.has(cert.fingerprint);
  }

  bySubject(nameKey: string): ParsedCert[] {
    return this.#bySubject.get(nameKey) ?? [];
  }
}

/** What a path attempt ended with; higher rank means the chain got further. */
export interface Failure {
  rank: number;
  reason: string;
  code?: 'revoked';
}

export type Visit = (path: ParsedCert[]) => Failure | null;

export interface SearchLimits {
  /** Most certificates between leaf and anchor the search will try (self-issued included). */
  maxIntermediates: number;
  maxSignatureChecks: number;
  maxPaths: number;
}

export const DEFAULT_LIMITS: SearchLimits = {
  maxIntermediates: 12,
  maxSignatureChecks: 256,
  maxPaths: 64,
};

export const Rank = { issuerMissing: 1, signature: 2, tooMuchWork: 2, validation: 3 } as const;

export class PathSearch {
  readonly #anchors: CertIndex;
  readonly #pool: CertIndex;
  readonly #limits: SearchLimits;
  readonly #signatures = new Map<string, string | null>();
  #paths = 0;
  best: Failure | null = null;

  constructor(anchors: CertIndex, pool: CertIndex, limits: SearchLimits = DEFAULT_LIMITS) {
    this.#anchors = anchors;
    this.#pool = pool;
    this.#limits = limits;
  }

  /** Calls `visit` with each complete path (leaf first, anchor last) until one is accepted. */
  run(leaf: ParsedCert, visit: Visit): ParsedCert[] | null {
    return this.#extend([leaf], visit);
  }

  #extend(chain: ParsedCert[], visit: Visit): ParsedCert[] | null {
    const top = chain[chain.length - 1]!;
    const named = [
      ...this.#anchors.bySubject(top.issuer.key),
      ...this.#pool.bySubject(top.issuer.key).filter((c) => !this.#anchors.has(c)),
    ];
    const candidates = named.filter((c) => !inChain(chain, c));
    const matching = candidates.filter((c) => keyIdMatches(top, c));
    if (matching.length === 0) {
      const keyMismatch = candidates.length > 0;
      this.#fail(
        keyMismatch
          ? { rank: Rank.signature, reason: wrongKey(chain) }
          : { rank: Rank.issuerMissing, reason: missingIssuer(chain) },
      );
      return null;
    }

    for (const candidate of matching) {
      if (this.#paths >= this.#limits.maxPaths) return null;
      if (!this.#signedBy(top, candidate, chain.length - 1)) continue;

      const path = [...chain, candidate];
      if (this.#anchors.has(candidate)) {
        this.#paths += 1;
        const failure = visit(path);
        if (!failure) return path;
        this.#fail(failure);
        if (failure.code === 'revoked') return null;
        continue;
      }
      if (chain.length - 1 >= this.#limits.maxIntermediates) {
        this.#fail({
          rank: Rank.tooMuchWork,
          reason: `no trust anchor within ${this.#limits.maxIntermediates} intermediates of the leaf`,
        });
        continue;
      }
      const found = this.#extend(path, visit);
      if (found || this.best?.code === 'revoked') return found;
    }
    return null;
  }

  #signedBy(child: ParsedCert, issuer: ParsedCert, depth: number): boolean {
    const memoKey = child.fingerprint + issuer.fingerprint;
    let problem = this.#signatures.get(memoKey);
    if (problem === undefined) {
      if (this.#signatures.size >= this.#limits.maxSignatureChecks) {
        this.#fail({
          rank: Rank.tooMuchWork,
          reason: 'too many candidate issuers to check; path building gave up',
        });
        return false;
      }
      problem = issuer.publicKey
        ? checkSignature(child.tbs, child.signatureAlgorithm, child.signature, issuer.publicKey)
        : `the key of its issuer cannot be used: ${issuer.keyProblem}`;
      this.#signatures.set(memoKey, problem);
    }

    if (problem) {
      this.#fail({
        rank: Rank.signature,
        reason: `certificate '${child.label}' (depth ${depth}) is not signed by '${issuer.label}': ${problem}`,
      });
    }
    return problem === null;
  }

  #fail(failure: Failure): void {
    if (this.best?.code === 'revoked') return;
    if (!this.best || failure.rank > this.best.rank || failure.code === 'revoked') {
      this.best = failure;
    }
  }
}

/** A certificate already in the chain (same certificate, or same name and key) would be a loop. */
function inChain(chain: ParsedCert[], candidate: ParsedCert): boolean {
  return chain.some(
    (c) =>
      c.fingerprint === candidate.fingerprint ||
      (c.subject.key === candidate.subject.key && bytesEqual(c.spki, candidate.spki)),
  );
}

/** RFC 5280 section 4.2.1.1: the child's authorityKeyIdentifier names the key that signed it. */
function keyIdMatches(child: ParsedCert, candidate: ParsedCert): boolean {
  return (
    !child.ext.akiKeyId || !candidate.ext.ski || bytesEqual(child.ext.akiKeyId, candidate.ext.ski)
  );
}

function wrongKey(chain: ParsedCert[]): string {
  const top = chain[chain.length - 1]!;
  return `certificate '${top.label}' (depth ${chain.length - 1}) names issuer '${top.summary.issuer}', but no certificate of that name has the key that signed it (authorityKeyIdentifier mismatch)`;
}

function missingIssuer(chain: ParsedCert[]): string {
  const top = chain[chain.length - 1]!;
  const depth = chain.length - 1;
  if (top.selfIssued) {
    return `the chain ends at self-signed '${top.label}' (depth ${depth}), which is not a trust anchor`;
  }
  const hint =
    depth === 0
      ? 'the device did not send its intermediate, or no route trusts that issuer'
      : 'it is neither a trust anchor nor among the intermediates';
  return `issuer '${top.summary.issuer}' of '${top.label}' (depth ${depth}) not found: ${hint}`;
}
