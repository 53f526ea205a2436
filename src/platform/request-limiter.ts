// A bound on REST requests in flight to one ThingsBoard: at most N at once, the rest wait in
// arrival order. A reconnect storm then queues inside certgate instead of flooding the platform.

export class RequestLimiter {
  readonly #max: number;
  readonly #waiting: Array<() => void> = [];
  #active = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active++;
    try {
      return await task();
    } finally {
      this.#active--;
      this.#waiting.shift()?.();
    }
  }
}
