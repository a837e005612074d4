import { fileURLToPath } from 'node:url';
import { analyzeSources } from '../../src/analyze/run.js';
import { localSources } from '../../src/analyze/sources.js';
import type { Summary } from '../../src/analyze/summary.js';

/**
 * Real summaries of three capture windows (test/fixtures/schedule/window-N.log, analyzed by the
 * real analyzer): window 1 all established; window 2 with 2 refused, 3 unanswered and 1 reset
 * (its worst minute 09:32 UTC); window 3 with 2 rejected.
 */
export async function windowSummaries(): Promise<Summary[]> {
  const summaries: Summary[] = [];
  for (const n of [1, 2, 3]) {
    const path = fileURLToPath(new URL(`../fixtures/schedule/window-${n}.log`, import.meta.url));
    summaries.push((await analyzeSources(await localSources([path]))).summary);
  }
  return summaries;
}
