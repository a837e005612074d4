import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { localSources } from '../../src/analyze/sources.js';
import { UsageError } from '../../src/errors.js';
import { compileExpression } from '../../src/filter/compile.js';
import { parseConnectionTarget, traceConnection } from '../../src/show/connection.js';
import { INCIDENT, memorySources } from '../helpers/records.js';

describe('show --connection', () => {
  it("gives every connection of the example the verdict analyze gives it, with all its records", async () => {
    const { table, summary } = await analyzeSources(await localSources([INCIDENT]));
    expect(table.connectionCount).toBe(244);
    const failures = new Map(summary.failures.map((f) => [f.id, f]));
    const classes = new Map<string, number>();
    const memory = memorySources([INCIDENT]);
    for (let i = 0; i < table.connectionCount; i++) {
      const { verdict: _v, ...expected } = table.connection(i);
      // the files decompressed once, in memory: 244 passes over the disk would only test zlib
      const trace = await traceConnection(i % 50 === 0 ? await localSources([INCIDENT]) : memory, { id: expected.id });
      expect(trace.matches).toBe(1);
      const { verdict: _w, ...actual } = trace.report!;
      expect(actual).toEqual(expected);
      // the failures list computes low confidence on its own: it must agree too
      const listed = failures.get(expected.id);
      if (listed) expect(actual).toEqual(listed);
      expect(trace.records).toHaveLength(expected.records);
      for (let k = 1; k < trace.records.length; k++) {
        expect(trace.records[k - 1].shown.start! <= trace.records[k].shown.start!).toBe(true);
      }
      classes.set(actual.class, (classes.get(actual.class) ?? 0) + 1);
    }
    // every class of the example is covered
    expect(Object.fromEntries(classes)).toEqual({ established: 204, refused: 9, unanswered: 12, rejected: 15, midstream: 4 });
    expect(summary.failures.some((f) => f.lowConfidence)).toBe(true);
  });

  it('finds a connection by its endpoints, either way round, as analyze or tcpdump writes them', async () => {
    const { table } = await analyzeSources(await localSources([INCIDENT]));
    const refused = [...Array(table.connectionCount).keys()].map((i) => table.connection(i)).find((c) => c.class === 'refused')!;
    const { client, server } = refused;
    for (const text of [
      `${client.address}:${client.port} → ${server.address}:${server.port}`,
      `${server.address}:${server.port} ${client.address}:${client.port}`,
      `${client.address}.${client.port} > ${server.address}.${server.port}:`,
      `${client.address} ${client.port} ${server.address} ${server.port}`,
    ]) {
      const trace = await traceConnection(await localSources([INCIDENT]), parseConnectionTarget(text));
      expect(trace.report?.id, text).toBe(refused.id);
    }
  });

  it('lists only the records the expression matches, and still judges on them all', async () => {
    const { table } = await analyzeSources(await localSources([INCIDENT]));
    const refused = [...Array(table.connectionCount).keys()].map((i) => table.connection(i)).find((c) => c.class === 'refused')!;
    const trace = await traceConnection(await localSources([INCIDENT]), { id: refused.id }, { filter: compileExpression('tcp[tcpflags] & tcp-rst != 0') });
    expect(trace.report?.class).toBe('refused');
    expect(trace.records.length).toBeGreaterThan(0);
    expect(trace.records.length).toBeLessThan(refused.records);
    expect(trace.records.every((r) => (r.shown.flags! & 4) !== 0)).toBe(true);
  });

  it('reports no connection when nothing matches', async () => {
    const trace = await traceConnection(await localSources([INCIDENT]), { id: '00000000' });
    expect(trace.report).toBeUndefined();
  });

  it('reads ids, endpoints and IPv6 endpoints; refuses anything else in one sentence', () => {
    expect(parseConnectionTarget('58A4A32C')).toEqual({ id: '58a4a32c' });
    expect(parseConnectionTarget('[2001:db8::1]:443 -> [2001:db8::2]:50000')).toEqual({
      endpoints: [
        { address: '2001:db8::1', port: 443 },
        { address: '2001:db8::2', port: 50000 },
      ],
    });
    expect(parseConnectionTarget('IP6 2001:db8::1.443 > 2001:db8::2.50000'.replace('IP6 ', ''))).toEqual({
      endpoints: [
        { address: '2001:db8::1', port: 443 },
        { address: '2001:db8::2', port: 50000 },
      ],
    });
    expect(() => parseConnectionTarget('db:5432')).toThrow(UsageError);
    expect(() => parseConnectionTarget('10.0.0.1:80')).toThrow(/neither a connection id nor two endpoints/);
  });
});
