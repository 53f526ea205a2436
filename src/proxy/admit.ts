// Decides whether a device gets in, as a list of steps: parse its CONNECT, judge its
// certificate, find its credentials, rewrite the CONNECT, dial ThingsBoard and wait for its CONNACK.

import type { Socket } from 'node:net';
import type { Trust } from '../auth/index.ts';
import type { Accepted } from '../auth/types.ts';
import type { MqttLimits, RouteConfig } from '../config/types.ts';
import { GateError, isGateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { GateMetrics } from '../metrics.ts';
import { parseConnect, rewriteConnect, type ConnectInfo, type ProtocolVersion, type Replacement } from '../mqtt/connect.ts';
import type { DeviceQuery, Lookup, UpstreamCredentials } from '../platform/device-directory.ts';
import type { Platform } from '../platform/platform.ts';
import type { Endpoints } from '../upstream/dial.ts';
import { exchangeConnect, type Answer } from './exchange.ts';
import type { SessionRegistry } from './sessions.ts';
import { recordCertificateFacts } from './facts.ts';
import { admitTokenOnly, type Migration } from './token-only.ts';

/** Everything a connection needs from the running gate. */
export interface GateContext {
  trust: Trust;
  platforms: Map<string, Platform>;
  routes: RouteConfig[];
  limits: MqttLimits;
  clientCertificate: 'required' | 'optional';
  migration: Migration;
  sessions: SessionRegistry;
  metrics: GateMetrics;
  log: Logger;
}

export interface Admission {
  kind: 'admitted';
  device: string;
  /** `platform/device` for certificate devices (one live session each); null for token-only ones. */
  sessionKey: string | null;
  fingerprint: string;
  version: ProtocolVersion;
  /** The device's keep alive in seconds (0: none). */
  keepalive: number;
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

/** ThingsBoard's answers to credentials it does not accept: MQTT 3.x 0x04/0x05, MQTT 5 0x86/0x87. */
const BAD_CREDENTIALS = new Set([0x04, 0x05, 0x86, 0x87]);

/** `signal` aborts when the device goes away meanwhile: nothing is dialled for a device that left. */
export async function admit(
  packet: Buffer, presented: Buffer[], endpoints: Endpoints, ctx: GateContext, log: Logger, signal: AbortSignal,
): Promise<Admission | Refusal> {
  let info: ConnectInfo | null = null;
  try {
    info = parseConnect(packet);
    if (presented.length === 0 && ctx.clientCertificate === 'optional') {
      return await admitTokenOnly(packet, info, endpoints, ctx, log, signal);
    }
    return await admitCertificate(packet, info, presented, endpoints, ctx, log, signal);
  } catch (err) {
    const error = isGateError(err) ? err : new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `unexpected failure: ${(err as Error).message}`, {}, err);
    return { kind: 'refused', error, version: info?.version ?? null };
  }
}

/** A device with a certificate: judge it, log it in upstream with its own credentials, record it. */
async function admitCertificate(
  packet: Buffer, info: ConnectInfo, presented: Buffer[], endpoints: Endpoints, ctx: GateContext, log: Logger, signal: AbortSignal,
): Promise<Admission> {
  const identity = judge(info, presented, ctx);
  const route = ctx.routes[identity.routeIndex]!;
  const platform = ctx.platforms.get(route.platform)!;
  const sessionKey = `${platform.config.name}/${identity.device}`;
  ctx.sessions.checkNewcomer(sessionKey, identity.device);

  const upstream = { packet, info, platform, endpoints, limits: ctx.limits, signal };
  const query = { profile: route.deviceProfile, provision: route.provision };
  const { lookup, answer } = await loginUpstream(upstream, identity.device, query, log).catch((err: unknown) => {
    ctx.sessions.abandon(sessionKey);
    throw err;
  });
  logAdmission(log, identity, info, answer.code, lookup.device.provisioned);
  if (answer.code === 0) recordAdmission(ctx, route, platform, lookup, identity, info, log);
  return admission(answer, info, { device: identity.device, sessionKey, fingerprint: identity.leaf.fingerprint });
}

/** The Admission for upstream's answer to a device's CONNECT. */
export function admission(answer: Answer, info: ConnectInfo, who: Pick<Admission, 'device' | 'sessionKey' | 'fingerprint'>): Admission {
  return {
    kind: 'admitted',
    ...who,
    version: info.version,
    keepalive: info.keepalive,
    upstream: answer.upstream,
    connack: answer.packet,
    upstreamRest: answer.rest,
    accepted: answer.code === 0,
  };
}

interface UpstreamLogin {
  packet: Buffer;
  info: ConnectInfo;
  platform: Platform;
  endpoints: Endpoints;
  limits: MqttLimits;
  signal: AbortSignal;
}

/**
 * Finds the device's credentials and logs it in upstream. A cached token ThingsBoard refuses was
 * changed there: it is fetched again and the login retried once, before the device sees anything.
 */
async function loginUpstream(up: UpstreamLogin, device: string, query: DeviceQuery, log: Logger): Promise<{ lookup: Lookup; answer: Answer }> {
  const directory = up.platform.directory;
  let lookup = await directory.resolve(device, query);
  let answer = await connectUpstream(up, lookup);

  if (lookup.fromCache && BAD_CREDENTIALS.has(answer.code ?? 0)) {
    answer.upstream.destroy();
    directory.evict(device);
    log.info({ device, connackCode: answer.code }, 'ThingsBoard refused the cached credentials; fetching them again');
    lookup = await directory.resolve(device, query);
    answer = await connectUpstream(up, lookup);
  }
  if (BAD_CREDENTIALS.has(answer.code ?? 0)) directory.evict(device);
  return { lookup, answer };
}

/** After CONNACK 0: the migration ledger, the metrics, and (if asked) the certificate's facts. */
function recordAdmission(ctx: GateContext, route: RouteConfig, platform: Platform, lookup: Lookup, identity: Accepted, info: ConnectInfo, log: Logger): void {
  const credentials = lookup.device.credentials;
  if (credentials.type === 'ACCESS_TOKEN') {
    const kind = ctx.migration.ledger.certificateLogin({ device: identity.device, platform: platform.config.name, token: credentials.token, sentUsername: info.username });
    ctx.metrics.certificateLogin(kind);
    if (kind !== 'certificate-only') log.info({ device: identity.device, migration: kind }, 'device still sends a username of its own');
  }
  if (route.provisionAttributes) recordCertificateFacts(platform, lookup.device, identity, log);
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

async function connectUpstream(up: UpstreamLogin, lookup: Lookup): Promise<Answer> {
  const rewritten = rewriteConnect(up.packet, up.info, replacementFor(lookup.device.credentials, lookup.device.name));
  up.signal.throwIfAborted();
  return exchangeConnect(up.platform.config.upstream, rewritten, up.limits, up.endpoints);
}

/**
 * ACCESS_TOKEN: the token as username, no password. MQTT_BASIC: ThingsBoard's stored client id,
 * user name and password, in place of the device's. When ThingsBoard stores no client id, the
 * device's name is sent as one: ThingsBoard first looks credentials up by client id and user name
 * together, so a client id the device chose could select another device's MQTT_BASIC entry.
 */
function replacementFor(credentials: UpstreamCredentials, device: string): Replacement {
  if (credentials.type === 'ACCESS_TOKEN') return { username: credentials.token };
  const replacement: Replacement = { clientId: credentials.clientId ?? device };
  if (credentials.userName !== undefined) replacement.username = credentials.userName;
  if (credentials.password !== undefined) replacement.password = credentials.password;
  return replacement;
}

function logAdmission(log: Logger, identity: Accepted, info: ConnectInfo, code: number | null, provisioned: boolean): void {
  const fields = {
    route: identity.route,
    device: identity.device,
    // No client id: ThingsBoard's MQTT basic credentials can use it as the secret.
    mqtt: info.version,
    serial: identity.leaf.serial,
    fingerprint: identity.leaf.fingerprint,
    // Whatever the device sent as credentials was discarded unread; only the fact is logged.
    deviceCredentialsDiscarded: info.hasUsername || info.hasPassword,
    ...(provisioned ? { provisioned } : {}),
  };
  if (code === 0) log.info(fields, 'device admitted');
  else log.warn({ ...fields, connackCode: code }, 'ThingsBoard refused the rewritten CONNECT');
}
