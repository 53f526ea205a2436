// The contract between the gate and its certificate judge: what goes in (the certificates a
// device presented) and what comes out (a route and device name, or a reason in words).

import type { ErrorCode } from '../errors.ts';

/** Facts about one certificate, safe to log. */
export interface CertSummary {
  subject: string;
  issuer: string;
  serial: string;
  /** SHA-256 of the DER, lower-case hex. */
  fingerprint: string;
  notBefore: string;
  notAfter: string;
}

export interface Accepted {
  verdict: 'accepted';
  route: string;
  /** Index of the route in the configuration (routes are tried in order). */
  routeIndex: number;
  device: string;
  /** The value the pattern was applied to (CN, SAN, …), for logs and provisioning. */
  subjectValue: string;
  leaf: CertSummary;
  /** The validated path, leaf first, anchor last. */
  path: CertSummary[];
  /** Warnings that did not refuse the chain (a stale CRL within its grace period, …). */
  warnings: string[];
}

export interface Refused {
  verdict: 'refused';
  code: ErrorCode;
  /** One sentence for an operator: which certificate, at which depth, what failed. */
  reason: string;
  route: string | null;
  device: string | null;
  leaf: CertSummary | null;
}

export type Verdict = Accepted | Refused;

/** A problem found while loading a route's files, named by its configuration key. */
export interface LoadProblem {
  key: string;
  message: string;
}

/**
 * Built once per configuration load; `judge` runs once per connection.
 * `presented` is what the device sent, leaf first, as DER.
 */
export interface Judge {
  judge(presented: Buffer[], at?: Date): Verdict;
}
