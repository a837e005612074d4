/**
 * A fake clock with a sleep that the test advances: every sleeper (the runner and the captures
 * it started) waits on virtual time, and `drive` moves time to the next timer whenever all of
 * them are waiting. No real time passes, so nothing depends on how fast the machine is.
 */
interface Timer {
  at: number;
  resolve: () => void;
}

export class FakeTime {
  private nowMs: number;
  private timers: Timer[] = [];
  /** added to the next timer's deadline: a laptop that slept through it */
  private overshootMs = 0;
  readonly sleeps: number[] = [];

  constructor(start: string) {
    this.nowMs = Date.parse(start);
  }

  readonly clock = { now: () => new Date(this.nowMs) };

  now(): string {
    return new Date(this.nowMs).toISOString();
  }

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      this.sleeps.push(ms);
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.nowMs + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });

  /** The next time jump goes this much further (the machine was suspended). */
  overshootNext(ms: number): void {
    this.overshootMs = ms;
  }

  /** Runs `promise` to completion, advancing time whenever everything is asleep; `at` hooks fire when time reaches them. */
  async drive<T>(promise: Promise<T>, hooks: { at: string; run: () => void }[] = []): Promise<T> {
    let settled = false;
    const tracked = promise.finally(() => {
      settled = true;
    });
    const pending = [...hooks].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    for (let guard = 0; guard < 100_000; guard++) {
      await flush();
      if (settled) return tracked;
      const nextHook = pending[0] ? Date.parse(pending[0].at) : Infinity;
      const nextTimer = this.timers.reduce((min, t) => Math.min(min, t.at), Infinity);
      if (nextHook === Infinity && nextTimer === Infinity) {
        // nothing waits on virtual time: real I/O (a file being written) may still be pending
        if (await waitForIo(() => settled || this.timers.length > 0)) continue;
        throw new Error(`deadlock at ${this.now()}: nothing is sleeping and the run has not finished`);
      }
      if (nextHook <= nextTimer) {
        this.nowMs = Math.max(this.nowMs, nextHook);
        pending.shift()?.run();
        continue;
      }
      this.nowMs = Math.max(this.nowMs, nextTimer) + this.overshootMs;
      this.overshootMs = 0;
      const due = this.timers.filter((t) => t.at <= this.nowMs);
      this.timers = this.timers.filter((t) => t.at > this.nowMs);
      for (const timer of due) timer.resolve();
    }
    throw new Error('the fake clock ran 100000 steps without the run finishing');
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Gives real I/O up to ~2 s to make progress; true as soon as `progressed()` holds. */
async function waitForIo(progressed: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    if (progressed()) return true;
  }
  return false;
}
