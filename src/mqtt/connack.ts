// CONNACK (and MQTT 5 DISCONNECT) packets the gate writes itself, when it refuses a device before upstream is involved:
// the refusal kind from the error catalogue becomes the return code of the device's MQTT version.

import mqttPacket from 'mqtt-packet';
import type { Refusal } from '../errors.ts';
import type { ProtocolVersion } from './connect.ts';

/** [MQTT 3.1.1 return code, MQTT 5.0 reason code] for each refusal the device is told about. */
const CODES: Record<Exclude<Refusal, 'close'>, [number, number]> = {
  'not-authorized': [0x05, 0x87],
  'server-unavailable': [0x03, 0x88],
  'server-busy': [0x03, 0x89],
  'unsupported-protocol': [0x01, 0x84],
};

export function connackFor(refusal: Exclude<Refusal, 'close'>, version: ProtocolVersion): Buffer {
  const [legacy, v5] = CODES[refusal];
  const packet = version === 5
    ? { cmd: 'connack' as const, sessionPresent: false, reasonCode: v5 }
    : { cmd: 'connack' as const, sessionPresent: false, returnCode: legacy };
  return mqttPacket.generate(packet, { protocolVersion: version });
}

/** The return code of a CONNACK from upstream (byte 3 of the packet), or null when it is not one. */
export function connackCode(packet: Buffer): number | null {
  if (packet[0] !== 0x20 || packet.length < 4) return null;
  return packet[3]!;
}

/** An MQTT 5 DISCONNECT from the gate to the device, with a reason code. */
export function disconnectPacket(reasonCode: number): Buffer {
  return mqttPacket.generate({ cmd: 'disconnect', reasonCode }, { protocolVersion: 5 });
}
