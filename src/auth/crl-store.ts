// Every CRL the configuration names, indexed by issuer so that a CRL applies to every chain
// through its issuer whichever route listed it; reloading keeps the last good set of a file.

import { LRUCache } from 'lru-cache';
import type { LoadProblem } from './types.ts';
import type { ParsedCert } from './parse-cert.ts';
import { isoSeconds } from './parse-cert.ts';
import { parseCrl, describeCrl, type ParsedCrl } from './crl-parse.ts';
import { readDerBlocks } from './load-files.ts';
import { checkSignature } from './signature.ts';
import { KeyUsageBit } from './extensions.ts';

const WARN_BEFORE_MS = 86_400_000;

export interface CrlFile {
  file: string;
  /** The configuration key that first named this file, e.g. `routes[1].crls[0]`. */
  key: string;
  crls: ParsedCrl[];
}

export class CrlStore {
  readonly files = new Map<string, CrlFile>();
  #byIssuer = new Map<string, ParsedCrl[]>();
  /** CRL signature checks by CRL and issuer; bounded, since issuers may come from devices. */
  readonly #signatures = new LRUCache<string, boolean>({ max: 10_000 });

  /** Reads a file the first time it is named; later mentions by other routes share it. */
  add(file: string, key: string, issuers: ParsedCert[]): LoadProblem[] {
    if (this.files.has(file)) return [];

    const read = readCrlFile(file, key, issuers);
    this.files.set(file, { file, key, crls: read.crls });
    this.#index();
    return read.problems;
  }

  /** Re-reads every file; a file that fails keeps its previous CRLs, an older CRL is ignored. */
  reload(issuers: ParsedCert[]): { problems: LoadProblem[]; warnings: string[] } {
    const problems: LoadProblem[] = [];
    const warnings: string[] = [];
    for (const entry of this.files.values()) {
      const read = readCrlFile(entry.file, entry.key, issuers);
      if (read.problems.length > 0) {
        problems.push(
          ...read.problems.map((p) => ({
            ...p,
            message: `${p.message}; keeping the previously loaded CRLs of this file`,
          })),
        );
        continue;
      }
      entry.crls = [...read.crls.map((crl) => keepNewer(crl, entry, warnings)), ...dropped(read.crls, entry, warnings)];
    }
    this.#signatures.clear();
    this.#index();
    return { problems, warnings };
  }

  /** The newest usable CRL from `issuer` that covers `cert`, or null when the issuer has none. */
  crlFor(cert: ParsedCert, issuer: ParsedCert, at: Date): ParsedCrl | null {
    const candidates = (this.#byIssuer.get(cert.issuer.key) ?? []).filter((crl) =>
      this.#signedBy(crl, issuer),
    );
    const current = candidates.filter((crl) => crl.thisUpdate.getTime() <= at.getTime());
    return newest(current.length > 0 ? current : candidates);
  }

  /**
   * A CRL that names this issuer but whose signature does not verify with the issuer's key, when
   * no CRL from that issuer does: forged, corrupt, or made with a key the CA no longer uses.
   * Revocation is then unknown, and the chain must not pass as if no CRL existed (OpenSSL too
   * refuses such a chain, with a CRL signature failure).
   */
  unverifiableFor(cert: ParsedCert, issuer: ParsedCert): ParsedCrl | null {
    const named = this.#byIssuer.get(cert.issuer.key) ?? [];
    if (named.some((crl) => this.#signedBy(crl, issuer))) return null;
    return named[0] ?? null;
  }

  /** Warnings for CRLs past their nextUpdate or within a day of it. */
  freshnessWarnings(at: Date): string[] {
    const warnings: string[] = [];
    for (const entry of this.files.values()) {
      for (const crl of entry.crls) {
        const left = (crl.nextUpdate?.getTime() ?? Infinity) - at.getTime();
        if (left < 0) {
          warnings.push(
            `${entry.key}: ${describeCrl(crl)} is past its nextUpdate ${isoSeconds(crl.nextUpdate!)}; the certificates it covers are refused unless crlGraceSeconds allows it`,
          );
        } else if (left < WARN_BEFORE_MS) {
          warnings.push(
            `${entry.key}: ${describeCrl(crl)} reaches its nextUpdate at ${isoSeconds(crl.nextUpdate!)}, within a day`,
          );
        }
      }
    }
    return warnings;
  }

  #signedBy(crl: ParsedCrl, issuer: ParsedCert): boolean {
    const memoKey = crl.fingerprint + issuer.fingerprint;
    let ok = this.#signatures.get(memoKey);
    if (ok === undefined) {
      ok =
        issuer.publicKey !== null &&
        checkSignature(crl.tbs, crl.signatureAlgorithm, crl.signature, issuer.publicKey) === null;
      this.#signatures.set(memoKey, ok);
    }
    return ok;
  }

  #index(): void {
    this.#byIssuer = new Map();
    for (const entry of this.files.values()) {
      for (const crl of entry.crls) {
        const list = this.#byIssuer.get(crl.issuer.key) ?? [];
        list.push(crl);
        this.#byIssuer.set(crl.issuer.key, list);
      }
    }
  }
}

/** RFC 5280 section 5.2.3: a higher CRL number is a newer CRL. */
function newest(crls: ParsedCrl[]): ParsedCrl | null {
  return crls.reduce<ParsedCrl | null>((best, crl) => {
    if (!best) return crl;
    const byNumber = (crl.number ?? -1n) - (best.number ?? -1n);
    return byNumber > 0n || (byNumber === 0n && crl.thisUpdate > best.thisUpdate) ? crl : best;
  }, null);
}

function keepNewer(crl: ParsedCrl, previous: CrlFile, warnings: string[]): ParsedCrl {
  const old = previous.crls.find((c) => c.issuer.key === crl.issuer.key);
  if (!old || (crl.number ?? 0n) >= (old.number ?? 0n)) return crl;

  warnings.push(
    `${previous.key}: ${previous.file}: ignored ${describeCrl(crl)}: it is older than the loaded CRL #${old.number}`,
  );
  return old;
}

/**
 * CRLs of issuers the file no longer covers (a wrong file copied over it, say) stay in force:
 * dropping them would silently re-admit every certificate they revoke.
 */
function dropped(fresh: ParsedCrl[], previous: CrlFile, warnings: string[]): ParsedCrl[] {
  const covered = new Set(fresh.map((crl) => crl.issuer.key));
  const kept = previous.crls.filter((crl) => !covered.has(crl.issuer.key));
  for (const crl of kept) {
    warnings.push(`${previous.key}: ${previous.file} no longer holds a CRL of '${crl.issuerLabel}'; keeping the loaded ${describeCrl(crl)}`);
  }
  return kept;
}

function readCrlFile(
  file: string,
  key: string,
  issuers: ParsedCert[],
): { crls: ParsedCrl[]; problems: LoadProblem[] } {
  const blocks = readDerBlocks(file, key, ['X509 CRL']);
  if (blocks.problems.length > 0) return { crls: [], problems: blocks.problems };
  if (blocks.items.length === 0) {
    return { crls: [], problems: [{ key, message: `${file}: no CRL found` }] };
  }

  const crls: ParsedCrl[] = [];
  const problems: LoadProblem[] = [];
  for (const [n, der] of blocks.items.entries()) {
    try {
      const crl = parseCrl(der);
      const problem = crl.defects[0] ?? issuerProblem(crl, issuers);
      if (problem) {
        problems.push({
          key,
          message: `${file}: CRL ${n + 1} (issuer '${crl.issuerLabel}') cannot be used: ${problem}`,
        });
      } else crls.push(crl);
    } catch (err) {
      problems.push({
        key,
        message: `${file}: CRL ${n + 1} cannot be read: ${(err as Error).message}`,
      });
    }
  }
  return { crls, problems };
}

/**
 * When the configuration holds a certificate with the CRL's issuer name, the CRL must be signed
 * by it and that issuer must be allowed to sign CRLs (RFC 5280 section 4.2.1.3, cRLSign).
 */
function issuerProblem(crl: ParsedCrl, issuers: ParsedCert[]): string | null {
  const named = issuers.filter((cert) => cert.subject.key === crl.issuer.key);
  if (named.length === 0) return null;

  const signer = named.find(
    (cert) =>
      cert.publicKey &&
      checkSignature(crl.tbs, crl.signatureAlgorithm, crl.signature, cert.publicKey) === null,
  );
  if (!signer) {
    return `its signature does not verify with the key of any configured certificate named '${crl.issuerLabel}'`;
  }
  return crlSignProblem(signer);
}

export function crlSignProblem(issuer: ParsedCert): string | null {
  const ku = issuer.ext.keyUsage;
  return ku !== undefined && !(ku & KeyUsageBit.cRLSign)
    ? `the keyUsage of '${issuer.label}' lacks cRLSign`
    : null;
}
