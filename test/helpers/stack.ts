// A whole stack on loopback for end-to-end tests: a throw-away fleet PKI, the stand-in
// ThingsBoard, and a real gate started from a real configuration file, with its log captured.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { loadConfig } from '../../src/config/load.ts';
import { createFleet, type DeviceFiles, type Fleet } from '../../src/demo/fleet.ts';
import { createLogger } from '../../src/log.ts';
import { startGate, type RunningGate } from '../../src/proxy/gate.ts';
import { startStandin, type Standin, type StandinOptions } from '../../src/standin/index.ts';

export interface Stack {
  fleet: Fleet;
  tb: Standin;
  gate: RunningGate;
  configPath: string;
  /** Every log line the gate wrote, parsed. */
  logs: Array<Record<string, unknown> & { msg: string }>;
  /** The raw log text, to search for secrets. */
  logText(): string;
  close(): Promise<void>;
}

export interface StackOptions {
  patch?: (config: Record<string, unknown>) => Record<string, unknown>;
  fleet?: Fleet;
  standin?: StandinOptions;
  /** Profiles to create in the stand-in before the gate starts (default: thermostat, meter). */
  profiles?: string[];
}

let sharedFleet: Promise<Fleet> | null = null;

/** One fleet PKI per test file is enough; key generation is the slow part. */
export function fleetOnce(): Promise<Fleet> {
  return (sharedFleet ??= freshFleet());
}

/** A new fleet, inside the run's temporary folder (test/helpers/global-setup.ts), removed at the end. */
export function freshFleet(): Promise<Fleet> {
  const parent = process.env.CERTGATE_TEST_TMP ?? tmpdir();
  return createFleet(mkdtempSync(join(parent, 'fleet-')));
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const fleet = options.fleet ?? (await fleetOnce());
  const tb = await startStandin({ username: 'certgate@example.com', password: 'pa55-word-never-logged', ...options.standin });
  for (const profile of options.profiles ?? ['thermostat', 'meter']) tb.addProfile(profile);

  const settings = { upstreamPort: tb.mqttPort, platformUrl: tb.restUrl, platformUsername: tb.username, platformPassword: tb.password };
  let configPath = fleet.writeConfig(settings);
  if (options.patch) {
    const { readFileSync } = await import('node:fs');
    const base = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    configPath = fleet.write('certgate.json', JSON.stringify(options.patch(base), null, 2));
  }

  const capture = captureLog();
  const gate = await startGate(await loadConfig(configPath), capture.logger);

  return {
    fleet, tb, gate, configPath, logs: capture.logs,
    logText: capture.text,
    close: async () => {
      await gate.close();
      await tb.close();
    },
  };
}

/** A debug-level logger whose lines are kept, parsed and as text. */
export function captureLog(): { logger: ReturnType<typeof createLogger>; logs: Stack['logs']; text: () => string } {
  let text = '';
  const logs: Stack['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('debug', sink), logs, text: () => text };
}

export interface ClientOptions {
  protocolVersion?: 4 | 5;
  clientId?: string;
  username?: string;
  password?: string;
  keepalive?: number;
}

/** An MQTT.js client through the gate with a device certificate; resolves once CONNACK 0 arrives. */
export function mqttClient(stack: Stack, device: DeviceFiles | null, options: ClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${stack.gate.port}`, {
    ca: stack.fleet.serverCa.certPem,
    ...(device ? { cert: device.certPem, key: device.keyPem } : {}),
    servername: 'localhost',
    protocolVersion: options.protocolVersion ?? 4,
    clientId: options.clientId ?? 'test-client',
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...(options.keepalive !== undefined ? { keepalive: options.keepalive } : {}),
  });
}

/** A raw TLS connection to the gate, for tests that write MQTT bytes by hand. */
export function rawDevice(stack: Stack, device: DeviceFiles | null): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: stack.gate.port,
      ca: stack.fleet.serverCa.certPem,
      ...(device ? { cert: device.certPem, key: device.keyPem } : {}),
      servername: 'localhost',
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a socket receives until it closes (or the timeout passes). */
export function collect(socket: TLSSocket, timeoutMs = 5_000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.once('close', () => done(true));
  });
}

/**
 * One device connection by hand: TLS, CONNECT, and the CONNACK code (null when the gate closed
 * without one). Lighter than MQTT.js, for tests that open many connections at once.
 */
export async function connackOf(stack: Stack, device: DeviceFiles | null, clientId: string, username?: string): Promise<number | null> {
  const socket = await rawDevice(stack, device);
  const received = collect(socket, 15_000);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolVersion: 4, clientId, clean: true, keepalive: 30, ...(username ? { username } : {}) }));
  const answer = await Promise.race([received, firstBytes(socket, 4)]);
  socket.destroy();
  const data = answer.data;
  return data.length >= 4 && data[0] === 0x20 ? data[3]! : null;
}

function firstBytes(socket: TLSSocket, count: number): Promise<{ data: Buffer }> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= count) resolve({ data });
    });
  });
}
