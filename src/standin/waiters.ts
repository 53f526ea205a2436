// TEST DOUBLE, not part of the gate. Lets a test wait until the stand-in has seen something
// (a CONNECT, some telemetry) by polling a predicate; close() cancels every pending wait.

const POLL_MS = 10;

interface Pending {
  timer: NodeJS.Timeout;
  reject: (error: Error) => void;
}

export class Waiters {
  #pending = new Set<Pending>();

  /** Resolves once `predicate()` is true; rejects after `timeoutMs` or when closed. */
  waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return Promise.resolve();

    const deadline = Date.now() + timeoutMs;
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { timer: setInterval(check, POLL_MS), reject };
      this.#pending.add(pending);

      const finish = (error?: Error) => {
        clearInterval(pending.timer);
        this.#pending.delete(pending);
        if (error) reject(error);
        else resolve();
      };
      function check(): void {
        let met: boolean;
        try {
          met = predicate();
        } catch (error) {
          return finish(error instanceof Error ? error : new Error(String(error)));
        }

        if (met) finish();
        else if (Date.now() > deadline) {
          finish(new Error(`stand-in: condition not met within ${timeoutMs} ms`));
        }
      }
      pending.reject = (error) => finish(error);
    });
  }

  close(): void {
    for (const pending of [...this.#pending])
      pending.reject(new Error('stand-in: closed while waiting'));
  }
}
