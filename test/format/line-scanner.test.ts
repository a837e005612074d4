import { describe, expect, it } from 'vitest';
import { FIELD_ADDRESS, FIELD_NUMBER, FIELD_TEXT } from '../../src/format/compiled.js';
import { FlowLineReader, type RecordSink } from '../../src/format/line-reader.js';
import { LineScanner, MAX_TOKENS, SLACK, STATUS_BAD_ADDRESS, STATUS_BAD_NUMBER, STATUS_COUNT, STATUS_HASH } from '../../src/format/line-scanner.js';
import { defaultFormat } from '../../src/format/template.js';
import { fnv1aBytes } from '../../src/hash.js';
import { scanLineReference, type ScanResult } from '../helpers/scan-line-reference.js';
import { seededRandom } from '../helpers/seeded-random.js';

/*
 * The WebAssembly scanner (assembly/line-scanner.ts) must do exactly what the JavaScript scanner
 * it replaced did (test/helpers/scan-line-reference.ts): same return value, same tokens, same
 * numbers and addresses, same first bad field, for any bytes, any format and wherever a chunk
 * ends. Lines are generated from a seeded random source, weighted towards what is tricky:
 * runs of blanks, CR before LF, `-`, leading zeros, out-of-range octets, IPv6, hex letters,
 * numbers of 15 to 20 digits, tokens longer than the scanner's 16- and 64-byte steps, non-ASCII
 * bytes, more tokens than MAX_TOKENS.
 */

function generator(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const digits = (n: number): string => Array.from({ length: n }, (_, k) => String(k === 0 && n > 1 && next() < 0.8 ? 1 + int(9) : int(10))).join('');
  const octet = (): string => pick([String(int(256)), String(int(256)), String(int(10)), '0', '255', '256', '999', '1000', `0${int(10)}`, '00', '', String(int(99999))]);
  const token = (): string =>
    pick([
      () => digits(1 + int(8)),
      () => digits(9 + int(12)), // 9–20 digits: past 2^53 numbers round as JavaScript rounds them
      () => '-',
      () => '--',
      () => `${digits(1 + int(3))}${pick(['x', '-', '.', 'é', 'a'])}${digits(int(3))}`,
      () => `${int(256)}.${int(256)}.${int(256)}.${int(256)}`,
      () => `${int(256)}.${int(256)}.${int(256)}.${int(256)}`,
      () => [octet(), octet(), octet(), octet()].join('.'),
      () => [octet(), octet(), octet(), octet(), octet()].slice(0, 2 + int(4)).join('.'),
      () => pick(['2001:db8::1', '::', 'fe80::1ff:fe23:4567:890a', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:10.0.0.1', 'a:b', '1:2:3', 'DEAD::BEEF', 'g::1']),
      // log-status as AWS writes it, and as it does not (src/format/log-status.ts)
      () => pick(['ok', 'Ok', 'OKAY', 'nodata', 'skipdata', 'NOPE', 'S']),
      () => pick(['ACCEPT', 'REJECT', 'OK', 'NODATA', 'SKIPDATA', 'egress', 'ingress', 'eni-0123456789abcdef0', 'eni-ä', '#', '# comment', '{"message":"x"}', 'abc', 'ABCDEF', 'cafe']),
      () => 'x'.repeat(15 + int(3)) + pick(['', '1', '.', ':']),
      () => digits(60 + int(10)),
      () => Array.from({ length: 1 + int(80) }, () => String.fromCharCode(pick([48, 49, 57, 46, 58, 97, 65, 70, 71, 45, 35, 13, 0, 127, 200, 255]))).join(''),
    ])();
  const blanks = (): string => pick([' ', ' ', ' ', '\t', '  ', ' \t ', '\t\t']);
  const line = (): string => {
    const count = pick([0, 1, 2, 5, 14, 17, 17, 17, 20, 40, 300]);
    let text = next() < 0.1 ? blanks() : '';
    // some tokens repeat an earlier one (as pkt-srcaddr repeats srcaddr: see partners())
    const tokens: string[] = [];
    for (let k = 0; k < count; k++) {
      tokens.push(k > 0 && next() < 0.3 ? tokens[int(k)] : token());
      text += (k > 0 ? blanks() : '') + tokens[k];
    }
    if (next() < 0.1) text += blanks();
    if (next() < 0.15) text += '\r';
    if (next() < 0.05) text += ' \r';
    return text;
  };
  const kinds = (): Uint8Array => {
    const length = pick([0, 1, 3, 14, 17, 17, 20, 300]);
    return Uint8Array.from({ length }, () => pick([FIELD_TEXT, FIELD_NUMBER, FIELD_NUMBER, FIELD_ADDRESS, FIELD_ADDRESS]));
  };
  /** For some address fields, an earlier address field as partner (1 + its position; 0: none). */
  const partners = (kinds: Uint8Array): Uint8Array =>
    Uint8Array.from(kinds, (kind, k) => {
      if (kind !== FIELD_ADDRESS || next() < 0.3) return 0;
      const earlier = Array.from(kinds.subarray(0, Math.min(k, 255)).keys()).filter((j) => kinds[j] === FIELD_ADDRESS);
      return earlier.length === 0 ? 0 : pick(earlier) + 1;
    });
  return { int, line, kinds, partners, next };
}

function referenceResult(): ScanResult {
  return {
    count: 0,
    badNumber: -1,
    badAddress: -1,
    starts: new Int32Array(MAX_TOKENS),
    ends: new Int32Array(MAX_TOKENS),
    nums: new Float64Array(MAX_TOKENS),
    ipv4s: new Float64Array(MAX_TOKENS),
  };
}

/** Scans `input` with both scanners from `start` to `limit` and compares everything they report. */
class Differential {
  readonly scanner = new LineScanner();
  readonly base = this.scanner.inputAt;
  readonly reference = referenceResult();
  kinds = new Uint8Array(0);
  hashAt = -1;

  constructor() {
    this.scanner.ensure(this.base + (1 << 20) + SLACK);
  }

  /** The format's kinds and (what the reference does not know of: it must not change a result) address partners. */
  setFormat(kinds: Uint8Array, hashAt: number, partners = new Uint8Array(kinds.length)): void {
    this.kinds = kinds;
    this.hashAt = hashAt;
    const fields = Math.min(kinds.length, MAX_TOKENS);
    this.scanner.views().kinds.set(kinds.subarray(0, fields));
    this.scanner.views().partners.set(partners.subarray(0, fields));
    this.scanner.setFormat(fields, hashAt);
  }

  /** Puts `input` at the window start, with random bytes after it (the scanner must not read them as data). */
  load(input: Uint8Array, noise: () => number): void {
    const { bytes } = this.scanner.views();
    bytes.set(input, this.base);
    for (let k = 0; k < SLACK; k++) bytes[this.base + input.length + k] = [10, 32, 9, 48, 46, 13][Math.floor(noise() * 6)];
  }

  /** Both scanners from `start` to `limit` (offsets into the input); returns what they returned. */
  scan(input: Uint8Array, start: number, limit: number, newline: number, label: string): number {
    const ref = this.reference;
    const expectedReturn = scanLineReference(input, start, limit, newline, this.kinds, ref);
    const got = this.scanner.scanLine(this.base + start, this.base + limit, newline);
    const views = this.scanner.views();
    const shift = (value: number): number => (value < 0 ? value : value - this.base);
    const context = `${label}: ${JSON.stringify(Buffer.from(input.subarray(start, limit)).toString('latin1').slice(0, 400))}`;
    expect(shift(got), context).toBe(expectedReturn);
    // an unfinished line: nothing else is read (it is scanned again with the next chunk)
    if (expectedReturn < 0) return expectedReturn;
    expect(views.status[STATUS_COUNT], context).toBe(ref.count);
    expect(views.status[STATUS_BAD_NUMBER], context).toBe(ref.badNumber);
    expect(views.status[STATUS_BAD_ADDRESS], context).toBe(ref.badAddress);
    const kept = Math.min(ref.count, MAX_TOKENS);
    expect(Array.from(views.starts.subarray(0, kept), (s) => s - this.base), context).toEqual(Array.from(ref.starts.subarray(0, kept)));
    expect(Array.from(views.ends.subarray(0, kept), (e) => e - this.base), context).toEqual(Array.from(ref.ends.subarray(0, kept)));
    // every slot, also those of earlier lines: both write exactly the same ones
    expect(Array.from(views.nums), context).toEqual(Array.from(ref.nums));
    expect(Array.from(views.ipv4s), context).toEqual(Array.from(ref.ipv4s));
    const hashed = this.hashAt >= 0 && this.hashAt < kept && (this.hashAt >= this.kinds.length || this.kinds[this.hashAt] === FIELD_TEXT);
    expect(views.status[STATUS_HASH], context).toBe(hashed ? fnv1aBytes(input, ref.starts[this.hashAt], ref.ends[this.hashAt]) | 0 : 0);
    return expectedReturn;
  }
}

describe('the WebAssembly line scanner', () => {
  it('reads generated lines exactly as the JavaScript scanner, with the newline search and cut at any byte', () => {
    const differential = new Differential();
    for (let seed = 1; seed <= 60; seed++) {
      const gen = generator(seed);
      const kinds = gen.kinds();
      differential.setFormat(kinds, gen.next() < 0.8 ? gen.int(Math.max(1, kinds.length)) : -1, gen.partners(kinds));
      const lines = Array.from({ length: 40 }, () => gen.line());
      const input = Buffer.from(lines.join('\n') + (gen.next() < 0.5 ? '\n' : ''), 'utf8');
      differential.load(input, gen.next);
      // as readLines() goes: line after line up to the end of the input
      let pos = 0;
      while (pos < input.length) {
        const nl = differential.scan(input, pos, input.length, 10, `seed ${seed} at ${pos}`);
        if (nl < 0) break;
        pos = nl + 1;
      }
      // as a chunk that ends mid-line leaves it: every line cut at a random byte
      pos = 0;
      while (pos < input.length) {
        const end = input.indexOf(10, pos) < 0 ? input.length : input.indexOf(10, pos);
        const cut = pos + gen.int(end - pos + 1);
        differential.load(input.subarray(0, cut), gen.next);
        differential.scan(input, pos, cut, 10, `seed ${seed} cut at ${cut}`);
        differential.load(input, gen.next);
        pos = end + 1;
      }
      // lines given whole (no newline search: \n is an ordinary byte)
      for (const line of lines.slice(0, 10)) {
        const bytes = Buffer.from(`${line}${gen.next() < 0.3 ? '\nmore' : ''}`, 'utf8');
        differential.load(bytes, gen.next);
        differential.scan(bytes, 0, bytes.length, -1, `seed ${seed} whole`);
      }
    }
  });

  it('reads the edge cases of numbers and addresses as the JavaScript scanner', () => {
    const differential = new Differential();
    const cases: [string, number][] = [
      ...['0', '7', '65535', '123456789012345', '1234567890123456', '9007199254740993', '99999999999999999999', '00012', '-', '--', '1-', '-1', '1a', ' 1', '1e5', '١٢'].map((t) => [t, FIELD_NUMBER] as [string, number]),
      ...[
        '0.0.0.0', '255.255.255.255', '256.0.0.1', '10.0.0.01', '010.0.0.1', '1.2.3', '1.2.3.4.5', '1.2.3.', '.1.2.3', '1..2.3', '1.2.3.4a',
        '01.2.3.4', '1.2.3.0', '1.2.3.00', '1.2.3.1000', '1234.1.1.1', '99999999999.1.1.1', '1.2.3.4:80', '::', '::1', ':1', 'fe80::1', 'a.b.c.d', '-', '10.0.0.1/24', 'ffff',
        '2001:0db8:85a3:0000:0000:8a2e:0370:7334', '::ffff:192.168.1.1', '1:2', 'é',
      ].map((t) => [t, FIELD_ADDRESS] as [string, number]),
    ];
    for (const [text, kind] of cases) {
      for (const suffix of ['', '\r', ' x', '\t', ' \r']) {
        differential.setFormat(Uint8Array.from([FIELD_TEXT, kind, FIELD_TEXT]), 0);
        const input = Buffer.from(`a ${text}${suffix}\nnext line\n`, 'utf8');
        differential.load(input, Math.random);
        differential.scan(input, 0, input.length, 10, `${text}+${JSON.stringify(suffix)}`);
        differential.scan(input, 0, input.indexOf(10), -1, `${text}+${JSON.stringify(suffix)} whole`);
      }
    }
  });
});

describe('an address field that repeats its partner (pkt-srcaddr and srcaddr) is read as if parsed again', () => {
  it('same bytes, other bytes, invalid ones, IPv6 up to and past 16 bytes, `-`, a CR at the end', () => {
    const differential = new Differential();
    // text, address, text, address (partner: the first address)
    differential.setFormat(Uint8Array.from([FIELD_TEXT, FIELD_ADDRESS, FIELD_TEXT, FIELD_ADDRESS]), -1, Uint8Array.from([0, 0, 0, 2]));
    const pairs: [string, string][] = [
      ['10.0.0.1', '10.0.0.1'], ['10.0.0.1', '10.0.0.2'], ['10.0.0.1', '10.0.0.10'], ['255.255.255.255', '255.255.255.255'],
      ['010.0.0.1', '010.0.0.1'], ['1.2.3', '1.2.3'], ['1.2.3', '10.0.0.1'], ['10.0.0.1', '1.2.3'], ['-', '-'], ['-', '10.0.0.1'],
      ['fe80::1', 'fe80::1'], ['2001:db8::1', '2001:db8::2'], ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'], ['g::1', 'g::1'], ['é', 'é'],
    ];
    for (const [first, second] of pairs) {
      for (const suffix of ['', '\r', ' x']) {
        const input = Buffer.from(`a ${first} b ${second}${suffix}\nnext line\n`, 'utf8');
        differential.load(input, Math.random);
        differential.scan(input, 0, input.length, 10, `${first} / ${second}+${JSON.stringify(suffix)}`);
        differential.scan(input, 0, input.indexOf(10), -1, `${first} / ${second}+${JSON.stringify(suffix)} whole`);
      }
    }
  });
});

describe('the line reader over the scanner', () => {
  /** Every callback the reader makes, as data. */
  function read(feed: (reader: FlowLineReader) => void): unknown[] {
    const events: unknown[] = [];
    const sink: RecordSink = {
      record: (view) => events.push(['record', view.line, view.lineText(), view.toRecord(), Array.from(view.format.numericPositions, (i) => view.num(i)), Array.from(view.format.addressPositions, (i) => view.ipv4(i)), view.idHash]),
      malformed: (where, reason, text) => events.push(['malformed', where.line, reason, text]),
      header: (format, where) => events.push(['header', where.line, format.fields.join(' ')]),
      warning: (message) => events.push(['warning', message]),
    };
    const reader = new FlowLineReader(sink, { format: defaultFormat() });
    reader.startSource('generated.log');
    feed(reader);
    reader.endSource();
    return events;
  }

  it('sees the same records whatever the chunks, also lines longer than its window', () => {
    const gen = generator(7);
    const header = 'version interface-id srcaddr srcport dstaddr dstport protocol tcp-flags packets bytes start end action log-status';
    const record = (): string => `2 eni-${gen.int(1e6)} 10.0.${gen.int(3)}.${gen.int(256)} ${gen.int(65536)} 10.1.0.${gen.int(9)} 443 6 ${gen.int(64)} ${gen.int(9)} ${gen.int(9999)} 1768471200 1768471260 ACCEPT OK`;
    const lines: string[] = [header];
    for (let k = 0; k < 3000; k++) lines.push(gen.next() < 0.8 ? record() : gen.line());
    lines.push(`${record()} ${'y'.repeat(3 << 19)}`); // longer than the first window (1 MB)
    lines.push(JSON.stringify({ message: record() }), record());
    const input = Buffer.from(lines.join('\n'), 'utf8');
    const whole = read((reader) => reader.push(input));
    expect(whole.filter((event) => (event as unknown[])[0] === 'record').length).toBeGreaterThan(2000);
    for (const size of [7, 100, 4096, 65_536, 1 << 20]) {
      const chunked = read((reader) => {
        for (let at = 0; at < input.length; at += size) reader.push(input.subarray(at, at + size));
      });
      expect(chunked, `chunks of ${size} bytes`).toEqual(whole);
    }
    const byLine = read((reader) => {
      for (const line of lines) reader.pushLine(line);
    });
    expect(byLine).toEqual(whole);
  });
});
