// `certgate verify`: judges a certificate chain offline with the gate's own verifier, either
// against a configuration's routes or against anchors given on the command line.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildTrust, type Trust } from '../auth/index.ts';
import { readDerBlocks } from '../auth/load-files.ts';
import { verdictJson, verdictText } from '../auth/report.ts';
import type { LoadProblem } from '../auth/types.ts';
import type { RouteConfig, SubjectField } from '../config/types.ts';
import { loadConfig } from '../config/load.ts';
import { Exit, isGateError } from '../errors.ts';

interface VerifyFlags {
  config?: string;
  ca?: string[];
  intermediates?: string[];
  crl?: string[];
  eku?: string[];
  maxDepth?: string;
  subjectField?: string;
  pattern?: string;
  cert: string;
  at?: string;
  json?: boolean;
}

const FIELDS: SubjectField[] = ['CN', 'san:dns', 'san:uri', 'san:email', 'serialNumber', 'subject'];

/** Raised for a usage or configuration mistake: printed, exit 2. */
class UsageError extends Error {}

export function register(program: Command): void {
  program
    .command('verify')
    .description('judge a device certificate chain offline, as the gate would')
    .option('-c, --config <file>', 'use the routes of this configuration file')
    .option('--ca <file...>', 'trust anchor PEM files; every certificate in them is an anchor')
    .option('--intermediates <file...>', 'PEM files of intermediates that help build paths')
    .option('--crl <file...>', 'CRL files, PEM or DER')
    .option(
      '--eku <purpose...>',
      "required extended key usage, a name or OID; 'any' requires none (default clientAuth)",
    )
    .option('--max-depth <n>', 'most intermediates between leaf and anchor')
    .option(
      '--subject-field <field>',
      `what the pattern reads with --ca: ${FIELDS.join(', ')} (default CN)`,
    )
    .option('--pattern <regex>', 'subjectPattern with --ca (default: the whole value)')
    .requiredOption(
      '--cert <file>',
      'PEM file: the leaf first, optionally followed by the chain the device sends',
    )
    .option('--at <time>', 'ISO 8601 time to judge at (default: now)')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Either --config FILE, or --ca FILE... with the other route options.

Exit codes: 0 accepted, 1 refused, 2 usage or configuration error.`,
    )
    .action(verify);
}

async function verify(flags: VerifyFlags): Promise<void> {
  try {
    const at = parseTime(flags.at);
    const presented = readChain(flags.cert);
    const trust = flags.config ? await trustFromConfig(flags) : trustFromFlags(flags, at);

    const verdict = trust.judge(presented, at);
    const output = flags.json
      ? [JSON.stringify(verdictJson(verdict), null, 2)]
      : verdictText(verdict);
    process.stdout.write(output.join('\n') + '\n');
    process.exitCode = verdict.verdict === 'accepted' ? Exit.ok : Exit.refused;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`certgate verify: ${err.message}\n`);
    process.exitCode = Exit.usage;
  }
}

async function trustFromConfig(flags: VerifyFlags): Promise<Trust> {
  const routeFlags = [
    flags.ca,
    flags.intermediates,
    flags.crl,
    flags.eku,
    flags.maxDepth,
    flags.subjectField,
    flags.pattern,
  ];
  if (routeFlags.some((f) => f !== undefined)) {
    throw new UsageError(
      '--config cannot be combined with --ca, --intermediates, --crl, --eku, --max-depth, --subject-field or --pattern',
    );
  }

  try {
    return (await loadConfig(flags.config!, { requirePlatform: false })).trust;
  } catch (err) {
    if (isGateError(err) && err.code === 'CERTGATE_CONFIG_INVALID') {
      const problems = (err.detail['problems'] as LoadProblem[] | undefined) ?? [];
      throw new UsageError(
        [err.message, ...problems.map((p) => `  ${p.key}: ${p.message}`)].join('\n'),
      );
    }
    throw err;
  }
}

function trustFromFlags(flags: VerifyFlags, at: Date): Trust {
  if (!flags.ca || flags.ca.length === 0) {
    throw new UsageError('give either --config FILE or --ca FILE...');
  }

  const eku = flags.eku ?? ['clientAuth'];
  // Only the trust settings matter to buildTrust; the gate's other route keys stay unset.
  const route = {
    name: 'command line',
    trustAnchors: flags.ca.map((f) => resolve(f)),
    intermediates: (flags.intermediates ?? []).map((f) => resolve(f)),
    crls: (flags.crl ?? []).map((f) => resolve(f)),
    crlRequired: false,
    crlGraceSeconds: 0,
    requiredEku: eku.length === 1 && eku[0] === 'any' ? [] : eku,
    maxDepth: parseDepth(flags.maxDepth),
    deviceProfile: '',
    subjectField: parseField(flags.subjectField),
    subjectPattern: flags.pattern ?? '^(?<name>[\\s\\S]*)$',
  } as RouteConfig;

  const built = buildTrust([route], { now: () => at, keyPrefix: 'command line' });
  if (!built.trust) {
    throw new UsageError(built.problems.map((p) => flagName(p.key) + ': ' + p.message).join('\n'));
  }
  return built.trust;
}

/** `command line[0].trustAnchors[1]` → `--ca`, so problems speak in flag names. */
function flagName(key: string): string {
  const names: Record<string, string> = {
    trustAnchors: '--ca',
    intermediates: '--intermediates',
    crls: '--crl',
    requiredEku: '--eku',
    subjectPattern: '--pattern',
    maxDepth: '--max-depth',
  };
  const field = /^command line\[0\]\.(\w+)/.exec(key)?.[1] ?? '';
  return names[field] ?? key;
}

function readChain(file: string): Buffer[] {
  const blocks = readDerBlocks(resolve(file), '--cert', ['CERTIFICATE']);
  if (blocks.problems.length > 0) throw new UsageError(`--cert: ${blocks.problems[0]!.message}`);
  if (blocks.items.length === 0) throw new UsageError(`--cert: ${file}: no certificate found`);
  return blocks.items;
}

function parseTime(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new UsageError(`--at: '${value}' is not an ISO 8601 time`);
  }
  return at;
}

function parseDepth(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^\d+$/.test(value)) throw new UsageError(`--max-depth: '${value}' is not a whole number`);
  return Number(value);
}

function parseField(value: string | undefined): SubjectField {
  if (value === undefined) return 'CN';
  if (!FIELDS.includes(value as SubjectField)) {
    throw new UsageError(`--subject-field: '${value}' is not one of ${FIELDS.join(', ')}`);
  }
  return value as SubjectField;
}
