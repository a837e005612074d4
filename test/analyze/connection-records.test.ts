import { describe, expect, it } from 'vitest';
import { collectConnectionRecords } from '../../src/analyze/connection-records.js';
import { analyzeSources } from '../../src/analyze/run.js';
import { HANDSHAKE_FIELDS, statusLine, tcp, textSource } from '../helpers/flow-lines.js';

const C = '10.0.1.10';
const S = '10.0.2.20';
const text = [
  HANDSHAKE_FIELDS,
  tcp(`${C}:40000`, `${S}:6379`, 2, { eni: 'eni-0client' }),
  tcp(`${C}:40001`, `${S}:5432`, 2),
  statusLine('NODATA', 0),
  tcp(`${S}:6379`, `${C}:40000`, 4, { eni: 'eni-0server' }),
  tcp(`${S}:5432`, `${C}:40001`, 18),
  '',
].join('\n');

describe('collectConnectionRecords (second pass)', () => {
  it('returns the records of the connections asked for by id, in input order, with the sending side and file:line', async () => {
    const { summary } = await analyzeSources([textSource('capture.log', text)]);
    const refused = summary.failures.find((f) => f.class === 'refused');
    expect(refused).toBeDefined();
    const found = await collectConnectionRecords([textSource('capture.log', text)], new Set([refused!.id]));
    expect([...found.keys()]).toEqual([refused!.id]);
    const records = found.get(refused!.id)!;
    expect(records.map((r) => [r.line, r.source, r.record['tcp-flags'], r.record['interface-id']])).toEqual([
      [2, 'capture.log', 2, 'eni-0client'],
      [5, 'capture.log', 4, 'eni-0server'],
    ]);
    expect(records[0].side).not.toBe(records[1].side);
  });

  it('an id that matches nothing yields nothing, and at most maxPerConnection records are kept', async () => {
    expect((await collectConnectionRecords([textSource('capture.log', text)], new Set(['00000000']))).size).toBe(0);
    const { summary } = await analyzeSources([textSource('capture.log', text)]);
    const id = summary.failures[0].id;
    const found = await collectConnectionRecords([textSource('capture.log', text)], new Set([id]), {}, 1);
    expect(found.get(id)).toHaveLength(1);
  });
});
