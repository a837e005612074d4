import { describe, expect, it } from 'vitest';
import { readSources } from '../../src/analyze/run.js';
import { localSources } from '../../src/analyze/sources.js';
import { paint } from '../../src/cli/io.js';
import { flagsText, recordJson, renderRecordLine, TimeFormat } from '../../src/cli/render/record-line.js';
import { describeRecord, type ShownRecord } from '../../src/show/describe.js';
import { MIXED, mixedLabels } from '../helpers/records.js';

async function shownByLabel(): Promise<Map<string, ShownRecord>> {
  const labels = mixedLabels();
  const out = new Map<string, ShownRecord>();
  await readSources(await localSources([MIXED]), { record: (view) => out.set(labels.get(view.line) as string, describeRecord(view)), malformed() {} }, {}, () => {});
  return out;
}

describe('a record as tcpdump would print it', () => {
  it.each([
    ['r1', 'IP 10.0.1.10.40000 > 10.0.2.20.5432: Flags [S], 1 packet, 60 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress'],
    ['r2', 'IP 10.0.2.20.5432 > 10.0.1.10.40000: Flags [S.], 1 packet, 60 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 ingress'],
    ['r7', 'IP 10.0.1.10.40002 > 203.0.113.80.443: Flags [FS], 8 packets, 900 bytes, ACCEPT, eni-0e5f6071829304152 ingress (via 10.0.0.50)'],
    ['r8', 'IP 203.0.113.80.443 > 10.0.1.10.40002: Flags [FS.], 7 packets, 4200 bytes, ACCEPT, eni-0e5f6071829304152 egress (via 10.0.0.50)'],
    ['r9', 'IP 10.0.1.10.48125 > 10.0.3.40.8125: UDP, 60 packets, 9000 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress'],
    ['r11', 'IP 10.0.1.10 > 10.0.2.20: ICMP, 4 packets, 336 bytes, ACCEPT, eni-0c3d4e5f607182930 ingress'],
    ['r12', 'IP6 2001:db8:1::10 > 2001:db8:2::20: ICMP6, 2 packets, 208 bytes, ACCEPT, eni-0123456789abcdef0 ingress'],
    ['r13', 'IP6 2001:db8:1::10.41000 > 2001:db8:2::20.443: Flags [S], 1 packet, 80 bytes, ACCEPT, eni-0123456789abcdef0 ingress'],
    ['r15', 'IP 10.0.5.1 > 10.0.5.2: ip-proto-47, 10 packets, 1500 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress'],
    ['r16', 'NODATA eni-0f60718293041526a: no traffic recorded 08:00:00–08:00:59'],
    ['r17', 'SKIPDATA eni-0c3d4e5f607182930: AWS skipped records 08:01:00–08:01:59; traffic in this window is missing'],
    ['r18', 'IP 10.0.1.12.40003 > 10.0.2.20.5432: Flags [?], 3 packets, 180 bytes, ACCEPT, eni-0c3d4e5f607182930 ingress'],
    ['r19', 'IP 10.0.1.10.35000 > 10.0.2.20.5432: Flags [none], 40 packets, 6400 bytes, ACCEPT, eni-0c3d4e5f607182930 ingress'],
    ['r20', 'IP 10.0.1.13.40004 > 10.0.9.9.80: Flags [SR], 2 packets, 120 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress'],
    ['r21', 'IP 203.0.113.80.443 > 10.0.1.11.40005: Flags [SR.], 3 packets, 180 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 ingress'],
    ['r22', 'IP 10.0.1.10.65535 > 10.1.0.1.6000: UDP, 1 packet, 100 bytes, REJECT, eni-0a1b2c3d4e5f60718 egress'],
    ['r23', 'IP 10.0.1.10.40010 > 10.0.2.20.5432: Flags [PU], 2 packets, 120 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress'],
  ])('%s', async (label, line) => {
    const shown = (await shownByLabel()).get(label)!;
    expect(renderRecordLine(shown, paint(false))).toBe(line);
  });

  it('ranks ties in handshake order', async () => {
    const shown = await shownByLabel();
    expect(['r1', 'r2', 'r19', 'r3', 'r4', 'r9'].map((label) => shown.get(label)!.rank)).toEqual([0, 1, 2, 3, 3, 2]);
  });

  it('colours REJECT and RST flags when asked', async () => {
    const shown = await shownByLabel();
    expect(renderRecordLine(shown.get('r22')!, paint(true))).toContain('\u001b[31mREJECT\u001b[39m');
    expect(renderRecordLine(shown.get('r4')!, paint(true))).toContain('\u001b[33mFlags [R]\u001b[39m');
  });

  it('writes NDJSON with the record and derived fields', async () => {
    const shown = (await shownByLabel()).get('r7')!;
    const object = JSON.parse(recordJson(shown, { srcaddr: '10.0.1.10', protocol: 6 }, true));
    expect(object).toEqual({
      srcaddr: '10.0.1.10',
      protocol: 6,
      flowdump: {
        kind: 'tcp',
        time: '2026-11-30T08:00:04Z',
        end: '2026-11-30T08:00:07Z',
        ip: 4,
        src: '10.0.1.10',
        sport: 40002,
        dst: '203.0.113.80',
        dport: 443,
        flags: 'FS',
        via: { src: null, dst: '10.0.0.50' },
        connection: shown.connection,
        source: MIXED,
        line: 8,
        late: true,
      },
    });
  });

  it('flag letters: none for 0, ? when unknown', () => {
    expect(flagsText(0)).toBe('none');
    expect(flagsText(null)).toBe('?');
    expect(flagsText(22)).toBe('SR.');
  });
});

describe('timestamps (-t, -tt, -ttt, -tttt, -ttttt)', () => {
  const T = 1796025600;
  const prefixes = (mode: number, starts: (number | null)[]) => {
    const format = new TimeFormat(mode);
    return starts.map((start) => format.prefix(start));
  };
  it.each([
    [0, ['08:00:00 ', '08:00:05 ', '--:--:-- ', '08:01:10 ']],
    [1, ['', '', '', '']],
    [2, [`${T} `, `${T + 5} `, '- ', `${T + 70} `]],
    [3, ['00:00:00 ', '00:00:05 ', '--:--:-- ', '00:01:05 ']],
    [4, ['2026-11-30 08:00:00 ', '2026-11-30 08:00:05 ', '---------- --:--:-- ', '2026-11-30 08:01:10 ']],
    [5, ['00:00:00 ', '00:00:05 ', '--:--:-- ', '00:01:10 ']],
  ])('mode %i', (mode, expected) => {
    expect(prefixes(mode, [T, T + 5, null, T + 70])).toEqual(expected);
  });
});
