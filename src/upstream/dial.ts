// Opens the connection to ThingsBoard's MQTT port: plain TCP or TLS, bounded by a timeout, and
// started with a PROXY protocol header when configured. A failure is the platform's fault.

import { readFileSync } from 'node:fs';
import { connect as tcpConnect, isIPv6, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import * as proxyProtocol from 'proxy-protocol-js';
import type { UpstreamConfig } from '../config/types.ts';
import { GateError } from '../errors.ts';

/** The device's and the gate's addresses, for the PROXY header. */
export interface Endpoints {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

const caCache = new Map<string, Buffer>();

export function dialUpstream(upstream: UpstreamConfig, timeoutMs: number, endpoints: Endpoints): Promise<Socket> {
  const where = `${upstream.host}:${upstream.port}`;
  return new Promise((resolve, reject) => {
    const socket = open(upstream);
    const ready = upstream.tls ? 'secureConnect' : 'connect';

    const fail = (message: string, cause?: unknown): void => {
      socket.destroy();
      reject(new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `upstream ${where}: ${message}`, { upstream: where }, cause));
    };
    const onError = (err: NodeJS.ErrnoException): void => fail(`connect failed (${err.code ?? err.message})`, err);

    socket.setTimeout(timeoutMs, () => fail(`no connection within ${timeoutMs} ms`));
    socket.once('error', onError);
    socket.once(ready, () => {
      socket.setTimeout(0);
      socket.off('error', onError);
      if (upstream.proxyProtocol !== 'off') socket.write(proxyHeader(upstream.proxyProtocol, endpoints));
      resolve(socket);
    });
  });
}

function open(upstream: UpstreamConfig): Socket {
  if (!upstream.tls) return tcpConnect({ host: upstream.host, port: upstream.port, noDelay: true });
  const socket = tlsConnect({
    host: upstream.host,
    port: upstream.port,
    servername: upstream.servername ?? upstream.host,
    ...(upstream.caFile ? { ca: readCa(upstream.caFile) } : {}),
  });
  socket.setNoDelay(true);
  return socket;
}

function readCa(path: string): Buffer {
  let ca = caCache.get(path);
  if (!ca) caCache.set(path, (ca = readFileSync(path)));
  return ca;
}

/** ThingsBoard reads the device's address from it (`MQTT_PROXY_PROTOCOL_ENABLED`). */
export function proxyHeader(version: 'v1' | 'v2', e: Endpoints): Buffer {
  const src = plainAddress(e.remoteAddress);
  const dst = plainAddress(e.localAddress);
  const v6 = isIPv6(src) || isIPv6(dst);

  if (version === 'v1') {
    const family = v6 ? proxyProtocol.INETProtocol.TCP6 : proxyProtocol.INETProtocol.TCP4;
    const text = new proxyProtocol.V1ProxyProtocol(family, new proxyProtocol.Peer(src, e.remotePort), new proxyProtocol.Peer(dst, e.localPort)).build();
    return Buffer.from(text, 'ascii');
  }

  const address = v6
    ? new proxyProtocol.IPv6ProxyAddress(proxyProtocol.IPv6Address.createFrom(ipv6Words(src)), e.remotePort, proxyProtocol.IPv6Address.createFrom(ipv6Words(dst)), e.localPort)
    : new proxyProtocol.IPv4ProxyAddress(proxyProtocol.IPv4Address.createFrom(ipv4Bytes(src)), e.remotePort, proxyProtocol.IPv4Address.createFrom(ipv4Bytes(dst)), e.localPort);
  const header = new proxyProtocol.V2ProxyProtocol(proxyProtocol.Command.PROXY, proxyProtocol.TransportProtocol.STREAM, address).build();
  return Buffer.from(header);
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack socket) as `127.0.0.1`. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

function ipv6Words(address: string): number[] {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string): number[] => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const left = parts(head);
  const right = parts(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}
