// Live sessions: two connections of one device (C14), and a CRL reloaded while a revoked
// device is connected (C07): the session ends, new handshakes of it are refused, others go on.

import { afterEach, expect, test } from 'vitest';
import { createCrl } from '../../src/pki/throwaway-pki.ts';
import { connackOf, fleetOnce, mqttClient, startStack, type Stack } from '../helpers/stack.ts';

let stack: Stack | null = null;

afterEach(async () => {
  await stack?.close();
  stack = null;
});

test('a second connection of the same device takes over; the first hears 0x8E (MQTT 5); one warning', async () => {
  stack = await startStack();
  stack.tb.addDevice('TH-000443', { profile: 'thermostat' });
  const fleet = await fleetOnce();
  const old = await fleet.device('TH-000443', { file: 'dup-old' });
  const renewed = await fleet.device('TH-000443', { file: 'dup-new' });

  const first = await mqttClient(stack, old, { protocolVersion: 5, clientId: 'a' });
  const reason = new Promise<number | undefined>((resolve) => first.once('disconnect', (p) => resolve(p.reasonCode)));
  const second = await mqttClient(stack, renewed, { protocolVersion: 5, clientId: 'b' });
  expect(await reason).toBe(0x8e);
  await first.endAsync(true);
  await second.endAsync();

  const warnings = stack.logs.filter((l) => /duplicate session for TH-000443/.test(l.msg));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ existing: { fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) }, new: { fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) } });
});

test('with duplicateSession: reject, the newcomer is refused while the first stays', async () => {
  stack = await startStack({ patch: (c) => ({ ...c, mqtt: { duplicateSession: 'reject' } }) });
  stack.tb.addDevice('TH-000444', { profile: 'thermostat' });
  const device = await (await fleetOnce()).device('TH-000444', { file: 'dup-reject' });
  const first = await mqttClient(stack, device);
  expect(await connackOf(stack, device, 'second')).toBe(5);
  expect(first.connected).toBe(true);
  await first.endAsync();
});

test('with duplicateSession: reject, two simultaneous first connections of a device admit exactly one', async () => {
  stack = await startStack({ patch: (c) => ({ ...c, mqtt: { duplicateSession: 'reject' } }) });
  stack.tb.addDevice('TH-000445', { profile: 'thermostat' });
  stack.tb.rest.setLatency(100);
  const device = await (await fleetOnce()).device('TH-000445', { file: 'dup-race' });
  const codes = await Promise.all([connackOf(stack, device, 'r1'), connackOf(stack, device, 'r2')]);
  expect(codes.sort()).toEqual([0, 5]);
});

test('a reloaded CRL ends the revoked session, refuses its new handshakes, and keeps the others', async () => {
  const fleet = await fleetOnce();
  fleet.write('issuing-i1.crl', (await createCrl(fleet.issuing, { crlNumber: 1 })).pem);
  stack = await startStack({ patch: (c) => ({ ...c, routes: [{ ...(c.routes as object[])[0], crls: ['issuing-i1.crl'] }], revocation: { reloadSeconds: 0 } }) });
  stack.tb.addDevice('TH-000424', { profile: 'thermostat' });
  stack.tb.addDevice('TH-000425', { profile: 'thermostat' });
  const stolen = await fleet.device('TH-000424', { file: 'crl-stolen' });
  const fine = await fleet.device('TH-000425', { file: 'crl-fine' });

  const victim = await mqttClient(stack, stolen);
  const bystander = await mqttClient(stack, fine);
  const victimClosed = new Promise<void>((resolve) => victim.once('close', () => resolve()));
  fleet.write('issuing-i1.crl', (await createCrl(fleet.issuing, { crlNumber: 2, revoked: [{ serial: stolen.identity.serial }] })).pem);
  stack.gate.reloadCrls();
  await victimClosed;

  expect(bystander.connected).toBe(true);
  expect(await connackOf(stack, stolen, 'again')).toBe(5);
  expect(stack.logs.some((l) => l.code === 'CERTGATE_CERT_REVOKED' && /session closed/.test(l.msg))).toBe(true);
  await stack.tb.waitFor(() => stack!.logs.some((l) => l.msg === 'connection closed' && l.reason === 'CERTGATE_CERT_REVOKED'));

  // A truncated file keeps the previous CRLs: the revoked device stays out, the others get in.
  fleet.write('issuing-i1.crl', '-----BEGIN X509 CRL-----\nMIIB\n');
  stack.gate.reloadCrls();
  expect(await connackOf(stack, stolen, 'after-truncation')).toBe(5);
  expect(await connackOf(stack, fine, 'fine-after-truncation')).toBe(0);
  await victim.endAsync(true);
  await bystander.endAsync();
});
