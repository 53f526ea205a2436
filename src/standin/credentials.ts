// TEST DOUBLE, not part of the gate. Device credentials as ThingsBoard stores them: how each
// type's credentialsId is derived and validated (thingsboard.md §3.1) and random tokens.

import { createHash, randomInt, randomUUID } from 'node:crypto';
import { badRequest } from './tb-errors.ts';

export type CredentialsType = 'ACCESS_TOKEN' | 'MQTT_BASIC' | 'X509_CERTIFICATE';

export interface BasicMqtt {
  clientId?: string;
  userName?: string;
  password?: string;
}

/** What a test or a REST create asks for; ACCESS_TOKEN without a token gets a random one. */
export type CredentialsSpec =
  | { type: 'ACCESS_TOKEN'; token?: string }
  | ({ type: 'MQTT_BASIC' } & BasicMqtt)
  | { type: 'X509_CERTIFICATE'; pem: string };

/** One device's credentials row. */
export interface StoredCredentials {
  id: string;
  createdTime: number;
  type: CredentialsType;
  credentialsId: string;
  credentialsValue: string | null;
  basic?: BasicMqtt;
  version: number;
}

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A random 20-character token like ThingsBoard's (lower case, as in its examples). */
export function randomToken(): string {
  let token = '';
  for (let i = 0; i < 20; i++) token += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return token;
}

/** ThingsBoard's `EncryptionUtil.getSha3Hash`: SHA3-256 of the text, lower-case hex. */
export function sha3Hex(text: string): string {
  return createHash('sha3-256').update(text, 'utf8').digest('hex');
}

/** The base64 body of the first certificate in a PEM, headers and line breaks removed. */
export function pemBody(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  const body = match?.[1] ?? pem;
  return body.replace(/[\r\n\s]/g, '');
}

/** The lookup key of MQTT_BASIC credentials (`DeviceCredentialsServiceImpl.formatCredentials`). */
export function basicCredentialsId(basic: BasicMqtt): string {
  if (!basic.clientId) return basic.userName ?? '';
  if (!basic.userName) return sha3Hex(basic.clientId);

  return sha3Hex(`${basic.clientId}|${basic.userName}`);
}

/** Builds a credentials row from a spec, with ThingsBoard's validation messages. */
export function buildCredentials(spec: CredentialsSpec, now = Date.now()): StoredCredentials {
  const row = { id: randomUUID(), createdTime: now, version: 1 };

  if (spec.type === 'ACCESS_TOKEN') {
    const token = spec.token ?? randomToken();
    if (token.trim() === '') throw badRequest('Device credentials id should be specified!');

    return { ...row, type: 'ACCESS_TOKEN', credentialsId: token, credentialsValue: null };
  }

  if (spec.type === 'X509_CERTIFICATE') {
    const body = pemBody(spec.pem);
    return {
      ...row,
      type: 'X509_CERTIFICATE',
      credentialsId: sha3Hex(body),
      credentialsValue: body,
    };
  }

  const basic = checkBasic(spec);
  const value = JSON.stringify({
    clientId: basic.clientId ?? null,
    userName: basic.userName ?? null,
    password: basic.password ?? null,
  });
  return {
    ...row,
    type: 'MQTT_BASIC',
    credentialsId: basicCredentialsId(basic),
    credentialsValue: value,
    basic,
  };
}

/** Parses the `credentialsValue` JSON string of an MQTT_BASIC create request. */
export function parseBasicValue(value: unknown): BasicMqtt {
  if (typeof value !== 'string') throw badRequest('Device credentials value should be specified!');

  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badRequest('Invalid credentials body for simple mqtt credentials!');
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw badRequest('Invalid credentials body for simple mqtt credentials!');
  }

  const fields = parsed as Record<string, unknown>;
  const text = (v: unknown): string | undefined =>
    typeof v === 'string' && v !== '' ? v : undefined;
  return {
    clientId: text(fields.clientId),
    userName: text(fields.userName),
    password: text(fields.password),
  };
}

function checkBasic(basic: BasicMqtt): BasicMqtt {
  const clean: BasicMqtt = {};
  if (basic.clientId) clean.clientId = basic.clientId;
  if (basic.userName) clean.userName = basic.userName;
  if (basic.password) clean.password = basic.password;

  if (!clean.clientId && !clean.userName) {
    throw badRequest('Both mqtt client id and user name are empty!');
  }
  if (clean.clientId && clean.password && !clean.userName) {
    throw badRequest('Password cannot be specified along with client id');
  }
  // eslint-disable-next-line no-control-regex
  if (Object.values(clean).some((v) => /[\u0000-\u001f\u007f]/.test(v))) {
    throw badRequest('Invalid credentials: control characters are not allowed');
  }
  return clean;
}
