// The migration ledger: every certificate-login kind, token-only locking, token changes,
// counters, persistence across reopen, read-only access beside a writer, and no token in the file.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, expect, onTestFinished, test } from 'vitest';
import { openLedger, SCHEMA_VERSION, type MigrationLedger } from '../../src/migration/index.ts';

const TB = 'tb-main';
const TOKEN_A = 'A1b2C3d4E5f6G7h8I9j0';
const TOKEN_B = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt';
const at = (minute: number): Date => new Date(Date.UTC(2025, 0, 1, 12, minute));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-ledger-'));
  dirs.push(dir);
  return join(dir, 'migration.db');
}

function open(path: string | null = null): MigrationLedger {
  const ledger = openLedger(path);
  onTestFinished(() => ledger.close());
  return ledger;
}

function migrate(ledger: MigrationLedger, device: string, token: string, sentUsername: string | null = null, minute = 0): string {
  return ledger.certificateLogin({ device, platform: TB, token, sentUsername, at: at(minute) });
}

test('a device that sends no username (or an empty one) is certificate-only', () => {
  const ledger = open();
  expect(migrate(ledger, 'TH-1', TOKEN_A, null)).toBe('certificate-only');
  expect(migrate(ledger, 'TH-1', TOKEN_A, '')).toBe('certificate-only');
});

test('a device that still sends its own token is own-token', () => {
  const ledger = open();
  expect(migrate(ledger, 'TH-1', TOKEN_A, TOKEN_A)).toBe('own-token');
});

test("a device that sends another known device's token is other-device-token", () => {
  const ledger = open();
  migrate(ledger, 'TH-2', TOKEN_B);
  expect(migrate(ledger, 'TH-1', TOKEN_A, TOKEN_B)).toBe('other-device-token');
});

test('a device that sends a username that is no known token is unknown-token', () => {
  const ledger = open();
  migrate(ledger, 'TH-2', TOKEN_B);
  expect(migrate(ledger, 'TH-1', TOKEN_A, 'whatever-user')).toBe('unknown-token');
});

test('the same name on two platforms is two devices', () => {
  const ledger = open();
  ledger.certificateLogin({ device: 'TH-1', platform: 'tb-a', token: TOKEN_A, sentUsername: null });
  ledger.certificateLogin({ device: 'TH-1', platform: 'tb-b', token: TOKEN_B, sentUsername: null });
  expect(ledger.report().map((d) => d.platform)).toEqual(['tb-a', 'tb-b']);
});

test('with lockTokens a token-only login with a migrated device token is refused and names the device', () => {
  const ledger = open();
  migrate(ledger, 'TH-1', TOKEN_A);

  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true })).toEqual({ lockedBy: 'TH-1' });
  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: false })).toEqual({ lockedBy: null });
  expect(ledger.tokenOnlyLogin({ username: TOKEN_B, lockTokens: true })).toEqual({ lockedBy: null });
  expect(ledger.tokenOnlyLogin({ username: null, lockTokens: true })).toEqual({ lockedBy: null });
});

test('a token seen token-only before the device migrates is not locked until it does', () => {
  const ledger = open();
  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true, at: at(1) }).lockedBy).toBeNull();
  expect(ledger.unmigrated()).toEqual({ tokens: 1, logins: 1, last: at(1).toISOString() });

  migrate(ledger, 'TH-1', TOKEN_A, null, 2);
  expect(ledger.unmigrated()).toEqual({ tokens: 0, logins: 0, last: null });
  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true, at: at(3) }).lockedBy).toBe('TH-1');
});

test('the report counts token-only logins with the device token since its migration, and refusals', () => {
  const ledger = open();
  ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: false, at: at(0) });
  migrate(ledger, 'TH-1', TOKEN_A, TOKEN_A, 1);
  migrate(ledger, 'TH-1', TOKEN_A, null, 5);
  ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: false, at: at(6) });
  ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true, at: at(7) });

  expect(ledger.report()).toEqual([{
    name: 'TH-1',
    platform: TB,
    firstCertificateLogin: at(1).toISOString(),
    lastCertificateLogin: at(5).toISOString(),
    certificateLogins: 2,
    lastKind: 'certificate-only',
    locked: true,
    tokenOnlySince: { count: 2, last: at(7).toISOString(), refused: 1 },
  }]);
});

test('when ThingsBoard regenerates a token the new one is current and the old one stays locked', () => {
  const ledger = open();
  const NEW_A = 'N3wT0kenAfterRegen01';
  migrate(ledger, 'TH-1', TOKEN_A);
  migrate(ledger, 'TH-1', NEW_A);

  expect(ledger.tokenOnlyLogin({ username: NEW_A, lockTokens: true }).lockedBy).toBe('TH-1');
  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true }).lockedBy).toBe('TH-1');
  expect(migrate(ledger, 'TH-1', NEW_A, TOKEN_A)).toBe('own-token');
  expect(migrate(ledger, 'TH-2', TOKEN_B, TOKEN_A)).toBe('other-device-token');
});

test('a token that moves to another device (re-created under a new name) locks in that name', () => {
  const ledger = open();
  migrate(ledger, 'TH-old', TOKEN_A);
  migrate(ledger, 'TH-new', TOKEN_A);

  expect(ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true }).lockedBy).toBe('TH-new');
  expect(ledger.report().map((d) => [d.name, d.locked])).toEqual([['TH-new', true], ['TH-old', false]]);
});

test('counters count certificate logins by kind, token-only logins and refusals since opening', () => {
  const ledger = open();
  migrate(ledger, 'TH-2', TOKEN_B);
  migrate(ledger, 'TH-1', TOKEN_A, TOKEN_A);
  migrate(ledger, 'TH-1', TOKEN_A, TOKEN_B);
  migrate(ledger, 'TH-1', TOKEN_A, 'nobody');
  ledger.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true });
  ledger.tokenOnlyLogin({ username: 'some-other', lockTokens: true });

  expect(ledger.counters()).toEqual({
    'certificate-only': 1, 'own-token': 1, 'other-device-token': 1, 'unknown-token': 1,
    'token-only': 2, 'token-only-refused': 1,
  });
});

test('an in-memory ledger forgets everything when closed', () => {
  const first = openLedger(null);
  migrate(first, 'TH-1', TOKEN_A);
  first.close();
  const second = open(null);
  expect(second.report()).toEqual([]);
  expect(second.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true }).lockedBy).toBeNull();
});

test('a file ledger survives close and reopen: the lock still holds and the history is kept', () => {
  const path = tempFile();
  const first = openLedger(path);
  migrate(first, 'TH-1', TOKEN_A, TOKEN_A, 1);
  first.tokenOnlyLogin({ username: TOKEN_B, lockTokens: true, at: at(2) });
  first.close();
  first.close(); // idempotent

  const second = open(path);
  expect(second.tokenOnlyLogin({ username: TOKEN_A, lockTokens: true }).lockedBy).toBe('TH-1');
  expect(migrate(second, 'TH-9', 'T9T9T9T9T9T9T9T9T9T9', TOKEN_A)).toBe('other-device-token');
  expect(second.report().find((d) => d.name === 'TH-1')).toMatchObject({ firstCertificateLogin: at(1).toISOString(), lastKind: 'own-token' });
  expect(second.unmigrated()).toMatchObject({ tokens: 1, logins: 1 });
  expect(second.counters()['token-only']).toBe(1); // counters start again at each open
});

test('the file is WAL, carries its schema version and is readable only by its owner', () => {
  const path = tempFile();
  open(path);
  const db = new DatabaseSync(path, { readOnly: true });
  onTestFinished(() => db.close());

  expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
  expect(db.prepare('SELECT max(version) AS v FROM schema_version').get()).toEqual({ v: SCHEMA_VERSION });
  expect(statSync(path).mode & 0o777).toBe(0o600);
});

test('a read-only ledger sees what the writing gate records while both are open', () => {
  const path = tempFile();
  const gate = open(path);
  migrate(gate, 'TH-1', TOKEN_A);
  const reader = openLedger(path, { readOnly: true });
  onTestFinished(() => reader.close());

  expect(reader.report().map((d) => d.name)).toEqual(['TH-1']);
  migrate(gate, 'TH-2', TOKEN_B);
  expect(reader.report().map((d) => d.name)).toEqual(['TH-1', 'TH-2']);
  expect(() => migrate(reader, 'TH-3', TOKEN_A)).toThrow();
});

test('opening read-only fails for a missing file, a foreign file, or a newer schema', () => {
  const path = tempFile();
  expect(() => openLedger(path, { readOnly: true })).toThrow(/cannot open/);

  writeFileSync(path, 'not a database at all');
  expect(() => openLedger(path, { readOnly: true })).toThrow(/cannot open/);

  const other = tempFile();
  const db = new DatabaseSync(other);
  db.exec('CREATE TABLE t (x)');
  db.close();
  expect(() => openLedger(other, { readOnly: true })).toThrow(/not a certgate migration ledger/);

  openLedger(other).close(); // upgrading an empty-of-ours file creates the schema
  const raw = new DatabaseSync(other);
  raw.prepare('INSERT INTO schema_version VALUES (?, ?)').run(SCHEMA_VERSION + 1, 'later');
  raw.close();
  expect(() => openLedger(other, { readOnly: true })).toThrow(/newer/);
  expect(() => openLedger(other)).toThrow(/newer/);
});

test('neither the database file nor its WAL ever contains a token (client ids are not stored at all)', () => {
  const path = tempFile();
  const ledger = openLedger(path);
  migrate(ledger, 'TH-1', TOKEN_A, TOKEN_A);
  migrate(ledger, 'TH-2', TOKEN_B, TOKEN_A);
  ledger.tokenOnlyLogin({ username: TOKEN_B, lockTokens: true });
  ledger.tokenOnlyLogin({ username: 'Q7q7Q7q7Q7q7Q7q7Q7q7', lockTokens: false });

  const search = (): string[] => {
    const dir = join(path, '..');
    const bytes = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
    return bytes.flatMap((b) => [TOKEN_A, TOKEN_B, 'Q7q7Q7q7Q7q7Q7q7Q7q7'].filter((t) => b.includes(t) || b.includes(Buffer.from(t, 'utf16le'))));
  };
  expect(search()).toEqual([]); // while open: the data sits in the -wal file
  ledger.close();
  expect(search()).toEqual([]); // after the checkpoint into the main file
  expect(readFileSync(path).includes('TH-1')).toBe(true); // the search does see plain text
});

test('hashes are salted per store: the same token hashes differently in two files, and not as bare SHA-256', async () => {
  const { createHash } = await import('node:crypto');
  const hashesIn = (path: string): string[] => {
    openLedger(path).close();
    const ledger = openLedger(path);
    migrate(ledger, 'TH-1', TOKEN_A);
    ledger.close();
    const db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare('SELECT hex(hash) AS h FROM device_tokens').all() as Array<{ h: string }>;
    db.close();
    return rows.map((r) => r.h.toLowerCase());
  };

  const [one, two] = [hashesIn(tempFile()), hashesIn(tempFile())];
  expect(one).toHaveLength(1);
  expect(one).not.toEqual(two);
  expect(one[0]).not.toBe(createHash('sha256').update(TOKEN_A).digest('hex'));
});
