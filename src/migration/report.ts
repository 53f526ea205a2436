// The migration report: per-device rows and totals built from a ledger, as JSON or as text
// lines for an operator. Holds no token or hash; times are ISO 8601 as the ledger keeps them.

import { CERT_LOGIN_KINDS, type CertLoginKind, type DeviceState, type MigrationLedger } from './types.ts';

export interface ReportDevice extends Omit<DeviceState, 'locked'> {
  /** Token-only logins with its token are refused now: lockTokens is on and its token is held. Null: lockTokens unknown. */
  locked: boolean | null;
}

export interface ReportTotals {
  devices: number;
  byLastKind: Record<CertLoginKind, number>;
  locked: number | null;
  /** Token-only logins that used a migrated device's token after its migration, and how many were refused. */
  tokenOnlySince: number;
  tokenOnlyRefused: number;
  /** Token-only logins with tokens of devices not migrated yet (distinct tokens, logins, last one). */
  unmigratedTokens: number;
  unmigratedLogins: number;
  lastUnmigratedLogin: string | null;
  /** `migration.lockTokens` from the configuration; null when no configuration was given. */
  lockTokens: boolean | null;
}

export interface MigrationReport {
  devices: ReportDevice[];
  totals: ReportTotals;
}

export function buildReport(ledger: MigrationLedger, lockTokens: boolean | null): MigrationReport {
  const devices = ledger.report().map((d) => ({ ...d, locked: lockTokens === null ? null : lockTokens && d.locked }));
  const unmigrated = ledger.unmigrated();

  const byLastKind = Object.fromEntries(CERT_LOGIN_KINDS.map((k) => [k, 0])) as Record<CertLoginKind, number>;
  for (const d of devices) byLastKind[d.lastKind] += 1;

  const totals: ReportTotals = {
    devices: devices.length,
    byLastKind,
    locked: lockTokens === null ? null : devices.filter((d) => d.locked === true).length,
    tokenOnlySince: sum(devices.map((d) => d.tokenOnlySince.count)),
    tokenOnlyRefused: sum(devices.map((d) => d.tokenOnlySince.refused)),
    unmigratedTokens: unmigrated.tokens,
    unmigratedLogins: unmigrated.logins,
    lastUnmigratedLogin: unmigrated.last,
    lockTokens,
  };
  return { devices, totals };
}

const HEADER = ['DEVICE', 'PLATFORM', 'FIRST CERT LOGIN', 'LAST CERT LOGIN', 'LAST KIND', 'LOCKED', 'TOKEN-ONLY SINCE'];

/** One aligned line per device, then the totals. */
export function formatReport(report: MigrationReport): string[] {
  const rows = report.devices.map((d) => [
    d.name,
    d.platform,
    d.firstCertificateLogin,
    d.lastCertificateLogin,
    d.lastKind,
    d.locked === null ? '?' : d.locked ? 'yes' : 'no',
    tokenOnlyCell(d),
  ]);
  return [...table([HEADER, ...rows]), '', ...totalLines(report.totals)];
}

function tokenOnlyCell(d: ReportDevice): string {
  const { count, last, refused } = d.tokenOnlySince;
  if (count === 0) return '0';
  return `${count} (${refused} refused, last ${last ?? '?'})`;
}

function totalLines(t: ReportTotals): string[] {
  const kinds = CERT_LOGIN_KINDS.map((k) => `${t.byLastKind[k]} ${k}`).join(', ');
  const lock = t.lockTokens === null ? 'unknown (no --config given)' : t.lockTokens ? 'on' : 'off';
  const last = t.lastUnmigratedLogin === null ? '' : `, last ${t.lastUnmigratedLogin}`;
  return [
    `migrated devices: ${t.devices} (last login: ${kinds})`,
    `lockTokens: ${lock}${t.locked === null ? '' : `; ${t.locked} device tokens locked`}`,
    `token-only logins with migrated devices' tokens: ${t.tokenOnlySince} (${t.tokenOnlyRefused} refused)`,
    `still on tokens: ${t.unmigratedTokens} distinct tokens in ${t.unmigratedLogins} token-only logins${last}`,
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
