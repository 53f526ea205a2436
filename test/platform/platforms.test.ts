// ThingsBoard as real fleets use it: profiles checked at start, any-profile routes, MQTT_BASIC
// devices, provisioning on first connection, API keys, https and MQTT over TLS, PROXY protocol.

import { afterEach, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { startGate } from '../../src/proxy/gate.ts';
import { startStandin } from '../../src/standin/index.ts';
import { captureLog, connackOf, fleetOnce, startStack, type Stack } from '../helpers/stack.ts';
import { tlsForwarder } from '../helpers/tls-forwarder.ts';

let stack: Stack | null = null;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  await stack?.close();
  stack = null;
  for (const c of cleanups.splice(0)) await c();
});

const route0 = (c: Record<string, unknown>, patch: Record<string, unknown>) => ({ ...c, routes: [{ ...(c.routes as object[])[0], ...patch }] });

test('a route naming a profile ThingsBoard does not have stops the start with a configuration error', async () => {
  const fleet = await fleetOnce();
  const tb = await startStandin({ username: 'u@example.com', password: 'p' });
  cleanups.push(() => tb.close());
  const path = fleet.writeConfig({ upstreamPort: tb.mqttPort, platformUrl: tb.restUrl, platformUsername: tb.username, platformPassword: tb.password });
  const error = await startGate(await loadConfig(path), captureLog().logger).catch((e: { code: string; message: string }) => e);
  expect(error).toMatchObject({ code: 'CERTGATE_CONFIG_INVALID' });
  expect((error as { message: string }).message).toMatch(/no device profile named 'thermostat'/);
});

test('a wrong platform password stops the start with a configuration error, without the password', async () => {
  const fleet = await fleetOnce();
  const tb = await startStandin({ username: 'u@example.com', password: 'right-password' });
  cleanups.push(() => tb.close());
  tb.addProfile('thermostat');
  const path = fleet.writeConfig({ upstreamPort: tb.mqttPort, platformUrl: tb.restUrl, platformUsername: tb.username, platformPassword: 'wrong-password' });
  const error = await startGate(await loadConfig(path), captureLog().logger).catch((e: { code: string; message: string }) => e);
  expect(error).toMatchObject({ code: 'CERTGATE_CONFIG_INVALID' });
  expect((error as { message: string }).message).toMatch(/refused the login of 'u@example.com'/);
  expect((error as { message: string }).message).not.toContain('wrong-password');
});

test('ThingsBoard unreachable at start: the gate starts, answers "server unavailable", and admits devices once it is back', async () => {
  stack = await startStack();
  const fleet = await fleetOnce();
  stack.tb.addDevice('TH-000470', { profile: 'thermostat' });
  const device = await fleet.device('TH-000470');
  await stack.tb.rest.down();

  const path = stack.configPath;
  const capture = captureLog();
  const gate = await startGate(await loadConfig(path), capture.logger);
  cleanups.push(() => gate.close());
  const second = { ...stack, gate };
  expect(await connackOf(second, device, 'early')).toBe(3);

  await stack.tb.rest.up();
  await stack.tb.waitFor(() => capture.logs.some((l) => l.msg === 'device profiles resolved'), 10_000);
  expect(await connackOf(second, device, 'later')).toBe(0);
});

test('a profile ThingsBoard lacks, found only once it becomes reachable, stops the gate through onFatal', async () => {
  stack = await startStack();
  await stack.tb.rest.down();
  const path = stack.fleet.write('late.json', JSON.stringify({
    ...JSON.parse((await import('node:fs')).readFileSync(stack.configPath, 'utf8')),
    routes: [{ name: 'r', trustAnchors: ['issuing-i1.pem'], deviceProfile: 'thermostatz', subjectPattern: '(.*)' }],
  }));
  let fatal: { code: string; message: string } | null = null;
  const gate = await startGate(await loadConfig(path), captureLog().logger, { onFatal: (err) => (fatal = err) });
  cleanups.push(() => gate.close());

  await stack.tb.rest.up();
  await stack.tb.waitFor(() => fatal !== null, 10_000);
  expect(fatal).toMatchObject({ code: 'CERTGATE_CONFIG_INVALID', message: expect.stringMatching(/routes\[0\]\.deviceProfile: ThingsBoard has no device profile named 'thermostatz'/) });
});

test('deviceProfile "*" admits a device of any profile', async () => {
  stack = await startStack({ patch: (c) => route0(c, { deviceProfile: '*' }) });
  stack.tb.addDevice('TH-000471', { profile: 'meter' });
  expect(await connackOf(stack, await (await fleetOnce()).device('TH-000471'), 'any')).toBe(0);
});

test("MQTT_BASIC: ThingsBoard's stored client id, user name and password replace the device's", async () => {
  stack = await startStack();
  stack.tb.addDevice('TH-000472', { profile: 'thermostat', credentials: { type: 'MQTT_BASIC', clientId: 'tb-client-472', userName: 'tb-user-472', password: 'tb-pass-472' } });
  expect(await connackOf(stack, await (await fleetOnce()).device('TH-000472'), 'device-own-id', 'old-token')).toBe(0);
  const upstream = stack.tb.connects.at(-1)!;
  expect(upstream.packet).toMatchObject({ clientId: 'tb-client-472', username: 'tb-user-472' });
  expect(String(upstream.packet.password)).toBe('tb-pass-472');
  expect(stack.logText()).not.toContain('tb-pass-472');
});

test("MQTT_BASIC without a stored client id: a device cannot choose another device's client id to become it", async () => {
  stack = await startStack();
  stack.tb.addDevice('TH-000476', { profile: 'thermostat', credentials: { type: 'MQTT_BASIC', userName: 'shared-user', password: 'shared-pass' } });
  stack.tb.addDevice('TH-000477', { profile: 'thermostat', credentials: { type: 'MQTT_BASIC', clientId: 'b-id', userName: 'shared-user', password: 'shared-pass' } });
  expect(await connackOf(stack, await (await fleetOnce()).device('TH-000476'), 'b-id')).toBe(0);
  const upstream = stack.tb.connects.at(-1)!;
  expect(upstream.device).toBe('TH-000476');
  expect(upstream.packet.clientId).toBe('TH-000476');
});

test('provisioning: concurrent first connections of a new device create it once, with its certificate facts', async () => {
  stack = await startStack({ patch: (c) => route0(c, { provision: true, provisionAttributes: true }) });
  const device = await (await fleetOnce()).device('TH-000473@IMEI-356482109825238', { file: 'prov-473' });
  const codes = await Promise.all(Array.from({ length: 10 }, (_, i) => connackOf(stack!, device, `p${i}`)));
  expect(codes.every((c) => c === 0)).toBe(true);
  expect(stack.tb.rest.calls.create).toBe(1);
  expect(stack.tb.device('TH-000473')?.profile).toBe('thermostat');

  await stack.tb.waitFor(() => Object.keys(stack!.tb.serverAttributes('TH-000473')).length > 0);
  expect(stack.tb.serverAttributes('TH-000473')).toMatchObject({
    certFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    certSubjectRest: '@IMEI-356482109825238',
  });
});

test('an API key instead of a password, https with its own CA file, MQTT over TLS, and a PROXY v2 header', async () => {
  const fleet = await fleetOnce();
  const tb = await startStandin({ apiKeys: ['tb_demo-api-key-0123'], proxyProtocol: true });
  tb.addProfile('thermostat');
  tb.addDevice('TH-000474', { profile: 'thermostat' });
  const https = await tlsForwarder(fleet, Number(new URL(tb.restUrl).port));
  const mqtts = await tlsForwarder(fleet, tb.mqttPort);
  cleanups.push(() => tb.close(), () => https.close(), () => mqtts.close());

  const path = fleet.writeConfig({ upstreamPort: 1, platformUrl: 'http://unused', platformUsername: 'unused', platformPassword: 'unused' }, {
    platform: { url: `https://localhost:${https.port}`, apiKeyFile: fleet.write('api-key', 'tb_demo-api-key-0123\n'), caFile: 'gate-ca.pem' },
    upstream: { host: '127.0.0.1', port: mqtts.port, tls: true, caFile: 'gate-ca.pem', servername: 'localhost', proxyProtocol: 'v2' },
  });
  const capture = captureLog();
  const gate = await startGate(await loadConfig(path, { env: {} }), capture.logger);
  cleanups.push(() => gate.close());

  expect(await connackOf({ fleet, gate } as Stack, await fleet.device('TH-000474'), 'api-key')).toBe(0);
  expect(tb.rest.calls.login ?? 0).toBe(0);
  expect(tb.connects.at(-1)!.proxyHeader).toMatchObject({ sourceAddress: '127.0.0.1' });
  expect(capture.text()).not.toContain('tb_demo-api-key-0123');
});

test('two platforms: each route sends its devices to its own ThingsBoard', async () => {
  const fleet = await fleetOnce();
  const [a, b] = await Promise.all([startStandin({ password: 'pa' }), startStandin({ password: 'pb' })]);
  cleanups.push(() => a.close(), () => b.close());
  a.addProfile('thermostat');
  b.addProfile('meter');
  a.addDevice('TH-000475', { profile: 'thermostat' });
  b.addDevice('MT-000475', { profile: 'meter' });

  const platform = (tb: typeof a, pw: string) => ({
    url: tb.restUrl, username: tb.username, passwordFile: fleet.write(`pw-${pw}`, pw), upstream: { host: '127.0.0.1', port: tb.mqttPort },
  });
  const path = fleet.writeConfig({ upstreamPort: 1, platformUrl: 'http://unused', platformUsername: 'u', platformPassword: 'x' }, {
    platform: undefined,
    platforms: { 'tenant-a': platform(a, 'pa'), 'tenant-b': platform(b, 'pb') },
    routes: [
      { name: 'thermostats', platform: 'tenant-a', trustAnchors: ['issuing-i1.pem'], deviceProfile: 'thermostat', subjectPattern: '^(TH-\\d+)$' },
      { name: 'meters', platform: 'tenant-b', trustAnchors: ['sibling-i2.pem'], deviceProfile: 'meter', subjectPattern: '^(MT-\\d+)$' },
    ],
  });
  const gate = await startGate(await loadConfig(path, { env: {} }), captureLog().logger);
  cleanups.push(() => gate.close());

  const s = { fleet, gate } as Stack;
  expect(await connackOf(s, await fleet.device('TH-000475'), 'th')).toBe(0);
  expect(await connackOf(s, await fleet.device('MT-000475', { issuer: fleet.sibling }), 'mt')).toBe(0);
  expect(a.connects.map((c) => c.device)).toEqual(['TH-000475']);
  expect(b.connects.map((c) => c.device)).toEqual(['MT-000475']);
});

test('an anchor used by routes of two platforms is a configuration error unless both routes share it on purpose', async () => {
  const fleet = await fleetOnce();
  const platform = { url: 'http://127.0.0.1:1', username: 'u', passwordFile: fleet.write('pw-x', 'x'), upstream: { host: '127.0.0.1' } };
  const config = (share: boolean) => fleet.writeConfig({ upstreamPort: 1, platformUrl: 'http://unused', platformUsername: 'u', platformPassword: 'x' }, {
    platform: undefined,
    platforms: { one: platform, two: platform },
    routes: ['one', 'two'].map((p) => ({ name: p, platform: p, trustAnchors: ['issuing-i1.pem'], deviceProfile: 'thermostat', subjectPattern: '(.*)', shareAnchors: share })),
  });
  const error = await loadConfig(config(false), { env: {} }).catch((e: { detail: { problems: Array<{ key: string }> } }) => e);
  expect((error as { detail: { problems: Array<{ key: string }> } }).detail.problems.map((p) => p.key)).toContain('routes[1].trustAnchors');
  await expect(loadConfig(config(true), { env: {} })).resolves.toBeDefined();
});

test("an anchor of one platform issued below another platform's anchor is a configuration error", async () => {
  const fleet = await fleetOnce();
  const platform = { url: 'http://127.0.0.1:1', username: 'u', passwordFile: fleet.write('pw-y', 'y'), upstream: { host: '127.0.0.1' } };
  const path = fleet.writeConfig({ upstreamPort: 1, platformUrl: 'http://unused', platformUsername: 'u', platformPassword: 'x' }, {
    platform: undefined,
    platforms: { a: platform, b: platform },
    routes: [
      { name: 'fleet', platform: 'a', trustAnchors: ['root-r1.pem'], deviceProfile: 'thermostat', subjectPattern: '(.*)' },
      { name: 'meters', platform: 'b', trustAnchors: ['sibling-i2.pem'], deviceProfile: 'meter', subjectPattern: '(.*)' },
    ],
  });
  const error = await loadConfig(path, { env: {} }).catch((e: { detail: { problems: Array<{ key: string; message: string }> } }) => e);
  const problems = (error as { detail: { problems: Array<{ key: string; message: string }> } }).detail.problems;
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ key: 'routes[1].trustAnchors', message: expect.stringMatching(/Meter Issuing CA 1.*both platforms/) });
});
