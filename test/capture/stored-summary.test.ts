import { describe, expect, it } from 'vitest';
import { readStoredSummary } from '../../src/capture/stored-summary.js';

describe('readStoredSummary', () => {
  const base = { schema: 'flowdump.summary/v1', records: { total: 3 } };

  it('reads the cost of a summary written before actualUsd as actualUsd, under its one name', () => {
    const summary = readStoredSummary(JSON.stringify({ ...base, capture: { id: 'fd-1', costUsd: 0.0021 } }));
    expect(summary.capture).toEqual({ id: 'fd-1', actualUsd: 0.0021 });
  });

  it('keeps actualUsd where a summary has both names', () => {
    const summary = readStoredSummary(JSON.stringify({ ...base, capture: { id: 'fd-2', actualUsd: 0.5, costUsd: 0.5 } }));
    expect(summary.capture).toEqual({ id: 'fd-2', actualUsd: 0.5 });
  });

  it('leaves a summary without capture facts, or without a cost, as it was written', () => {
    expect(readStoredSummary(JSON.stringify(base))).toEqual(base);
    expect(readStoredSummary(JSON.stringify({ ...base, capture: { id: 'fd-3' } }))).toEqual({ ...base, capture: { id: 'fd-3' } });
  });
});
