import { describe, expect, it } from 'vitest';
import { FactWriter } from '../../src/analyze/fact-writer.js';
import { TCP_FACTS } from '../../src/layout.js';

/** A row whose numbers all say which row it is (row r: r * 100 + offset). */
function rowValues(r: number): number[] {
  return Array.from({ length: TCP_FACTS }, (_, k) => r * 100 + k);
}

/** A drain that keeps copies of what it is given, as the connection table or the parsing thread would take it. */
function recorder(next?: () => Float64Array | undefined) {
  const batches: { rows: number[][]; textKeys: [number, string][] }[] = [];
  const drain = (rows: Float64Array, count: number, textKeys: [number, string][]) => {
    const copy: number[][] = [];
    for (let r = 0; r < count; r++) copy.push([...rows.subarray(r * TCP_FACTS, (r + 1) * TCP_FACTS)]);
    batches.push({ rows: copy, textKeys: textKeys.map(([row, key]) => [row, key]) });
    return next?.();
  };
  /** every drained row in order, and each text key at its row's place in that order */
  const all = () => {
    const rows: number[][] = [];
    const keys: [number, string][] = [];
    for (const batch of batches) {
      for (const [row, key] of batch.textKeys) keys.push([rows.length + row, key]);
      rows.push(...batch.rows);
    }
    return { rows, keys };
  };
  return { batches, drain, all };
}

function writeRow(writer: FactWriter, r: number, textKey?: string): void {
  const at = writer.reserve(1);
  writer.rows.set(rowValues(r), at);
  writer.commitRow(textKey);
}

describe('FactWriter: the one owner of a batch of fact rows', () => {
  it('refuses a row beyond its reserve', () => {
    const { drain } = recorder();
    const writer = new FactWriter(new Float64Array(4 * TCP_FACTS), drain, { capacity: 4 });
    expect(() => writer.commitRow()).toThrow(/without a reserved row/);
    writer.reserve(2);
    writer.commitRow();
    writer.commitRow();
    expect(() => writer.commitRow()).toThrow(/without a reserved row/);
    expect(writer.rowCount).toBe(2);
    expect(() => writer.reserve(5)).toThrow(RangeError);
    expect(() => writer.reserve(-1)).toThrow(RangeError);
  });

  it('a reserve not committed is dropped by the next reserve, a flush or an append', () => {
    const { drain, all } = recorder();
    const writer = new FactWriter(new Float64Array(8 * TCP_FACTS), drain, { capacity: 8 });
    writeRow(writer, 0);
    writer.reserve(3); // written, never committed
    writer.rows.set(rowValues(99), TCP_FACTS);
    writeRow(writer, 1);
    writer.reserve(1);
    writer.append(new Float64Array(rowValues(2)), 1, []);
    expect(() => writer.commitRow()).toThrow(/without a reserved row/);
    writer.reserve(1);
    writer.flush();
    expect(() => writer.commitRow()).toThrow(/without a reserved row/);
    expect(all().rows).toEqual([rowValues(0), rowValues(1), rowValues(2)]);
  });

  it('refuses memory smaller than its capacity, and rows that are not in the source', () => {
    expect(() => new FactWriter(new Float64Array(3 * TCP_FACTS), () => undefined, { capacity: 4 })).toThrow(RangeError);
    const writer = new FactWriter(new Float64Array(4 * TCP_FACTS), () => undefined, { capacity: 4 });
    expect(() => writer.append(new Float64Array(2 * TCP_FACTS), 3, [])).toThrow(RangeError);
  });

  it('a fixed batch drains as soon as it is full; the rows drained are those written, in order, with their text keys, across batch boundaries', () => {
    const { batches, drain, all } = recorder();
    const writer = new FactWriter(new Float64Array(3 * TCP_FACTS), drain, { capacity: 3 });
    const expected: number[][] = [];
    const keys: [number, string][] = [];
    let r = 0;
    // rows one at a time (the tally's slow path), some with a text key
    for (; r < 4; r++) {
      writeRow(writer, r, r === 2 ? `key ${r}` : undefined);
      expected.push(rowValues(r));
      if (r === 2) keys.push([r, `key ${r}`]);
      // drained as the third row is committed, not later (the table applies what it was given before anything else happens)
      expect(batches.map((batch) => batch.rows.length)).toEqual(r < 2 ? [] : [3]);
    }
    // a batch of 8 rows copied in (the scanner's fast path, or a batch from the parsing thread), text keys at 0, 4 and 7
    const source = new Float64Array(8 * TCP_FACTS);
    for (let k = 0; k < 8; k++) source.set(rowValues(r + k), k * TCP_FACTS);
    writer.append(source, 8, [
      [0, 'a'],
      [4, 'b'],
      [7, 'c'],
    ]);
    for (let k = 0; k < 8; k++) expected.push(rowValues(r + k));
    keys.push([r, 'a'], [r + 4, 'b'], [r + 7, 'c']);
    r += 8;
    writeRow(writer, r, 'last');
    expected.push(rowValues(r));
    keys.push([r, 'last']);
    writer.flush();
    expect(batches.every((batch) => batch.rows.length <= 3)).toBe(true);
    expect(all()).toEqual({ rows: expected, keys });
    // a flush with nothing written still drains (an empty batch)
    writer.flush();
    expect(batches.at(-1)).toEqual({ rows: [], textKeys: [] });
  });

  it('a growing batch keeps every row until flushed, and goes on in the memory the drain gives it', () => {
    const given: Float64Array[] = [];
    const { batches, drain, all } = recorder(() => {
      const next = new Float64Array(2 * TCP_FACTS);
      given.push(next);
      return next;
    });
    const writer = new FactWriter(new Float64Array(2 * TCP_FACTS), drain);
    for (let r = 0; r < 5; r++) writeRow(writer, r, r === 4 ? 'x' : undefined);
    expect(batches).toEqual([]);
    expect(writer.rowCount).toBe(5);
    writer.flush();
    expect(writer.rows).toBe(given[0]);
    const source = new Float64Array(3 * TCP_FACTS);
    for (let k = 0; k < 3; k++) source.set(rowValues(5 + k), k * TCP_FACTS);
    writer.append(source, 3, [[1, 'y']]);
    writer.flush();
    expect(batches.map((batch) => batch.rows.length)).toEqual([5, 3]);
    expect(all()).toEqual({
      rows: Array.from({ length: 8 }, (_, r) => rowValues(r)),
      keys: [
        [4, 'x'],
        [6, 'y'],
      ],
    });
  });
});
