// One ThingsBoard the gate serves: its REST session, its device directory and its MQTT port.
// At start it resolves the routes' profile names; while ThingsBoard cannot be reached it retries.

import type { CacheConfig, PlatformConfig } from '../config/types.ts';
import { GateError, isGateError } from '../errors.ts';
import { safeUrl, type Logger } from '../log.ts';
import { DeviceDirectory } from './device-directory.ts';
import type { WantedProfile } from './profiles.ts';
import { RestSession } from './rest-session.ts';

const RETRY_MS = 5_000;

export class Platform {
  readonly config: PlatformConfig;
  readonly rest: RestSession;
  readonly directory: DeviceDirectory;
  readonly #log: Logger;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;

  readonly #onFatal: (err: GateError) => void;

  /** `onFatal` hears of a configuration mistake ThingsBoard reveals only after a late start. */
  constructor(config: PlatformConfig, cache: CacheConfig, log: Logger, onFatal: (err: GateError) => void) {
    this.config = config;
    this.#onFatal = onFatal;
    this.#log = log.child({ platform: config.name, url: safeUrl(config.url) });
    this.rest = new RestSession(config, this.#log);
    this.directory = new DeviceDirectory(this.rest, cache, this.#log);
  }

  /**
   * Resolves `profiles` (names) to ids. A name ThingsBoard does not know throws
   * CERTGATE_CONFIG_INVALID; an unreachable ThingsBoard is retried in the background, and
   * devices of those profiles are told "server unavailable" meanwhile.
   */
  async start(profiles: WantedProfile[]): Promise<void> {
    try {
      await this.#load(profiles);
    } catch (err) {
      if (!isGateError(err) || err.fault !== 'platform') throw err;
      this.#log.warn({ code: err.code }, `ThingsBoard not reachable at start (${err.message}); retrying every ${RETRY_MS / 1000} s`);
      this.#scheduleRetry(profiles);
    }
  }

  /** Loads the profiles; ThingsBoard answering "wrong credentials" is a configuration mistake. */
  async #load(profiles: WantedProfile[]): Promise<void> {
    try {
      await this.directory.profiles.load(profiles);
      this.#log.info({ profiles: profiles.map((p) => p.name) }, 'device profiles resolved');
    } catch (err) {
      if (!isGateError(err) || err.code !== 'CERTGATE_PLATFORM_AUTH_FAILED') throw err;
      const key = this.config.name === 'default' ? 'platform' : `platforms.${this.config.name}`;
      throw new GateError('CERTGATE_CONFIG_INVALID', `${key}: ${err.message}; check its username and password (or API key)`, {
        problems: [{ key, message: err.message }],
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    await this.rest.close();
  }

  /** Retries until ThingsBoard answers; a configuration mistake it then reveals is fatal. */
  #scheduleRetry(profiles: WantedProfile[]): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#load(profiles).catch((err: Error) => {
        if (isGateError(err) && err.code === 'CERTGATE_CONFIG_INVALID') {
          this.#onFatal(err);
          return;
        }
        this.#log.warn(`resolving device profiles failed again: ${err.message}`);
        this.#scheduleRetry(profiles);
      });
    }, RETRY_MS);
  }
}
