import type { Clock } from '../../src/capture/clock.js';

/** A clock that only moves when told to, or when someone sleeps on it (tests). */
export class FakeClock implements Clock {
  private current: number;
  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(time: Date | string): void {
    this.current = new Date(time).getTime();
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    this.current += Math.max(0, ms);
    // let other promise chains run, as a real sleep would
    await new Promise((resolve) => setImmediate(resolve));
  }
}
