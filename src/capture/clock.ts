/**
 * Time as a dependency: expiry, settling and the live line are tested
 * with a fake clock; the CLI uses the system clock.
 */
export interface Clock {
  now(): Date;
  /** resolves after `ms` of this clock's time, or early when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: realSleep,
};

/**
 * A clock shifted by `offsetMs` and running `scale` times faster than real time (sleep
 * shrinks by the same factor). Only the test hooks FLOWDUMP_TEST_TIME_OFFSET and
 * FLOWDUMP_TEST_TIME_SCALE build one (see docs/testing.md); offset 0 and scale 1 is the system clock.
 */
export function scaledClock(offsetMs: number, scale: number, base: () => number = Date.now): Clock {
  const start = base();
  return {
    now: () => new Date(start + offsetMs + (base() - start) * scale),
    sleep: (ms, signal) => realSleep(ms / scale, signal),
  };
}
