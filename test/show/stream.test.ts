import { describe, expect, it } from 'vitest';
import { localSources, type Source } from '../../src/analyze/sources.js';
import { compileExpression } from '../../src/filter/compile.js';
import { showRecords, type ShowOptions } from '../../src/show/stream.js';
import type { ShownRecord } from '../../src/show/describe.js';
import { INCIDENT, MIXED } from '../helpers/records.js';

const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status\n';

async function collect(sources: Source[], options: Partial<ShowOptions> = {}) {
  const shown: ShownRecord[] = [];
  const byText = new Map<string, ShownRecord>();
  let n = 0;
  const result = await showRecords(sources, {
    render: (record) => {
      const key = String(n++);
      byText.set(key, record);
      return key;
    },
    write: (lines) => {
      for (const line of lines) shown.push(byText.get(line.text) as ShownRecord);
    },
    ...options,
  });
  return { shown, result };
}

/** An endless source: a SYN a second, forever; `state.closed` turns true when the reader lets go of it. */
function endlessSource(state: { pulled: number; closed: boolean }): Source {
  return {
    name: 'endless',
    bytes: async function* () {
      try {
        yield new TextEncoder().encode(HEADER);
        for (let second = 0; ; second++) {
          state.pulled++;
          const t = 1796025600 + second;
          yield new TextEncoder().encode(`5 eni-0a1b2c3d4e5f60718 egress 10.0.1.10 ${40000 + (second % 20000)} 10.0.2.20 5432 10.0.1.10 10.0.2.20 6 2 1 60 ${t} ${t} ACCEPT OK\n`);
        }
      } finally {
        state.closed = true;
      }
    },
  };
}

describe('showRecords', () => {
  it('prints every record of the example in time order, ties in handshake order', async () => {
    const { shown, result } = await collect(await localSources([INCIDENT]));
    expect(result.printed).toBe(1548);
    expect(result.late).toBe(0);
    for (let i = 1; i < shown.length; i++) {
      const a = shown[i - 1];
      const b = shown[i];
      expect((a.start as number) < (b.start as number) || (a.start === b.start && a.rank <= b.rank)).toBe(true);
    }
    // the handshake order within a second: a SYN-ACK is never printed before its SYN of the same second
    const firstSyn = new Map<string, number>();
    shown.forEach((r, i) => {
      if (r.kind === 'tcp' && r.rank === 0 && r.connection && !firstSyn.has(`${r.connection}@${r.start}`)) firstSyn.set(`${r.connection}@${r.start}`, i);
    });
    shown.forEach((r, i) => {
      if (r.kind === 'tcp' && r.rank === 1) {
        const syn = firstSyn.get(`${r.connection}@${r.start}`);
        if (syn !== undefined) expect(syn).toBeLessThan(i);
      }
    });
  });

  it('prints only what the filter matches', async () => {
    const { shown } = await collect(await localSources([MIXED]), { filter: compileExpression('action reject') });
    expect(shown.map((r) => r.action)).toEqual(['REJECT', 'REJECT', 'REJECT']);
  });

  it('with a short window, prints late records at once, loses none, and counts them', async () => {
    const sorted = await collect(await localSources([INCIDENT]), { windowSeconds: Number.POSITIVE_INFINITY, maxBuffered: Number.POSITIVE_INFINITY });
    const windowed = await collect(await localSources([INCIDENT]), { windowSeconds: 30 });
    expect(sorted.result.late).toBe(0);
    expect(windowed.result.late).toBeGreaterThan(0);
    expect(windowed.result.printed).toBe(sorted.result.printed);
    const lines = (list: ShownRecord[]) => list.map((r) => `${r.source}:${r.line}`).sort();
    expect(lines(windowed.shown)).toEqual(lines(sorted.shown));
  });

  it('-c stops after n lines and stops reading an endless input', async () => {
    const state = { pulled: 0, closed: false };
    const { shown, result } = await collect([endlessSource(state)], { limit: 3, windowSeconds: 60 });
    expect(shown).toHaveLength(3);
    expect(result.stoppedEarly).toBe(true);
    expect(state.closed).toBe(true);
    expect(shown.map((r) => r.start)).toEqual([1796025600, 1796025601, 1796025602]);
  });

  it('waits for a slow writer before reading on', async () => {
    const state = { pulled: 0, closed: false };
    let release: () => void = () => {};
    let writes = 0;
    let pulledAtFirstWrite = -1;
    const done = showRecords([endlessSource(state)], {
      windowSeconds: 0,
      limit: 50,
      render: () => 'x',
      write: () => {
        writes++;
        if (writes === 1) {
          pulledAtFirstWrite = state.pulled;
          return new Promise<void>((resolve) => (release = resolve));
        }
      },
    });
    for (let k = 0; k < 20 && writes === 0; k++) await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toBe(1);
    for (let k = 0; k < 20; k++) await new Promise((resolve) => setImmediate(resolve));
    expect(state.pulled).toBe(pulledAtFirstWrite); // nothing more read while the writer is busy
    release();
    const result = await done;
    expect(result.printed).toBe(50);
    expect(state.pulled).toBeGreaterThan(pulledAtFirstWrite);
  });

  it('counts malformed lines and keeps going', async () => {
    const text = `${HEADER}5 eni-1 egress 10.0.1.10 1 10.0.2.20 2 10.0.1.10 10.0.2.20 6 2 1 60 1796025600 1796025600 ACCEPT OK\nnot a record\n`;
    const source: Source = { name: 'inline', bytes: async function* () { yield new TextEncoder().encode(text); } };
    const { shown, result } = await collect([source]);
    expect(shown).toHaveLength(1);
    expect(result.malformed.count).toBe(1);
    expect(result.malformed.examples[0]).toMatchObject({ source: 'inline', line: 3 });
  });
});
