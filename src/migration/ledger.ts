// The migration ledger: remembers which devices have connected with a certificate and the
// hashes of their tokens, classifies each certificate login, and decides token-only locks.

import type { DatabaseSync } from 'node:sqlite';
import { openStore, type Store } from './store.ts';
import {
  CERT_LOGIN_KINDS,
  type CertLoginKind,
  type CertificateLoginEvent,
  type DeviceState,
  type LedgerOptions,
  type MigrationLedger,
  type TokenOnlyLoginEvent,
  type UnmigratedSummary,
} from './types.ts';

interface TokenOwner {
  platform: string;
  name: string;
}

/**
 * Opens the ledger at `path` (created when missing), or an in-memory one for null, which
 * forgets everything when closed. With `readOnly` the file must exist and nothing is written.
 *
 * When ThingsBoard regenerates a device's token, the new hash becomes the device's current
 * one and the old hashes stay with the device, still locked: a token that leaked before the
 * change must not work through the token-only path either.
 */
export function openLedger(path: string | null, options: LedgerOptions = {}): MigrationLedger {
  const store = openStore(path, options.readOnly === true);
  const counts = zeroCounters();

  return {
    certificateLogin: (event) => count(counts, certificateLogin(store, event)),
    tokenOnlyLogin: (event) => {
      const result = tokenOnlyLogin(store, event);
      counts['token-only']! += 1;
      if (result.lockedBy !== null) counts['token-only-refused']! += 1;
      return result;
    },
    counters: () => ({ ...counts }),
    report: () => report(store.db),
    unmigrated: () => unmigrated(store.db),
    close: () => {
      if (store.db.isOpen) store.db.close();
    },
  };
}

function zeroCounters(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of CERT_LOGIN_KINDS) counts[kind] = 0;
  counts['token-only'] = 0;
  counts['token-only-refused'] = 0;
  return counts;
}

function count(counts: Record<string, number>, kind: CertLoginKind): CertLoginKind {
  counts[kind] = (counts[kind] ?? 0) + 1;
  return kind;
}

function certificateLogin(store: Store, event: CertificateLoginEvent): CertLoginKind {
  const at = (event.at ?? new Date()).toISOString();
  const tokenHash = store.hash(event.token);

  return transaction(store.db, () => {
    const kind = classify(store, event, tokenHash);

    store.db.prepare(`
      INSERT INTO devices (platform, name, first_cert_login, last_cert_login, cert_logins, last_kind)
      VALUES (:platform, :name, :at, :at, 1, :kind)
      ON CONFLICT (platform, name) DO UPDATE SET
        last_cert_login = :at, cert_logins = cert_logins + 1, last_kind = :kind`,
    ).run({ platform: event.platform, name: event.device, at, kind });

    rememberToken(store.db, { platform: event.platform, name: event.device }, tokenHash, at);
    return kind;
  });
}

/** Compares by hash only: the username and token themselves are never stored or compared raw. */
function classify(store: Store, event: CertificateLoginEvent, tokenHash: Uint8Array): CertLoginKind {
  if (event.sentUsername === null || event.sentUsername === '') return 'certificate-only';

  const sentHash = store.hash(event.sentUsername);
  if (Buffer.compare(sentHash, tokenHash) === 0) return 'own-token';

  const owner = ownerOf(store.db, sentHash);
  if (owner === null) return 'unknown-token';
  if (owner.platform === event.platform && owner.name === event.device) return 'own-token';
  return 'other-device-token';
}

/** Makes `hash` the device's current token; its earlier tokens stay with it, marked replaced. */
function rememberToken(db: DatabaseSync, device: TokenOwner, hash: Uint8Array, at: string): void {
  db.prepare(`
    UPDATE device_tokens SET current = 0, replaced_at = :at
    WHERE platform = :platform AND name = :name AND current = 1 AND hash <> :hash`,
  ).run({ ...device, hash, at });

  // A token that moves to another device (a renamed or re-created device) goes with it.
  db.prepare(`
    INSERT INTO device_tokens (hash, platform, name, current, first_seen) VALUES (:hash, :platform, :name, 1, :at)
    ON CONFLICT (hash) DO UPDATE SET platform = :platform, name = :name, current = 1, replaced_at = NULL`,
  ).run({ ...device, hash, at });
}

function tokenOnlyLogin(store: Store, event: TokenOnlyLoginEvent): { lockedBy: string | null } {
  if (event.username === null || event.username === '') return { lockedBy: null };

  const at = (event.at ?? new Date()).toISOString();
  const hash = store.hash(event.username);

  return transaction(store.db, () => {
    const owner = ownerOf(store.db, hash);
    const lockedBy = event.lockTokens && owner !== null ? owner.name : null;
    const refused = lockedBy === null ? 0 : 1;

    store.db.prepare(`
      INSERT INTO token_only (hash, logins, refused, first_at, last_at)
      VALUES (:hash, 1, :refused, :at, :at)
      ON CONFLICT (hash) DO UPDATE SET
        logins = logins + 1, refused = refused + :refused, last_at = :at`,
    ).run({ hash, refused, at });

    if (owner !== null) {
      store.db.prepare(`
        UPDATE devices SET token_only_count = token_only_count + 1, token_only_last = :at,
          token_only_refused = token_only_refused + :refused
        WHERE platform = :platform AND name = :name`,
      ).run({ ...owner, at, refused });
    }
    return { lockedBy };
  });
}

function ownerOf(db: DatabaseSync, hash: Uint8Array): TokenOwner | null {
  const row = db.prepare('SELECT platform, name FROM device_tokens WHERE hash = ?').get(hash) as TokenOwner | undefined;
  return row === undefined ? null : { platform: row.platform, name: row.name };
}

interface DeviceRow {
  platform: string;
  name: string;
  first_cert_login: string;
  last_cert_login: string;
  cert_logins: number;
  last_kind: CertLoginKind;
  token_only_count: number;
  token_only_last: string | null;
  token_only_refused: number;
  locked: number;
}

function report(db: DatabaseSync): DeviceState[] {
  const rows = db.prepare(`
    SELECT d.*, EXISTS (
      SELECT 1 FROM device_tokens t WHERE t.platform = d.platform AND t.name = d.name AND t.current = 1
    ) AS locked
    FROM devices d ORDER BY d.platform, d.name`,
  ).all() as unknown as DeviceRow[];

  return rows.map((row) => ({
    name: row.name,
    platform: row.platform,
    firstCertificateLogin: row.first_cert_login,
    lastCertificateLogin: row.last_cert_login,
    certificateLogins: row.cert_logins,
    lastKind: row.last_kind,
    locked: row.locked === 1,
    tokenOnlySince: { count: row.token_only_count, last: row.token_only_last, refused: row.token_only_refused },
  }));
}

function unmigrated(db: DatabaseSync): UnmigratedSummary {
  const row = db.prepare(`
    SELECT count(*) AS tokens, coalesce(sum(logins), 0) AS logins, max(last_at) AS last
    FROM token_only o WHERE NOT EXISTS (SELECT 1 FROM device_tokens t WHERE t.hash = o.hash)`,
  ).get() as { tokens: number; logins: number; last: string | null };
  return { tokens: row.tokens, logins: row.logins, last: row.last };
}

function transaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = body();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}
