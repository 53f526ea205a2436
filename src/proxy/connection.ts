// One device connection from the end of its TLS handshake to its close: read the CONNECT,
// admit or refuse the device, then pipe bytes both ways. Owns its sockets and its timers.

import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { GateError, isGateError } from '../errors.ts';
import { levelFor, type Logger } from '../log.ts';
import { connackFor, disconnectPacket } from '../mqtt/connack.ts';
import { UnsupportedProtocol, type ProtocolVersion } from '../mqtt/connect.ts';
import { PacketGuard } from '../mqtt/packet-guard.ts';
import { PacketReader, type FirstPacket } from '../mqtt/packet-reader.ts';
import { presentedChain } from '../tls/peer-chain.ts';
import { admit, type GateContext } from './admit.ts';
import type { Session } from './sessions.ts';

type State = 'reading-connect' | 'admitting' | 'piping' | 'closed';

/** After one side ends its half of the connection, how long the other gets to finish. */
const HALF_CLOSE_GRACE_MS = 5_000;
/** How long a refused device gets to read its CONNACK before the socket is destroyed. */
const REFUSAL_LINGER_MS = 1_000;
/** MQTT 5 DISCONNECT reason codes. */
const SESSION_TAKEN_OVER = 0x8e;
const ADMINISTRATIVE_ACTION = 0x98;

export class Connection implements Session {
  readonly id: number;
  readonly peer: string;
  fingerprint = '';
  readonly #device: TLSSocket;
  readonly #ctx: GateContext;
  readonly #log: Logger;
  readonly #startedAt = Date.now();
  readonly #onClosed: (conn: Connection) => void;
  #state: State = 'reading-connect';
  #upstream: Socket | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #gone = new AbortController();
  #deviceName: string | null = null;
  #sessionKey: string | null = null;
  /** Why the gate itself ended the connection, when it did: kept over the socket's own close. */
  #endReason: string | null = null;
  /** Why the connection closed, once it has. */
  #closeReason: string | null = null;
  #version: ProtocolVersion = 4;
  #keepalive = 0;
  #keepaliveTimer: NodeJS.Timeout | null = null;
  #presented: Buffer[] = [];
  #bytesUp = 0;
  #bytesDown = 0;

  constructor(id: number, device: TLSSocket, ctx: GateContext, onClosed: (conn: Connection) => void) {
    this.id = id;
    this.#device = device;
    this.#ctx = ctx;
    this.#onClosed = onClosed;
    this.peer = `${device.remoteAddress}:${device.remotePort}`;
    this.#log = ctx.log.child({ conn: id, peer: this.peer });
  }

  get deviceName(): string | null {
    return this.#deviceName;
  }

  /** Step 1: wait for a complete CONNECT, bounded in size and time. */
  start(): void {
    const reader = new PacketReader(1, this.#ctx.limits.maxConnectBytes);
    const onData = (chunk: Buffer): void => {
      let first: FirstPacket | null;
      try {
        first = reader.push(chunk);
      } catch (err) {
        this.#refuse(err, null);
        return;
      }
      if (first === null) return;
      this.#device.off('data', onData);
      this.#device.pause();
      void this.#admit(first);
    };

    this.#device.on('data', onData);
    this.#device.on('error', (err) => this.close(`device socket error: ${err.message}`));
    this.#device.on('close', () => this.close('device closed'));
    this.#arm(this.#ctx.limits.connectTimeoutSeconds * 1000, () =>
      this.#refuse(new GateError('CERTGATE_CONNECT_TIMEOUT', `no complete CONNECT within ${this.#ctx.limits.connectTimeoutSeconds} s`), null),
    );
  }

  /** Steps 2-6 (in admit.ts): judge the certificate, find the token, rewrite, dial, CONNACK. */
  async #admit(first: FirstPacket): Promise<void> {
    this.#state = 'admitting';
    this.#disarm();
    const presented = presentedChain(this.#device);
    this.#presented = presented;
    const endpoints = {
      remoteAddress: this.#device.remoteAddress ?? '',
      remotePort: this.#device.remotePort ?? 0,
      localAddress: this.#device.localAddress ?? '',
      localPort: this.#device.localPort ?? 0,
    };
    const admission = await admit(first.packet, presented, endpoints, this.#ctx, this.#log, this.#gone.signal);
    if (this.#isClosed()) {
      this.#log.info({ reason: this.#closeReason }, 'device left before its admission completed');
      if (admission.kind === 'admitted') {
        if (admission.sessionKey !== null) this.#ctx.sessions.abandon(admission.sessionKey);
        admission.upstream.destroy();
      }
      return;
    }
    if (admission.kind === 'refused') {
      this.#refuse(admission.error, admission.version);
      return;
    }

    this.#deviceName = admission.device;
    this.#upstream = admission.upstream;
    this.#version = admission.version;
    this.#keepalive = admission.keepalive;
    this.fingerprint = admission.fingerprint;
    this.#device.write(admission.connack);
    this.#ctx.metrics.outcome(!admission.accepted ? 'upstream-refused' : admission.sessionKey === null ? 'token-only' : 'admitted');
    if (!admission.accepted) {
      if (admission.sessionKey !== null) this.#ctx.sessions.abandon(admission.sessionKey);
      this.#endSoon('upstream refused the CONNECT');
      return;
    }
    if (admission.sessionKey !== null) {
      this.#sessionKey = admission.sessionKey;
      this.#ctx.sessions.claim(admission.sessionKey, admission.device, this);
    }
    this.#pipe(admission.upstream, first.rest, admission.upstreamRest);
  }

  /**
   * Step 7: bytes both ways; the pipelined packets first, in the order they came. The device's
   * direction goes through a PacketGuard, so a second CONNECT cannot log in as someone else.
   */
  #pipe(upstream: Socket, fromDevice: Buffer, fromUpstream: Buffer): void {
    this.#state = 'piping';
    const guard = new PacketGuard();
    const forward = (chunk: Buffer): void => {
      try {
        guard.check(chunk);
      } catch (err) {
        this.#log.info({ device: this.#deviceName, code: (err as GateError).code }, `closed: ${(err as Error).message}`);
        this.close((err as GateError).code);
        return;
      }
      this.#bytesUp += chunk.length;
      this.#keepaliveTimer?.refresh();
      if (!upstream.write(chunk)) {
        this.#device.pause();
        upstream.once('drain', () => this.#device.resume());
      }
    };

    if (fromUpstream.length > 0) this.#device.write(fromUpstream);
    if (fromDevice.length > 0) forward(fromDevice);
    upstream.on('data', (chunk: Buffer) => (this.#bytesDown += chunk.length));
    upstream.on('error', (err) => this.close(`upstream socket error: ${err.message}`));
    upstream.on('close', () => this.close('upstream closed'));
    upstream.on('end', () => this.#arm(HALF_CLOSE_GRACE_MS, () => this.close('upstream ended')));
    this.#device.on('data', forward);
    this.#device.on('end', () => {
      upstream.end();
      this.#arm(HALF_CLOSE_GRACE_MS, () => this.close('device ended'));
    });
    upstream.pipe(this.#device);
    this.#device.resume();
    this.#watchKeepalive();
  }

  /**
   * The gate is the device's MQTT server, so it closes a device silent for one and a half keep
   * alive periods [MQTT-3.1.2-24] (ThingsBoard itself does not): a vanished device then frees its
   * session, which matters most with `duplicateSession: reject`.
   */
  #watchKeepalive(): void {
    if (this.#keepalive === 0) return;
    // Refreshed by what the device sends, not by what it receives [MQTT-3.1.2-24].
    this.#keepaliveTimer = setTimeout(() => this.close('device keep alive expired'), this.#keepalive * 1500);
  }

  /** A newer connection took the device over: MQTT 5 devices hear why (0x8E) before the close. */
  takenOver(): void {
    if (this.#state !== 'piping') return;
    if (this.#version === 5) this.#device.write(disconnectPacket(SESSION_TAKEN_OVER));
    this.#log.info({ device: this.#deviceName }, 'session taken over by a newer connection of the same device');
    this.#endSoon('session taken over');
  }

  /**
   * After CRLs were reloaded: judge the chain this session was admitted with again, and close the
   * session when a certificate of it is now revoked. Returns true when it was closed.
   */
  recheckRevocation(): boolean {
    if (this.#state !== 'piping' || this.#presented.length === 0) return false;
    const verdict = this.#ctx.trust.judge(this.#presented);
    if (verdict.verdict === 'accepted' || verdict.code !== 'CERTGATE_CERT_REVOKED') return false;

    this.#log.info({ device: this.#deviceName, code: verdict.code }, `session closed: ${verdict.reason}`);
    if (this.#version === 5) this.#device.write(disconnectPacket(ADMINISTRATIVE_ACTION));
    this.#endSoon(verdict.code);
    return true;
  }

  /** Tell the device why (a CONNACK when it can understand one), log it, and close. */
  #refuse(err: unknown, version: 3 | 4 | 5 | null): void {
    if (this.#state === 'closed') return;
    const error = isGateError(err) ? err : new GateError('CERTGATE_UPSTREAM_UNAVAILABLE', `internal error: ${(err as Error).message}`);
    const level = isGateError(err) ? levelFor(error.fault) : 'error';
    this.#log[level]({ code: error.code, ...error.detail }, `refused: ${error.message}`);
    this.#ctx.metrics.refusal(error.code);

    const refusal = error.refusal;
    if (refusal === 'close') {
      this.close(error.code);
      return;
    }
    const answerIn = err instanceof UnsupportedProtocol ? (err.level === 5 ? 5 : 4) : version;
    if (answerIn === null) {
      this.close(error.code);
      return;
    }
    this.#device.write(connackFor(refusal, answerIn));
    this.#endSoon(error.code);
  }

  /** Ends the device's side now and closes within a second; the close is logged with `reason`. */
  #endSoon(reason: string): void {
    this.#endReason = reason;
    this.#device.end();
    this.#arm(REFUSAL_LINGER_MS, () => this.close(reason));
  }

  /** Idempotent: destroys both sockets, clears the timer and logs one closing line. */
  close(reason: string): void {
    if (this.#state === 'closed') return;
    const wasPiping = this.#state === 'piping';
    this.#state = 'closed';
    this.#closeReason = reason;
    this.#disarm();
    if (this.#keepaliveTimer !== null) clearTimeout(this.#keepaliveTimer);
    this.#gone.abort();
    this.#device.destroy();
    this.#upstream?.destroy();
    if (this.#sessionKey !== null) this.#ctx.sessions.release(this.#sessionKey, this);

    if (wasPiping) {
      const durationMs = Date.now() - this.#startedAt;
      this.#log.info({ device: this.#deviceName, reason: this.#endReason ?? reason, bytesUp: this.#bytesUp, bytesDown: this.#bytesDown, durationMs }, 'connection closed');
    }
    this.#onClosed(this);
  }

  /** The device may have gone while the admission awaited the platform. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #arm(ms: number, fire: () => void): void {
    this.#disarm();
    this.#timer = setTimeout(fire, ms);
  }

  #disarm(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
