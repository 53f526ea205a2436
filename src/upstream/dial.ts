// Opens the TCP connection to ThingsBoard's MQTT port, bounded by a timeout. A failure is
// the platform's fault, and the device is told "server unavailable" so it retries later.

import { connect, type Socket } from 'node:net';
import { GateError } from '../errors.ts';

export interface UpstreamAddress {
  host: string;
  port: number;
}

export function dialUpstream(address: UpstreamAddress, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port, noDelay: true });
    const where = `${address.host}:${address.port}`;

    const fail = (message: string, cause?: unknown): void => {
      socket.destroy();
      reject(new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `upstream ${where}: ${message}`, { upstream: where }, cause));
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(`connect failed (${err.code ?? err.message})`, err);

    socket.setTimeout(timeoutMs, () => fail(`no connection within ${timeoutMs} ms`));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}
