// `certgate run`: load the configuration, start the gate, and stop it cleanly on SIGINT/SIGTERM.

import { Option, type Command } from 'commander';
import { loadConfig, type Overrides } from '../config/load.ts';
import { Exit } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startGate } from '../proxy/gate.ts';

interface RunFlags {
  config: string;
  listen?: string;
  upstream?: string;
  platformUrl?: string;
  logLevel?: string;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('start the gate')
    .requiredOption('-c, --config <file>', 'JSON configuration file (required)')
    .option('--listen <host:port>', 'where devices connect (overrides listen.*)')
    .option('--upstream <host:port>', "ThingsBoard's MQTT port (overrides upstream.*)")
    .option('--platform-url <url>', "ThingsBoard's base URL for REST (overrides platform.url)")
    .addOption(new Option('--log-level <level>', 'log level (overrides logLevel)')
      .choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .addHelpText('after', `
The platform password comes from platform.passwordFile or the environment variable
CERTGATE_PLATFORM_PASSWORD, never from the command line. SIGHUP re-reads the CRL files.

Exit codes: 0 stopped cleanly, 1 failed while running, 2 usage or configuration error
(also when ThingsBoard, reachable only after the start, refuses a profile name or the login).`)
    .action(run);
}

async function run(flags: RunFlags): Promise<void> {
  const overrides: Overrides = {};
  if (flags.listen !== undefined) overrides.listen = flags.listen;
  if (flags.upstream !== undefined) overrides.upstream = flags.upstream;
  if (flags.platformUrl !== undefined) overrides.platformUrl = flags.platformUrl;
  if (flags.logLevel !== undefined) overrides.logLevel = flags.logLevel;

  const loaded = await loadConfig(flags.config, { overrides });
  const log = createLogger(loaded.config.logLevel);
  let stopping: ((code: number) => void) | null = null;
  const gate = await startGate(loaded, log, { onFatal: () => stopping?.(Exit.usage) });

  await new Promise<void>((resolve) => {
    stopping = (code: number): void => {
      process.exitCode = code;
      void gate.close().then(resolve);
    };
    const stop = (signal: string): void => {
      log.info({ signal }, 'shutting down');
      stopping!(Exit.ok);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading CRLs');
      gate.reloadCrls();
    });
  });
}
