// The migration ledger's contract: how a certificate login is classified, what the report shows
// per device, and the ledger's methods. The SQLite store behind it lives in store.ts and ledger.ts.

/**
 * How a device that presented a certificate filled in its own CONNECT username:
 * - `certificate-only`: it sent no username (or an empty one), so it no longer carries a token;
 * - `own-token`: it still sends its own token (its current one, or one it had before);
 * - `other-device-token`: it sends the token of another device the ledger knows;
 * - `unknown-token`: it sends something that is no token the ledger knows.
 */
export type CertLoginKind = 'certificate-only' | 'own-token' | 'other-device-token' | 'unknown-token';

export const CERT_LOGIN_KINDS: readonly CertLoginKind[] = ['certificate-only', 'own-token', 'other-device-token', 'unknown-token'];

export interface CertificateLoginEvent {
  device: string;
  /** Which ThingsBoard the device lives on, as the gate names it. */
  platform: string;
  /** The device's real access token: the one certgate wrote into the CONNECT. */
  token: string;
  /** What the device itself put in its CONNECT username; null when none. */
  sentUsername: string | null;
  at?: Date;
}

export interface TokenOnlyLoginEvent {
  /** The CONNECT username, which ThingsBoard reads as the access token; null when none. */
  username: string | null;
  /** `migration.lockTokens`: refuse tokens of devices that have connected with a certificate. */
  lockTokens: boolean;
  at?: Date;
}

/** One device that has connected with a certificate at least once. Times are ISO 8601 strings. */
export interface DeviceState {
  name: string;
  platform: string;
  firstCertificateLogin: string;
  lastCertificateLogin: string;
  certificateLogins: number;
  lastKind: CertLoginKind;
  /** The ledger holds the hash of its current token: with lockTokens on, token-only logins with it are refused. */
  locked: boolean;
  /** Token-only logins that used one of its tokens after its first certificate login. */
  tokenOnlySince: { count: number; last: string | null; refused: number };
}

/** Token-only logins with tokens of no device that has connected with a certificate yet. */
export interface UnmigratedSummary {
  /** Distinct tokens (by hash) seen, a fair count of devices still on tokens. */
  tokens: number;
  logins: number;
  last: string | null;
}

export interface MigrationLedger {
  /** Records an admission with a certificate and says how the device is doing in its migration. */
  certificateLogin(event: CertificateLoginEvent): CertLoginKind;
  /**
   * Records a login without a certificate (by the token's hash only). `lockedBy` names the device
   * whose token it is when lockTokens is on and that device has connected with a certificate:
   * the login must then be refused. Otherwise null.
   */
  tokenOnlyLogin(event: TokenOnlyLoginEvent): { lockedBy: string | null };
  /** Since this ledger was opened: certificate logins by kind, `token-only`, `token-only-refused`. */
  counters(): Record<string, number>;
  /** Every device that has connected with a certificate, by platform then name. */
  report(): DeviceState[];
  /** Token-only logins whose token belongs to no device in report(). */
  unmigrated(): UnmigratedSummary;
  close(): void;
}

export interface LedgerOptions {
  /** Open an existing file for reading only (the report command, while a gate writes). */
  readOnly?: boolean;
}
