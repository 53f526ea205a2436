// TEST DOUBLE, not part of the gate. How ThingsBoard authenticates an MQTT CONNECT on its plain
// port (thingsboard.md §3.3, §5.2) and the CONNACK code per protocol version (§5.3).

import type { IConnectPacket } from 'mqtt-packet';
import { sha3Hex } from './credentials.ts';
import type { Device, Store } from './store.ts';

/** ThingsBoard's internal reasons, each mapping to one CONNACK code per version. */
export type ConnectReason =
  | 'accepted'
  | 'bad-username-or-password'
  | 'identifier-rejected'
  | 'not-authorized'
  | 'server-unavailable'
  | 'rate-limited';

export interface ConnectVerdict {
  reason: ConnectReason;
  device?: Device;
  /** Client id or username `provision`: a provisioning-only session (§5.2 step 1). */
  provisioning: boolean;
}

const codes: Record<ConnectReason, { v3: number; v5: number }> = {
  accepted: { v3: 0x00, v5: 0x00 },
  'bad-username-or-password': { v3: 0x05, v5: 0x86 },
  'identifier-rejected': { v3: 0x02, v5: 0x85 },
  'not-authorized': { v3: 0x05, v5: 0x87 },
  'server-unavailable': { v3: 0x03, v5: 0x88 },
  'rate-limited': { v3: 0x03, v5: 0x9f },
};

/** The CONNACK return code (3.1, 3.1.1) or reason code (5.0) for a verdict. */
export function connackCode(reason: ConnectReason, protocolVersion: number): number {
  return protocolVersion === 5 ? codes[reason].v5 : codes[reason].v3;
}

/** Judges a CONNECT in ThingsBoard's order: provisioning, then username/password rules. */
export function judgeConnect(store: Store, packet: IConnectPacket): ConnectVerdict {
  const clientId = packet.clientId ?? '';
  const username = packet.username ?? '';
  const password = packet.password?.toString('utf8');

  if (username === 'provision' || clientId === 'provision') {
    return { reason: 'accepted', provisioning: true };
  }
  if (username === '') return judgeWithoutUsername(store, clientId, password);

  return judgeWithUsername(store, clientId, username, password);
}

/** No username: only a clientId-only MQTT_BASIC credential can match (§3.3 rule 1). */
function judgeWithoutUsername(
  store: Store,
  clientId: string,
  password: string | undefined,
): ConnectVerdict {
  if (password !== undefined) return refuse('bad-username-or-password');
  if (clientId === '') return refuse('not-authorized');

  const device = store.deviceByCredentialsId(sha3Hex(clientId));
  const basic = device?.credentials.basic;
  if (!device || device.credentials.type !== 'MQTT_BASIC' || basic?.userName) {
    return refuse('identifier-rejected');
  }

  return accept(device);
}

/** Username present: `clientId|username` MQTT_BASIC first, then the username as a credentialsId. */
function judgeWithUsername(
  store: Store,
  clientId: string,
  username: string,
  password?: string,
): ConnectVerdict {
  const pair =
    clientId === '' ? undefined : store.deviceByCredentialsId(sha3Hex(`${clientId}|${username}`));
  if (pair?.credentials.type === 'MQTT_BASIC') {
    const stored = pair.credentials.basic ?? {};
    if (stored.clientId !== clientId || stored.userName !== username) {
      return refuse('bad-username-or-password');
    }
    if (stored.password && stored.password !== password) return refuse('bad-username-or-password');
    return accept(pair);
  }

  const device = store.deviceByCredentialsId(username);
  if (device?.credentials.type === 'ACCESS_TOKEN') return accept(device);
  if (device?.credentials.type !== 'MQTT_BASIC') return refuse('bad-username-or-password');

  // A username-only MQTT_BASIC credential: its password must match if one is stored.
  const stored = device.credentials.basic ?? {};
  if (stored.clientId && stored.clientId !== clientId) return refuse('bad-username-or-password');
  if (stored.password && stored.password !== password) return refuse('bad-username-or-password');
  return accept(device);
}

function accept(device: Device): ConnectVerdict {
  return { reason: 'accepted', device, provisioning: false };
}

function refuse(reason: ConnectReason): ConnectVerdict {
  return { reason, provisioning: false };
}
