import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/show/reorder.js';

function run(window: number, max: number, input: [number, number, string][]) {
  const out: string[] = [];
  const buffer = new ReorderBuffer<string>(window, max, (item) => out.push(item));
  const releasedAfterPush: number[] = [];
  for (const [start, rank, name] of input) {
    buffer.push(start, rank, name);
    releasedAfterPush.push(out.length);
  }
  buffer.flush();
  return { out, late: buffer.late, releasedAfterPush };
}

describe('ReorderBuffer', () => {
  it('orders by start, then tie rank, then input order', () => {
    const { out, late } = run(60, 100, [
      [10, 3, 'fin'],
      [10, 1, 'synack'],
      [5, 2, 'early'],
      [10, 0, 'syn'],
      [10, 2, 'data-a'],
      [10, 2, 'data-b'],
    ]);
    expect(out).toEqual(['early', 'syn', 'synack', 'data-a', 'data-b', 'fin']);
    expect(late).toBe(0);
  });

  it('holds a record until one more than the window newer arrives, so the first lines come early', () => {
    const { out, releasedAfterPush } = run(60, 100, [
      [100, 2, 'a'],
      [130, 2, 'b'],
      [160, 2, 'c'], // a is exactly 60 s older: still held
      [161, 2, 'd'], // now a is more than 60 s older
      [300, 2, 'e'], // b, c, d fall out
    ]);
    expect(releasedAfterPush).toEqual([0, 0, 0, 1, 4]);
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('releases a record older than one already released at once, and counts it late', () => {
    const { out, late } = run(10, 100, [
      [100, 2, 'a'],
      [200, 2, 'b'], // releases a
      [150, 2, 'c'], // newer than the last released (100): held, not late
      [300, 2, 'd'], // releases c (150) and b (200)
      [120, 2, 'late'], // older than b, already printed
    ]);
    expect(out).toEqual(['a', 'c', 'b', 'late', 'd']);
    expect(late).toBe(1);
  });

  it('never holds more than maxBuffered records', () => {
    const { releasedAfterPush, out } = run(Number.POSITIVE_INFINITY, 2, [
      [5, 2, 'e'],
      [4, 2, 'd'],
      [3, 2, 'c'], // 3 held > 2: the oldest (c) goes
      [2, 2, 'b'], // late: older than c
      [9, 2, 'z'],
    ]);
    expect(releasedAfterPush).toEqual([0, 0, 1, 2, 3]);
    expect(out).toEqual(['c', 'b', 'd', 'e', 'z']);
  });

  it('sorts exactly with an infinite window and no bound', () => {
    const input: [number, number, string][] = Array.from({ length: 200 }, (_, i) => [(i * 7919) % 200, 2, String((i * 7919) % 200)]);
    const { out, late } = run(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, input);
    expect(out.map(Number)).toEqual([...Array(200).keys()]);
    expect(late).toBe(0);
  });

  it('passes records without a start time straight through', () => {
    const { out } = run(60, 100, [
      [100, 2, 'a'],
      [Number.NaN, 2, 'no-time'],
    ]);
    expect(out).toEqual(['no-time', 'a']);
  });
});
