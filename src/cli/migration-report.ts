// `certgate migration-report`: reads the migration ledger (read-only, so it can run beside the
// gate) and prints one line per migrated device plus totals, or one JSON object with --json.

import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { Exit, isGateError } from '../errors.ts';
import { openLedger, type MigrationLedger } from '../migration/index.ts';
import { buildReport, formatReport } from '../migration/report.ts';

interface ReportFlags {
  config?: string;
  state?: string;
  json?: boolean;
}

/** The part of a loaded configuration this command reads; `migration` may be absent in older loaders. */
interface MigrationKeys {
  migration?: { stateFile?: string | null; lockTokens?: boolean };
}

interface Source {
  stateFile: string;
  lockTokens: boolean | null;
}

export function register(program: Command): void {
  program
    .command('migration-report')
    .description('show which devices have moved from tokens to certificates')
    .option('-c, --config <file>', 'JSON configuration file (reads migration.stateFile and migration.lockTokens)')
    .option('--state <file>', 'the ledger file itself (overrides migration.stateFile)')
    .option('--json', 'print one JSON object { devices, totals }')
    .addHelpText('after', `
The ledger is opened read-only, so the report can run while the gate is writing to it.
It holds token hashes only; the report prints neither tokens nor hashes.

Exit codes: 0 report printed, 2 configuration invalid or ledger missing or unreadable.`)
    .action(migrationReport);
}

async function migrationReport(flags: ReportFlags): Promise<void> {
  const source = await findSource(flags).catch(fail);
  if (source === null) return;

  const ledger = openForReading(source.stateFile);
  if (ledger === null) return;

  try {
    const report = buildReport(ledger, source.lockTokens);
    const text = flags.json === true ? JSON.stringify(report, null, 2) : formatReport(report).join('\n');
    process.stdout.write(`${text}\n`);
    process.exitCode = Exit.ok;
  } catch (err) {
    fail(err);
  } finally {
    ledger.close();
  }
}

function openForReading(stateFile: string): MigrationLedger | null {
  try {
    return openLedger(stateFile, { readOnly: true });
  } catch (err) {
    return fail(err);
  }
}

/** The ledger file and lockTokens, from --state and/or the configuration. */
async function findSource(flags: ReportFlags): Promise<Source | null> {
  if (flags.config === undefined && flags.state === undefined) {
    return usage('give --config <file> (with migration.stateFile) or --state <file>');
  }

  let stateFile = flags.state === undefined ? null : resolve(flags.state);
  let lockTokens: boolean | null = null;

  if (flags.config !== undefined) {
    const loaded = await loadConfig(flags.config, { requirePlatform: false });
    const migration = (loaded.config as MigrationKeys).migration;
    lockTokens = migration?.lockTokens ?? false;
    const configured = migration?.stateFile ?? null;
    // The loader resolves paths against the configuration's folder; do the same in case it did not.
    if (stateFile === null && configured !== null) stateFile = resolve(dirname(loaded.config.file), configured);
  }

  if (stateFile === null) return usage('migration.stateFile is not set in the configuration; give --state <file>');
  return { stateFile, lockTokens };
}

function usage(message: string): null {
  process.stderr.write(`certgate migration-report: ${message}\n`);
  process.exitCode = Exit.usage;
  return null;
}

/** Every failure here is the operator's input: a bad configuration or a missing or foreign file. */
function fail(err: unknown): null {
  const message = isGateError(err) || err instanceof Error ? err.message : String(err);
  return usage(message);
}
