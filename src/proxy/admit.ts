// Decides whether a device gets in, as a list of steps: parse its CONNECT, judge its
// certificate, find its token, rewrite the CONNECT, dial ThingsBoard and wait for its CONNACK.

import type { Socket } from 'node:net';
import type { Trust } from '../auth/index.ts';
import type { Accepted } from '../auth/types.ts';
import type { MqttLimits, RouteConfig } from '../config/types.ts';
import { GateError, isGateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { connackCode } from '../mqtt/connack.ts';
import { parseConnect, rewriteCredentials, type ConnectInfo, type ProtocolVersion } from '../mqtt/connect.ts';
import { PacketReader } from '../mqtt/packet-reader.ts';
import type { DeviceDirectory } from '../platform/device-directory.ts';
import { dialUpstream, type UpstreamAddress } from '../upstream/dial.ts';

/** Everything a connection needs from the running gate. */
export interface GateContext {
  trust: Trust;
  directory: DeviceDirectory;
  routes: RouteConfig[];
  upstream: UpstreamAddress;
  limits: MqttLimits;
  log: Logger;
}

export interface Admission {
  kind: 'admitted';
  device: string;
  upstream: Socket;
  /** Upstream's CONNACK, to be relayed to the device as it is. */
  connack: Buffer;
  /** Whatever upstream sent right behind its CONNACK. */
  upstreamRest: Buffer;
  accepted: boolean;
}

export interface Refusal {
  kind: 'refused';
  error: GateError;
  /** The device's protocol version, once known: a CONNACK can then tell it why. */
  version: ProtocolVersion | null;
}

/** ThingsBoard's answers to a token it does not know: MQTT 3.x 0x05, MQTT 5 0x86 or 0x87. */
const BAD_CREDENTIALS = new Set([0x04, 0x05, 0x86, 0x87]);

/** `signal` aborts when the device goes away meanwhile: nothing is dialled for a device that left. */
export async function admit(packet: Buffer, presented: Buffer[], ctx: GateContext, log: Logger, signal: AbortSignal): Promise<Admission | Refusal> {
  let info: ConnectInfo | null = null;
  try {
    info = parseConnect(packet);
    const identity = judge(info, presented, ctx);
    const route = ctx.routes[identity.routeIndex]!;
    const device = await ctx.directory.resolve(identity.device, route.deviceProfile);
    const rewritten = rewriteCredentials(packet, info, device.token);

    signal.throwIfAborted();
    const upstream = await dialUpstream(ctx.upstream, ctx.limits.upstreamConnectTimeoutSeconds * 1000);
    const answer = await exchangeConnect(upstream, rewritten, ctx.limits);
    const code = connackCode(answer.packet);
    logAdmission(log, identity, info, code);
    if (code !== 0 && code !== null && BAD_CREDENTIALS.has(code)) ctx.directory.evict(identity.device);

    return { kind: 'admitted', device: identity.device, upstream, connack: answer.packet, upstreamRest: answer.rest, accepted: code === 0 };
  } catch (err) {
    const error = isGateError(err) ? err : new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `unexpected failure: ${(err as Error).message}`, {}, err);
    return { kind: 'refused', error, version: info?.version ?? null };
  }
}

/** The certificate judge's verdict; ThingsBoard's provisioning client id is never let through. */
function judge(info: ConnectInfo, presented: Buffer[], ctx: GateContext): Accepted {
  const verdict = ctx.trust.judge(presented);
  if (verdict.verdict === 'refused') {
    throw new GateError(verdict.code, verdict.reason, { route: verdict.route, device: verdict.device, leaf: verdict.leaf });
  }
  for (const warning of verdict.warnings) ctx.log.warn({ route: verdict.route, device: verdict.device }, warning);

  // A client id of `provision` switches ThingsBoard into its provisioning mode, bypassing the token.
  if (info.clientId === 'provision') {
    throw new GateError('CERTGATE_PROVISION_CLIENT_ID', "client id 'provision' is reserved by ThingsBoard's provisioning", { route: verdict.route, device: verdict.device });
  }
  return verdict;
}

/** Sends the rewritten CONNECT and waits for upstream's CONNACK, bounded in time. */
function exchangeConnect(upstream: Socket, connect: Buffer, limits: MqttLimits): Promise<{ packet: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const reader = new PacketReader(2, 1024);
    const timeoutMs = limits.connackTimeoutSeconds * 1000;
    const timer = setTimeout(() => fail(`no CONNACK within ${limits.connackTimeoutSeconds} s`), timeoutMs);

    function finish(): void {
      clearTimeout(timer);
      upstream.off('data', onData);
      upstream.off('error', onError);
      upstream.off('close', onClose);
      upstream.pause();
    }
    function fail(message: string): void {
      finish();
      upstream.destroy();
      reject(new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `upstream: ${message}`));
    }
    function onData(chunk: Buffer): void {
      try {
        const first = reader.push(chunk);
        if (first === null) return;
        finish();
        resolve(first);
      } catch (err) {
        fail(`answered the CONNECT with something other than a CONNACK (${(err as Error).message})`);
      }
    }
    const onError = (err: Error): void => fail(`socket error (${err.message})`);
    const onClose = (): void => fail('closed the connection before its CONNACK');

    upstream.on('data', onData);
    upstream.on('error', onError);
    upstream.on('close', onClose);
    upstream.write(connect);
  });
}

function logAdmission(log: Logger, identity: Accepted, info: ConnectInfo, code: number | null): void {
  const fields = {
    route: identity.route,
    device: identity.device,
    clientId: info.clientId,
    mqtt: info.version,
    serial: identity.leaf.serial,
    fingerprint: identity.leaf.fingerprint,
    // Whatever the device sent as credentials was discarded unread; only the fact is logged.
    deviceCredentialsDiscarded: info.hasUsername || info.hasPassword,
  };
  if (code === 0) log.info(fields, 'device admitted');
  else log.warn({ ...fields, connackCode: code }, 'ThingsBoard refused the rewritten CONNECT');
}
