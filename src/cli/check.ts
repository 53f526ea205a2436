// `certgate check`: loads everything the gate would load and prints what it found per route,
// with warnings for what expires soon. Exit 0 when the gate would start, 2 when it would not.

import type { Command } from 'commander';
import { readCertificates } from '../auth/load-files.ts';
import { summaryText } from '../auth/report.ts';
import { expiryWarnings } from '../auth/route-trust.ts';
import type { LoadProblem } from '../auth/types.ts';
import { loadConfig, type Loaded } from '../config/load.ts';
import { Exit, isGateError } from '../errors.ts';

interface CheckFlags {
  config: string;
  strict?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('check')
    .description('load the configuration as the gate would and report what it found')
    .requiredOption('-c, --config <file>', 'JSON configuration file')
    .option('--strict', 'exit 1 when there are warnings')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Warnings cover anchors, intermediates and the gate's own certificate that expire within 30
days, CRLs past or within a day of their nextUpdate, and anchors without a CRL.

Exit codes: 0 the gate would start, 1 warnings with --strict, 2 it would not start.`,
    )
    .action(check);
}

async function check(flags: CheckFlags): Promise<void> {
  let loaded: Loaded;
  try {
    loaded = await loadConfig(flags.config);
  } catch (err) {
    if (!isGateError(err) || err.code !== 'CERTGATE_CONFIG_INVALID') throw err;
    reportProblems(flags, err.message, (err.detail['problems'] as LoadProblem[] | undefined) ?? []);
    process.exitCode = Exit.usage;
    return;
  }

  const summary = loaded.trust.summary();
  const warnings = [...loaded.warnings, ...serverCertWarnings(loaded)];
  if (flags.json) {
    process.stdout.write(
      JSON.stringify({ ok: true, file: loaded.config.file, ...summary, warnings }, null, 2) + '\n',
    );
  } else {
    const lines = [
      `${loaded.config.file}: the gate would start`,
      ...summaryText(summary),
      ...warnings.map((w) => `warning: ${w}`),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  process.exitCode = flags.strict && warnings.length > 0 ? Exit.refused : Exit.ok;
}

function reportProblems(flags: CheckFlags, message: string, problems: LoadProblem[]): void {
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ok: false, message, problems }, null, 2) + '\n');
    return;
  }
  const lines = [
    `${message}`,
    ...problems.map((p) => `  ${p.key}: ${p.message}`),
    'the gate would not start',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** The gate's own TLS certificate: devices refuse it once it expires. */
function serverCertWarnings(loaded: Loaded): string[] {
  const read = readCertificates(loaded.config.tls.cert, 'tls.cert');
  const leaf = read.items[0];
  return leaf ? expiryWarnings(leaf, 'tls.cert', "gate's certificate", new Date()) : [];
}
