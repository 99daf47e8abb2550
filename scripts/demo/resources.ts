// What the demo has started, stopped in reverse order. A signal can arrive at
// any point of the start-up: whatever is running then is stopped, and anything
// that finishes starting afterwards is stopped as soon as it is adopted.

/** Thrown by adopt() once stopping has begun: the start-up ends quietly. */
export class DemoStopped extends Error {
  constructor() {
    super('demo stopped');
  }
}

export class Resources {
  private readonly stops: Array<{ what: string; stop: () => Promise<void> }> = [];
  private stopping?: Promise<void>;

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Registers how to stop something that just started; if stopping has begun, stops it at once and throws DemoStopped. */
  async adopt(what: string, stop: () => Promise<void>): Promise<void> {
    if (this.stopping) {
      await stop().catch(() => {});
      throw new DemoStopped();
    }
    this.stops.push({ what, stop });
  }

  /** Stops everything adopted, newest first; a failing stop is reported and the rest still run. Idempotent. */
  stopAll(report: (msg: string) => void): Promise<void> {
    this.stopping ??= (async () => {
      for (let r = this.stops.pop(); r; r = this.stops.pop()) {
        try {
          await r.stop();
        } catch (e) {
          report(`stopping ${r.what} failed: ${(e as Error).message}`);
        }
      }
    })();
    return this.stopping;
  }
}
