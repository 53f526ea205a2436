// The ledger's SQLite file: opening it (WAL, owner-only permissions), its schema and the
// schema_version table that upgrades it in steps, and the per-store salt for token hashes.

import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/** The schema this code writes; a file with a higher version came from a newer certgate. */
export const SCHEMA_VERSION = 1;

/** Each entry takes the schema from version i to i + 1. Append; never edit a shipped step. */
const STEPS: readonly string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
   CREATE TABLE devices (
     platform TEXT NOT NULL,
     name TEXT NOT NULL,
     first_cert_login TEXT NOT NULL,
     last_cert_login TEXT NOT NULL,
     cert_logins INTEGER NOT NULL DEFAULT 0,
     last_kind TEXT NOT NULL,
     token_only_count INTEGER NOT NULL DEFAULT 0,
     token_only_last TEXT,
     token_only_refused INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (platform, name)
   );
   CREATE TABLE device_tokens (
     hash BLOB PRIMARY KEY,
     platform TEXT NOT NULL,
     name TEXT NOT NULL,
     current INTEGER NOT NULL,
     first_seen TEXT NOT NULL,
     replaced_at TEXT,
     FOREIGN KEY (platform, name) REFERENCES devices (platform, name)
   );
   CREATE INDEX device_tokens_by_device ON device_tokens (platform, name);
   CREATE TABLE token_only (
     hash BLOB PRIMARY KEY,
     logins INTEGER NOT NULL,
     refused INTEGER NOT NULL DEFAULT 0,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL,
     -- No longer written: a client id can itself be a credential (ThingsBoard's MQTT basic).
     last_client_id TEXT
   );`,
];

export class LedgerFileError extends Error {
  override readonly name = 'LedgerFileError';
}

// LIMITATION: tokens are hashed with one round of salted SHA-256, not a slow password hash. That
// is enough for ThingsBoard's generated 20-character random tokens, but whoever can read the file
// could test guesses quickly against short or hand-picked tokens; the file is therefore created
// readable by its owner only. Rotate such tokens rather than rely on the hash.
//
// LIMITATION: a read-only open (the report) of a WAL file whose writer is not running leaves
// empty -wal and -shm files behind, owned by whoever ran the report. Run the report as the gate's
// user, or the gate may fail to open the ledger at its next start.

export interface Store {
  db: DatabaseSync;
  /** Salted SHA-256 of a token: the only form in which a token reaches the file. */
  hash(token: string): Uint8Array;
}

/** Opens (creating when writable and missing) a ledger file, or an in-memory one for null. */
export function openStore(path: string | null, readOnly: boolean): Store {
  const db = openDatabase(path, readOnly);
  try {
    if (readOnly) checkVersion(db, path);
    else upgrade(db);
    const salt = readSalt(db, path);
    return { db, hash: (token) => createHash('sha256').update(salt).update(token, 'utf8').digest() };
  } catch (err) {
    db.close();
    throw err;
  }
}

function openDatabase(path: string | null, readOnly: boolean): DatabaseSync {
  if (path === null) return new DatabaseSync(':memory:');

  const created = !readOnly && !existsSync(path);
  let db: DatabaseSync;
  try {
    // A short wait: the gate is the only writer, so a lock is held only for a moment.
    db = new DatabaseSync(path, { readOnly, timeout: 1000, enableForeignKeyConstraints: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    throw new LedgerFileError(`${path}: cannot open the migration ledger: ${(err as Error).message}`, { cause: err });
  }
  // The file holds token hashes: keep it to the gate's own user. SQLite gives -wal and -shm the
  // database file's permissions.
  if (created) chmodSync(path, 0o600);
  if (!readOnly) db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  return db;
}

function currentVersion(db: DatabaseSync): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as { version: number | null } | undefined;
  return row?.version ?? 0;
}

function checkVersion(db: DatabaseSync, path: string | null): void {
  const version = currentVersion(db);
  if (version === 0) throw new LedgerFileError(`${path}: not a certgate migration ledger (no schema_version)`);
  if (version > SCHEMA_VERSION) {
    throw new LedgerFileError(`${path}: ledger schema version ${version} is newer than this certgate reads (${SCHEMA_VERSION})`);
  }
}

/** Brings the schema to SCHEMA_VERSION, one step per transaction, and creates the salt. */
function upgrade(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL)');
  const from = currentVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new LedgerFileError(`ledger schema version ${from} is newer than this certgate writes (${SCHEMA_VERSION})`);
  }

  for (let version = from; version < SCHEMA_VERSION; version++) {
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(STEPS[version]!);
      db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(version + 1, new Date().toISOString());
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)").run(randomBytes(32));
}

function readSalt(db: DatabaseSync, path: string | null): Uint8Array {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'salt'").get() as { value: unknown } | undefined;
  if (!(row?.value instanceof Uint8Array) || row.value.length < 16) {
    throw new LedgerFileError(`${path ?? ':memory:'}: the migration ledger has no usable salt`);
  }
  return row.value;
}
