// Reads a device's ThingsBoard credentials and turns them into what the gate writes into the
// CONNECT: an access token as username, or MQTT_BASIC's stored client id, user name and password.

import { GateError } from '../errors.ts';
import { platformError, type RestSession } from './rest-session.ts';

/** Secrets: never log these values. */
export type UpstreamCredentials =
  | { type: 'ACCESS_TOKEN'; token: string }
  | { type: 'MQTT_BASIC'; clientId: string | undefined; userName: string | undefined; password: string | undefined };

interface CredentialsJson {
  credentialsType?: string;
  credentialsId?: string;
  credentialsValue?: string | null;
}

export async function readCredentials(rest: RestSession, deviceId: string, name: string): Promise<UpstreamCredentials> {
  const res = await rest.call('GET', `/api/device/${encodeURIComponent(deviceId)}/credentials`);
  if (res.status !== 200) throw platformError(res, `reading the credentials of device '${name}'`);
  const body = res.body as CredentialsJson;

  if (body.credentialsType === 'ACCESS_TOKEN' && typeof body.credentialsId === 'string') {
    return { type: 'ACCESS_TOKEN', token: body.credentialsId };
  }
  if (body.credentialsType === 'MQTT_BASIC' && typeof body.credentialsValue === 'string') {
    return basic(body.credentialsValue, name);
  }
  throw new GateError(
    'CERTGATE_CREDENTIALS_UNSUPPORTED',
    `device '${name}' has credentials of type ${String(body.credentialsType)}, which only ThingsBoard's own TLS port accepts; ` +
      'give the device an access token (or MQTT basic credentials) in ThingsBoard so certgate can log it in',
    { device: name },
  );
}

/** MQTT_BASIC keeps its value as a JSON string: {"clientId","userName","password"}. */
function basic(value: string, name: string): UpstreamCredentials {
  let parsed: { clientId?: unknown; userName?: unknown; password?: unknown };
  try {
    parsed = JSON.parse(value) as typeof parsed;
  } catch {
    throw new GateError('CERTGATE_CREDENTIALS_UNSUPPORTED', `device '${name}' has MQTT_BASIC credentials certgate cannot read`, { device: name });
  }
  const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  return { type: 'MQTT_BASIC', clientId: text(parsed.clientId), userName: text(parsed.userName), password: text(parsed.password) };
}
