// Shared pieces for the auth tests: a temporary folder for PEM files, a route with the
// configuration defaults, and a Trust built from routes that must load without problems.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTrust, type Trust, type TrustOptions } from '../../src/auth/index.ts';
import type { Verdict, Accepted, Refused } from '../../src/auth/types.ts';
import type { RouteConfig } from '../../src/config/types.ts';
import type { Identity } from '../../src/pki/throwaway-pki.ts';

export class TempFiles {
  readonly dir = mkdtempSync(join(tmpdir(), 'certgate-auth-'));
  #count = 0;

  /** Writes content to a fresh file and returns its absolute path. */
  write(name: string, content: string | Buffer): string {
    this.#count += 1;
    const file = join(this.dir, `${this.#count}-${name}`);
    writeFileSync(file, content);
    return file;
  }

  /** Writes the certificates of some identities to one PEM file. */
  pem(name: string, ...ids: Identity[]): string {
    return this.write(name, ids.map((id) => id.certPem).join(''));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A route with the configuration defaults; only its trust settings matter to buildTrust. */
export function route(
  overrides: Partial<RouteConfig> & Pick<RouteConfig, 'trustAnchors'>,
): RouteConfig {
  return {
    name: 'thermostat',
    intermediates: [],
    crls: [],
    crlRequired: false,
    crlGraceSeconds: 0,
    requiredEku: ['clientAuth'],
    maxDepth: null,
    deviceProfile: 'thermostat',
    subjectField: 'CN',
    subjectPattern: '^(.*)$',
    ...overrides,
  } as RouteConfig;
}

/** A Trust from routes that must load cleanly (the test fails with the problems otherwise). */
export function trustOf(routes: RouteConfig[], options: TrustOptions = {}): Trust {
  const built = buildTrust(routes, options);
  if (!built.trust) throw new Error(`unexpected problems: ${JSON.stringify(built.problems)}`);
  return built.trust;
}

export function ders(...ids: Identity[]): Buffer[] {
  return ids.map((id) => id.der);
}

export function accepted(verdict: Verdict): Accepted {
  if (verdict.verdict !== 'accepted') {
    throw new Error(`expected accepted, got ${verdict.code}: ${verdict.reason}`);
  }
  return verdict;
}

export function refused(verdict: Verdict): Refused {
  if (verdict.verdict !== 'refused') {
    throw new Error(`expected refused, got accepted as ${verdict.device}`);
  }
  return verdict;
}

export const DAY = 86_400_000;
