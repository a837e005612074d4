import type { Summary } from '../analyze/summary.js';

/**
 * A capture's summary as stored beside its data (summary.json), for reading it back after the
 * data is gone. Summaries written by earlier versions name the capture's cost `capture.costUsd`;
 * it is read as `capture.actualUsd`, the one name flowdump writes.
 */
export function readStoredSummary(text: string): Summary {
  const summary = JSON.parse(text) as Summary & { capture?: Record<string, unknown> };
  const facts = summary.capture;
  if (facts !== null && typeof facts === 'object' && 'costUsd' in facts) {
    const { costUsd, ...rest } = facts;
    summary.capture = rest.actualUsd === undefined && typeof costUsd === 'number' ? { ...rest, actualUsd: costUsd } : rest;
  }
  return summary;
}
