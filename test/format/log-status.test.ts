import { describe, expect, it } from 'vitest';
import { collectConnectionRecords } from '../../src/analyze/connection-records.js';
import { analyzeSources, readSources } from '../../src/analyze/run.js';
import { compileExpression } from '../../src/filter/compile.js';
import { LogStatus, logStatusOf } from '../../src/format/log-status.js';
import { describeRecord } from '../../src/show/describe.js';
import { HANDSHAKE_FIELDS, statusLine, T0, tcp, textSource } from '../helpers/flow-lines.js';

/*
 * log-status has one rule (src/format/log-status.ts, docs/analyzer.md#log-status), and every
 * reader of records applies it: the summary's counts, the filter's `status` primitive, `show`'s
 * record kinds and the report's second pass over a connection's records.
 */

describe('logStatusOf', () => {
  it.each([
    ['OK', LogStatus.ok],
    ['NODATA', LogStatus.nodata],
    ['SKIPDATA', LogStatus.skipdata],
    // what AWS does not write: the first byte decides, N and S in capitals only
    ['nodata', LogStatus.ok],
    ['skipdata', LogStatus.ok],
    ['ok', LogStatus.ok],
    ['Ok', LogStatus.ok],
    ['OKAY', LogStatus.ok],
    ['-', LogStatus.ok],
    ['', LogStatus.ok],
    ['NOPE', LogStatus.nodata],
    ['S', LogStatus.skipdata],
  ])('%j is %d', (text, status) => {
    expect(logStatusOf(text)).toBe(status);
  });
});

describe('every reader of records judges log-status alike', () => {
  const C = '10.0.1.10';
  const S = '10.0.2.20';
  // one TCP connection per odd status (a SYN and its RST answer), and AWS's own NODATA/SKIPDATA
  const odd = ['ok', 'Ok', 'OKAY', '-', 'nodata', 'skipdata'];
  const lines = [
    HANDSHAKE_FIELDS,
    ...odd.flatMap((status, k) => [
      tcp(`${C}:${40000 + k}`, `${S}:5432`, 2, { status, at: k }),
      tcp(`${S}:5432`, `${C}:${40000 + k}`, 4, { status, at: k }),
    ]),
    statusLine('NODATA', 30),
    statusLine('SKIPDATA', 40),
    '',
  ];
  const text = lines.join('\n');
  const source = () => [textSource('odd.log', text)];

  it('the summary counts the odd statuses as OK records, and only AWS NODATA/SKIPDATA as blind spots', async () => {
    const { summary } = await analyzeSources(source());
    expect(summary.records.nodata).toBe(1);
    expect(summary.records.skipdata).toBe(1);
    expect(summary.records.tcp).toBe(odd.length * 2);
    expect(summary.tcp.refused).toBe(odd.length);
  });

  it('the filter and show agree with the summary', async () => {
    const matches = { ok: 0, nodata: 0, skipdata: 0 };
    const kinds: string[] = [];
    const filters = { ok: compileExpression('status ok')!, nodata: compileExpression('status nodata')!, skipdata: compileExpression('status skipdata')! };
    await readSources(
      source(),
      {
        record(view) {
          for (const name of ['ok', 'nodata', 'skipdata'] as const) if (filters[name](view)) matches[name]++;
          kinds.push(describeRecord(view).kind);
        },
        malformed() {
          throw new Error('no line here is malformed');
        },
      },
      {},
      () => undefined,
    );
    expect(matches).toEqual({ ok: odd.length * 2, nodata: 1, skipdata: 1 });
    expect(kinds.filter((kind) => kind === 'tcp')).toHaveLength(odd.length * 2);
    expect(kinds.filter((kind) => kind === 'nodata' || kind === 'skipdata')).toEqual(['nodata', 'skipdata']);
  });

  it("the report's second pass finds the records of every connection the summary judged", async () => {
    const { summary } = await analyzeSources(source());
    const ids = new Set(summary.failures.map((failure) => failure.id));
    expect(ids.size).toBe(odd.length);
    const found = await collectConnectionRecords(source(), ids);
    expect([...ids].map((id) => found.get(id)?.length ?? 0)).toEqual(odd.map(() => 2));
  });

  it('without a log-status field, a record whose addresses and ports are all `-` is NODATA for every reader', async () => {
    const header = 'version interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action';
    const noStatus = [header, `2 eni-0a - - - - 6 - - ${T0} ${T0 + 60} -`, `2 eni-0a ${C} ${S} 40000 5432 6 1 60 ${T0} ${T0 + 10} ACCEPT`, ''].join('\n');
    const { summary } = await analyzeSources([textSource('plain.log', noStatus)]);
    expect(summary.records.nodata).toBe(1);
    const kinds: string[] = [];
    const nodata = compileExpression('status nodata')!;
    const matched: boolean[] = [];
    await readSources(
      [textSource('plain.log', noStatus)],
      {
        record(view) {
          kinds.push(describeRecord(view).kind);
          matched.push(nodata(view));
        },
        malformed() {},
      },
      {},
      () => undefined,
    );
    expect(kinds).toEqual(['nodata', 'tcp']);
    expect(matched).toEqual([true, false]);
  });
});
