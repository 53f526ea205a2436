// Which connection holds each ThingsBoard device right now. Two connections for one device (a
// cloned image, a re-issued certificate still installed somewhere) are reported, and one must go.

import { GateError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { GateMetrics } from '../metrics.ts';

/** What the registry needs of a live connection. */
export interface Session {
  readonly id: number;
  readonly peer: string;
  readonly fingerprint: string;
  /** Closes the connection because a newer one took the device over. */
  takenOver(): void;
}

export type DuplicatePolicy = 'newest-wins' | 'reject';

/** At most one duplicate warning per device per interval, so a flapping pair cannot flood the log. */
const WARN_INTERVAL_MS = 60_000;

export class SessionRegistry {
  readonly #policy: DuplicatePolicy;
  readonly #log: Logger;
  readonly #live = new Map<string, Session>();
  /** Devices being admitted right now, under the `reject` policy: a second one must wait its turn. */
  readonly #pending = new Set<string>();
  readonly #warned = new Map<string, number>();
  #duplicates = 0;

  readonly #metrics: GateMetrics;

  constructor(policy: DuplicatePolicy, log: Logger, metrics: GateMetrics) {
    this.#policy = policy;
    this.#log = log;
    this.#metrics = metrics;
  }

  /**
   * Before admission: with the `reject` policy a device already connected, or being admitted on
   * another connection, is refused; otherwise its place is held until claim() or abandon().
   */
  checkNewcomer(key: string, device: string): void {
    if (this.#policy !== 'reject') return;
    if (this.#live.has(key) || this.#pending.has(key)) {
      throw new GateError('CERTGATE_DUPLICATE_SESSION', `device '${device}' is already connected (duplicateSession: reject)`, { device });
    }
    this.#pending.add(key);
  }

  /** The admission held by checkNewcomer() did not end in a session. */
  abandon(key: string): void {
    this.#pending.delete(key);
  }

  /** After admission: the newcomer holds the device; an older session is closed. */
  claim(key: string, device: string, session: Session): void {
    this.#pending.delete(key);
    const previous = this.#live.get(key);
    this.#live.set(key, session);
    if (!previous || previous === session) return;

    this.#duplicates++;
    this.#metrics.sessionEvent('duplicate');
    this.#warnOnce(key, {
      device,
      existing: { conn: previous.id, peer: previous.peer, fingerprint: previous.fingerprint },
      new: { conn: session.id, peer: session.peer, fingerprint: session.fingerprint },
      duplicatesSinceStart: this.#duplicates,
    });
    previous.takenOver();
  }

  release(key: string, session: Session): void {
    if (this.#live.get(key) === session) this.#live.delete(key);
  }

  #warnOnce(key: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    if ((this.#warned.get(key) ?? 0) > now - WARN_INTERVAL_MS) return;
    if (this.#warned.size > 10_000) this.#warned.clear();
    this.#warned.set(key, now);
    this.#log.warn(fields, `duplicate session for ${String(fields.device)}: the newer connection takes over`);
  }
}
