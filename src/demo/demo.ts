// `certgate demo`: a throw-away PKI, the stand-in ThingsBoard and a real gate on loopback ports,
// sample devices connecting through it, and one line per device saying what happened.

import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { Exit } from '../errors.ts';
import { createLogger } from '../log.ts';
import { startGate, type RunningGate } from '../proxy/gate.ts';
import { startStandin, type Standin } from '../standin/index.ts';
import { runDevice } from './demo-device.ts';
import { createFleet, type DeviceFiles, type Fleet } from './fleet.ts';

interface Scenario {
  device: string;
  story: string;
  files: DeviceFiles;
  username?: string;
  /** The ThingsBoard device whose telemetry should record the message; null: refused. */
  landsOn: string | null;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run certgate against a stand-in ThingsBoard with sample devices')
    .option('--keep', 'stay up afterwards and print how to connect with mosquitto_pub')
    .addHelpText('after', `
Everything runs on 127.0.0.1 with a certificate authority made for this run only.
Exit codes: 0 every device behaved as expected, 1 otherwise.`)
    .action(demo);
}

async function demo(flags: { keep?: boolean }): Promise<void> {
  const fleet = await createFleet();
  const tb = await startStandin({ username: 'certgate@example.com', password: 'demo-only-password' });
  tb.addProfile('thermostat');
  const token417 = tb.addDevice('TH-000417', { profile: 'thermostat' }).token!;
  tb.addDevice('TH-000418', { profile: 'thermostat' });
  tb.addDevice('TH-000420', { profile: 'thermostat' });

  const configPath = fleet.writeConfig({ upstreamPort: tb.mqttPort, platformUrl: tb.restUrl, platformUsername: tb.username, platformPassword: tb.password });
  const logPath = join(fleet.dir, 'certgate.log');
  const log = createLogger('info', createWriteStream(logPath));
  const gate = await startGate(await loadConfig(configPath), log);

  const scenarios = await buildScenarios(fleet, token417);
  print(`certgate demo: gate on 127.0.0.1:${gate.port}, stand-in ThingsBoard REST ${tb.restUrl}, MQTT 127.0.0.1:${tb.mqttPort}\n`);
  let failures = 0;
  for (const s of scenarios) failures += (await play(s, gate, fleet, tb)) ? 0 : 1;
  print(`\n${scenarios.length - failures} of ${scenarios.length} devices behaved as expected.`);
  if (failures > 0) print(`Gate log (kept, with the demo's files): ${logPath}`);

  if (flags.keep) await keepRunning(gate, fleet, tb, configPath);
  await gate.close();
  await tb.close();
  // The folder holds throw-away private keys and the stand-in's password: leave nothing behind,
  // unless something went wrong and its log is worth reading.
  if (failures === 0) rmSync(fleet.dir, { recursive: true, force: true });
  process.exitCode = failures === 0 ? Exit.ok : Exit.refused;
}

async function buildScenarios(fleet: Fleet, token417: string): Promise<Scenario[]> {
  const migrating = await fleet.device('TH-000417@IMEI-356482109825238', { file: 'TH-000417' });
  await fleet.device('TH-000418', { file: 'TH-000418-old' });
  const rotated = await fleet.device('TH-000418', { file: 'TH-000418' });
  const borrower = await fleet.device('TH-000420');
  const unknown = await fleet.device('TH-000999');
  const foreign = await fleet.device('TH-000417', { issuer: fleet.foreign, file: 'foreign-TH-000417' });

  return [
    { device: 'TH-000417', story: 'still sends its old token as username', files: migrating, username: 'legacy-token-abc', landsOn: 'TH-000417' },
    { device: 'TH-000418', story: 'certificate rotated (new key, new serial)', files: rotated, landsOn: 'TH-000418' },
    { device: 'TH-000420', story: "sends TH-000417's real token", files: borrower, username: token417, landsOn: 'TH-000420' },
    { device: 'TH-000999', story: 'not registered in ThingsBoard', files: unknown, landsOn: null },
    { device: 'TH-000417', story: 'certificate from a foreign CA', files: foreign, landsOn: null },
  ];
}

/** Connects one device, prints its line, and says whether the outcome was the expected one. */
async function play(s: Scenario, gate: RunningGate, fleet: Fleet, tb: Standin): Promise<boolean> {
  const before = s.landsOn ? tb.telemetry(s.landsOn).length : 0;
  const result = await runDevice({
    port: gate.port,
    ca: fleet.serverCa.certPem,
    cert: s.files.certPem,
    key: s.files.keyPem,
    clientId: s.device.toLowerCase(),
    ...(s.username ? { username: s.username } : {}),
  });

  const recorded = s.landsOn !== null && tb.telemetry(s.landsOn).length > before;
  const ok = s.landsOn === null ? result.connack !== 0 : result.connack === 0 && result.published && recorded;
  const outcome = result.connack === 0
    ? `accepted${s.username ? ', token replaced' : ''}${recorded ? `; telemetry recorded under ${s.landsOn}` : ''}`
    : `refused (CONNACK ${result.connack === null ? 'none' : `0x${result.connack.toString(16).padStart(2, '0')}`})`;
  print(`${ok ? 'ok  ' : 'FAIL'}  ${s.device.padEnd(10)} ${s.story.padEnd(42)} ${outcome}`);
  return ok;
}

async function keepRunning(gate: RunningGate, fleet: Fleet, tb: Standin, configPath: string): Promise<void> {
  const d = fleet.dir;
  print(`
The gate stays up (Ctrl-C to stop; its folder is removed then). Configuration: ${configPath}
Gate log: ${join(d, "certgate.log")}
Publish as TH-000417 through the gate with mosquitto_pub:

  mosquitto_pub -h 127.0.0.1 -p ${gate.port} --cafile ${d}/gate-ca.pem \\
    --cert ${d}/TH-000417.pem --key ${d}/TH-000417.key \\
    -i th-000417 -V mqttv311 -t v1/devices/me/telemetry -m '{"temperature":22.5}'

Every message the stand-in ThingsBoard records is printed below.`);

  let seen = tb.telemetry('TH-000417').length;
  const timer = setInterval(() => {
    const all = tb.telemetry('TH-000417');
    for (const record of all.slice(seen)) print(`stand-in ThingsBoard recorded for TH-000417: ${JSON.stringify(record.payload)}`);
    seen = all.length;
  }, 500);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(timer);
}

function print(line: string): void {
  process.stdout.write(line + '\n');
}
