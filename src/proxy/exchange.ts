// Dials ThingsBoard's MQTT port, sends the rewritten CONNECT and waits for the CONNACK, bounded in
// time. Nothing the device sends after its CONNECT goes upstream before this answer.

import type { Socket } from 'node:net';
import type { MqttLimits, UpstreamConfig } from '../config/types.ts';
import { GateError } from '../errors.ts';
import { connackCode } from '../mqtt/connack.ts';
import { PacketReader } from '../mqtt/packet-reader.ts';
import { dialUpstream, type Endpoints } from '../upstream/dial.ts';

export interface Answer {
  upstream: Socket;
  /** The CONNACK as upstream sent it. */
  packet: Buffer;
  /** Whatever upstream sent right behind its CONNACK. */
  rest: Buffer;
  /** Its return code (3.1.1) or reason code (5.0). */
  code: number | null;
}

export async function exchangeConnect(upstream: UpstreamConfig, connect: Buffer, limits: MqttLimits, endpoints: Endpoints): Promise<Answer> {
  const socket = await dialUpstream(upstream, limits.upstreamConnectTimeoutSeconds * 1000, endpoints);
  const first = await awaitConnack(socket, connect, limits.connackTimeoutSeconds);
  return { upstream: socket, packet: first.packet, rest: first.rest, code: connackCode(first.packet) };
}

function awaitConnack(upstream: Socket, connect: Buffer, timeoutSeconds: number): Promise<{ packet: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const reader = new PacketReader(2, 1024);
    const timer = setTimeout(() => fail(`no CONNACK within ${timeoutSeconds} s`), timeoutSeconds * 1000);

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
