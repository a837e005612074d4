import { describe, expect, it } from 'vitest';
import { FlowLineReader, type RecordSink } from '../../src/format/line-reader.js';
import { defaultFormat } from '../../src/format/template.js';

/**
 * The reader works on bytes as they come, in chunks of any size: a line, a `\r\n`, or a
 * character of several bytes may be split between two chunks. Whatever the split, it must
 * see the same lines as when the input comes whole (and as when it comes as text).
 */
const HEADER = 'version interface-id srcaddr srcport dstaddr dstport protocol tcp-flags packets bytes start end action log-status';
const ok = (src: string, dst: string, flags = 2) => `5 eni-0aaaaaaaaaaaaaaa1 ${src} 40000 ${dst} 443 6 ${flags} 1 60 1768471200 1768471210 ACCEPT OK`;
const INPUT = [
  HEADER,
  ok('10.0.0.1', '10.0.0.2'),
  `${ok('10.0.0.2', '10.0.0.1', 18)}\r`, // CRLF
  `\t${ok('10.0.0.3', '10.0.0.4').replace(/ /g, '\t')}  `, // tabs, leading and trailing blanks
  '',
  '   ',
  `${ok('10.0.0.5', '10.0.0.6')} # a comment, ünïcödé`,
  ok('10.0.0.7', '2001:db8::1'),
  ok('010.0.0.8', '10.0.0.9'), // not canonical: read as text
  '5 eni-ä 10.0.0.1 40000 10.0.0.2 443 6 2 1 60 1768471200 1768471210 ACCEPT OK', // non-ASCII interface id
  '5 eni-1 10.0.0.1 4x000 10.0.0.2 443 6 2 1 60 1768471200 1768471210 ACCEPT OK', // bad number
  '5 eni-1 10.0.0.1 40000 10.0.0.2/24 443 6 2 1 60 1768471200 1768471210 ACCEPT OK', // bad address
  `日本語 ${'é'.repeat(400)} 😀 and more`, // malformed: shown by its first 300 characters
  JSON.stringify({ message: ok('10.0.0.10', '10.0.0.11', 4) }),
  JSON.stringify({ logEvents: [{ message: ok('10.0.0.12', '10.0.0.13') }, { message: 'x y' }] }),
  '{not json',
  HEADER, // the same header again (concatenated files)
  ok('10.0.0.14', '10.0.0.15'),
  `${ok('10.0.0.16', '10.0.0.17')} ${'x'.repeat(5000)}`, // a line longer than many chunks
  'version,srcaddr,dstaddr,srcport,dstport,protocol,tcp_flags', // a CSV header switches to commas
  '5,10.0.0.1,10.0.0.2,40000,443,6,2',
  '5,10.0.0.1,10.0.0.2,40000,443,6,2\r',
  '5,10.0.0.1,,40000,443,6,',
  '5,10.0.0.18,10.0.0.19,40000,443,6,2', // no newline at the end
].join('\n');

type Event = unknown[];

function read(feed: (reader: FlowLineReader) => void): Event[] {
  const events: Event[] = [];
  const sink: RecordSink = {
    record: (view) => {
      const fields = view.format.fields.map((_, i) => [view.str(i) ?? null, view.missing(i)]);
      const numbers = Array.from(view.format.numericPositions, (i) => view.num(i));
      events.push(['record', view.line, view.lineText(), view.toRecord(), fields, numbers]);
    },
    malformed: (where, reason, text) => events.push(['malformed', where.line, reason, text]),
    header: (format, where) => events.push(['header', where.line, format.fields.join(' '), format.csv]),
    warning: (message) => events.push(['warning', message]),
  };
  const reader = new FlowLineReader(sink, { format: defaultFormat() });
  reader.startSource('input.log');
  feed(reader);
  reader.endSource();
  return events;
}

const bytes = Buffer.from(INPUT, 'utf8');
const whole = read((reader) => reader.push(bytes));

describe('the line reader, whatever the chunks', () => {
  it('reads the input whole as expected', () => {
    const kinds = whole.map((event) => event[0]);
    expect(kinds.filter((kind) => kind === 'record')).toHaveLength(14);
    expect(kinds.filter((kind) => kind === 'header')).toHaveLength(3);
    // the malformed lines: bad number, bad address, the garbage line, the envelope's 'x y', '{not json', the long line's extra field
    expect(whole.filter((event) => event[0] === 'malformed').map((event) => event[1])).toEqual([11, 12, 13, 15, 16, 19]);
    const garbage = whole.find((event) => event[0] === 'malformed' && event[1] === 13) as Event;
    expect(garbage[3]).toBe(`日本語 ${'é'.repeat(400)}`.slice(0, 300)); // characters, not bytes
    const crlf = whole.find((event) => event[0] === 'record' && event[1] === 3) as Event;
    expect(crlf[2]).toBe(ok('10.0.0.2', '10.0.0.1', 18)); // the \r is not part of the line
    const csvCrlf = whole.find((event) => event[0] === 'record' && event[1] === 22) as Event;
    expect(csvCrlf[2]).toBe('5,10.0.0.1,10.0.0.2,40000,443,6,2');
    const eni = whole.find((event) => event[0] === 'record' && event[1] === 10) as Event;
    expect((eni[3] as Record<string, unknown>)['interface-id']).toBe('eni-ä');
  });

  it.each([1, 2, 3, 7, 64, 1000])('in chunks of %i bytes', (size) => {
    const events = read((reader) => {
      for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
    });
    expect(events).toEqual(whole);
  });

  it('in chunks of random sizes', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    for (let round = 0; round < 20; round++) {
      const events = read((reader) => {
        for (let i = 0; i < bytes.length; ) {
          const size = 1 + Math.floor(random() * 200);
          reader.push(bytes.subarray(i, i + size));
          i += size;
        }
      });
      expect(events).toEqual(whole);
    }
  });

  it('as text in pieces, a surrogate pair split between two of them included', () => {
    for (const size of [1, 5, 333]) {
      const events = read((reader) => {
        for (let i = 0; i < INPUT.length; i += size) reader.push(INPUT.slice(i, i + size));
      });
      expect(events).toEqual(whole);
    }
  });

  it('a chunk the caller reuses afterwards does not change what was read', () => {
    const scratch = Buffer.alloc(50);
    const events = read((reader) => {
      for (let i = 0; i < bytes.length; i += 50) {
        const n = bytes.copy(scratch, 0, i, i + 50);
        reader.push(scratch.subarray(0, n));
        scratch.fill(0x21);
      }
    });
    expect(events).toEqual(whole);
  });
});
