import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowLineReader, type FlowRecord, type RecordSink, type Where } from '../../src/format/line-reader.js';
import { defaultFormat, parseLogFormat, type LogFormat } from '../../src/format/template.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

interface Collected {
  records: (FlowRecord & { _line: number; _source: string })[];
  malformed: { where: Where; reason: string; text: string }[];
  headers: { fields: readonly string[]; csv: boolean; line: number }[];
  warnings: string[];
}

/** Reads `text` as one source, optionally in chunks of `chunk` characters. */
function read(text: string, options: { format?: LogFormat; explicit?: boolean; chunk?: number; source?: string } = {}): Collected {
  const out: Collected = { records: [], malformed: [], headers: [], warnings: [] };
  const sink: RecordSink = {
    record: (view) => out.records.push({ ...view.toRecord(), _line: view.line, _source: view.source }),
    malformed: (where, reason, line) => out.malformed.push({ where, reason, text: line }),
    header: (format, where) => out.headers.push({ fields: format.fields, csv: format.csv, line: where.line }),
    warning: (message) => out.warnings.push(message),
  };
  const reader = new FlowLineReader(sink, { format: options.format ?? defaultFormat(), explicit: options.explicit });
  reader.startSource(options.source ?? 'input.log');
  const step = options.chunk ?? text.length;
  for (let i = 0; i < text.length; i += step) reader.push(text.slice(i, i + step));
  reader.endSource();
  return out;
}

const V2_LINE = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';

describe('reading records', () => {
  it('types the default (v2) format: numbers for numeric fields, account-id stays text', () => {
    const { records, malformed } = read(`${V2_LINE}\n`);
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(1);
    const { _line, _source, ...record } = records[0];
    expect(record).toEqual({
      version: 2, 'account-id': '123456789010', 'interface-id': 'eni-1235b8ca123456789', srcaddr: '172.31.16.139', dstaddr: '172.31.16.21',
      srcport: 20641, dstport: 22, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: 'ACCEPT', 'log-status': 'OK',
    });
    expect(_line).toBe(1);
    expect(_source).toBe('input.log');
  });

  it('leaves `-` values out and keeps leading zeros of account-id', () => {
    const { records } = read('2 000000000000 eni-1a2b3c4d - - - - - - - 1431280876 1431280934 - NODATA\n');
    expect(records[0]).toMatchObject({ 'account-id': '000000000000', 'log-status': 'NODATA', start: 1431280876 });
    expect(records[0]).not.toHaveProperty('srcaddr');
    expect(records[0]).not.toHaveProperty('srcport');
    expect(records[0]).not.toHaveProperty('action');
  });

  it('types the integer fields the analyzer does not validate (traffic-path, packets-lost-*)', () => {
    const format = parseLogFormat('srcaddr traffic-path packets-lost-no-route tgw-id');
    const { records } = read('10.0.0.1 7 13 00000000\n10.0.0.2 - - tgw-1\n', { format });
    expect(records[0]).toEqual(expect.objectContaining({ 'traffic-path': 7, 'packets-lost-no-route': 13, 'tgw-id': '00000000' }));
    expect(records[1]).not.toHaveProperty('traffic-path');
  });

  it('splits on runs of whitespace: the AWS example line with a double space has 21 fields', () => {
    const { records, malformed } = read(fixture('aws-doc/example-tcp-flag.log'));
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(8);
    expect(records[7]).toMatchObject({ srcport: 5001, dstport: 43638, 'pkt-srcaddr': '10.0.0.62', 'tcp-flags': 19, _line: 9 });
    expect(records.map((r) => r['tcp-flags'])).toEqual([2, 18, 2, 18, 1, 1, 3, 19]);
  });

  it('accepts tabs, CRLF line ends, blank and whitespace-only lines, and a last line without a newline', () => {
    const text = `\n  \n${V2_LINE.replace(/ /g, '\t')}\r\n\r\n\t\n${V2_LINE}`;
    const { records, malformed } = read(text);
    expect(malformed).toEqual([]);
    expect(records.map((r) => r._line)).toEqual([3, 6]);
    expect(records[0]['log-status']).toBe('OK');
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const text = fixture('aws-doc/example-tgw.log');
    const whole = read(text);
    for (const chunk of [1, 7, 64]) {
      const chunked = read(text, { chunk });
      expect(chunked.records).toEqual(whole.records);
      expect(chunked.malformed).toEqual(whole.malformed);
    }
  });
});

describe('header lines', () => {
  it('a header sets the format; it is not a record', () => {
    const { records, headers } = read(fixture('aws-doc/example-traffic-path.log'));
    expect(headers).toHaveLength(1);
    expect(headers[0].fields).toHaveLength(29);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ 'tcp-flags': 19, 'pkt-src-aws-service': 'S3', 'flow-direction': 'ingress' });
    expect(records[0]).not.toHaveProperty('traffic-path');
    expect(records[1]).toMatchObject({ 'tcp-flags': 3, 'traffic-path': 8, 'flow-direction': 'egress' });
  });

  it('a header repeated mid-input after a blank line (concatenated S3 objects) sets the format for the lines after it', () => {
    const text = ['srcaddr dstaddr', '10.0.0.1 10.0.0.2', '', 'version srcaddr dstaddr tcp-flags', '3 10.0.0.3 10.0.0.4 2', '3 10.0.0.5 10.0.0.6 18', ''].join('\n');
    const { records, headers, malformed } = read(text);
    expect(malformed).toEqual([]);
    expect(headers.map((h) => h.line)).toEqual([1, 4]);
    expect(records.map(({ _line, _source, ...r }) => r)).toEqual([
      { srcaddr: '10.0.0.1', dstaddr: '10.0.0.2' },
      { version: 3, srcaddr: '10.0.0.3', dstaddr: '10.0.0.4', 'tcp-flags': 2 },
      { version: 3, srcaddr: '10.0.0.5', dstaddr: '10.0.0.6', 'tcp-flags': 18 },
    ]);
  });

  it('a header in the data wins over --log-format, with a warning naming file:line', () => {
    const format = parseLogFormat('${version} ${srcaddr} ${dstaddr}');
    const text = `instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n- eni-1 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n`;
    const { records, warnings, malformed } = read(text, { format, explicit: true, source: 'nat.log' });
    expect(malformed).toEqual([]);
    expect(records[0]).toMatchObject({ 'interface-id': 'eni-1', 'pkt-dstaddr': '203.0.113.5' });
    expect(warnings).toEqual(['nat.log:1: the header line\'s format differs from --log-format; the header wins for the lines after it']);
  });

  it('no warning when the header equals --log-format, or when no format was given', () => {
    const format = parseLogFormat('srcaddr dstaddr');
    expect(read('srcaddr dstaddr\n10.0.0.1 10.0.0.2\n', { format, explicit: true }).warnings).toEqual([]);
    expect(read('srcaddr dstaddr pkt-srcaddr\n10.0.0.1 10.0.0.2 -\n').warnings).toEqual([]);
  });

  it('a header naming fields flowdump does not know still works; they are read as text, with a warning', () => {
    const { records, warnings } = read('srcaddr dstaddr future-field\n10.0.0.1 10.0.0.2 whatever\n');
    expect(records[0]).toMatchObject({ 'future-field': 'whatever' });
    expect(warnings[0]).toMatch(/future-field/);
  });

  it('a line of name-like words without any known field is not a header: it is a malformed record', () => {
    const { headers, malformed } = read('phony unsupported log format\n');
    expect(headers).toEqual([]);
    expect(malformed).toHaveLength(1);
  });

  it('a Security Lake / Athena CSV header (underscore names) switches to comma-separated records', () => {
    const text = 'account_id,action,srcaddr,dstaddr,srcport,dstport,protocol,tcp_flags,log_status\n123456789012,REJECT,1.2.3.4,172.31.2.52,56858,39938,6,2,OK\n';
    const { records, headers, malformed } = read(text);
    expect(malformed).toEqual([]);
    expect(headers[0]).toMatchObject({ csv: true });
    expect(headers[0].fields).toContain('tcp-flags');
    expect(records[0]).toMatchObject({ 'account-id': '123456789012', action: 'REJECT', srcport: 56858, 'tcp-flags': 2, 'log-status': 'OK' });
  });

  it('each source starts again from the base format', () => {
    const out: string[] = [];
    const reader = new FlowLineReader(
      { record: (view) => out.push(`${view.source}:${view.line}:${view.format.fields.length}`), malformed: (where) => out.push(`${where.source}:${where.line}:malformed`) },
      { format: defaultFormat() },
    );
    reader.startSource('a.log');
    reader.push('srcaddr dstaddr\n10.0.0.1 10.0.0.2\n');
    reader.endSource();
    reader.startSource('b.log');
    reader.push('10.0.0.1 10.0.0.2\n' + V2_LINE + '\n');
    reader.endSource();
    expect(out).toEqual(['a.log:2:2', 'b.log:1:malformed', 'b.log:2:14']);
  });
});

describe('malformed lines', () => {
  it('a wrong token count is malformed, with file:line and what was expected', () => {
    const { malformed, records } = read(fixture('aws-doc/example-tgw.log'), { source: 'tgw.log' });
    expect(records).toHaveLength(4);
    expect(malformed).toEqual([{ where: { source: 'tgw.log', line: 3 }, reason: 'expected 17 fields (from the header), found 1', text: '...' }]);
  });

  it('without a header the message names the format in use', () => {
    expect(read('bogus line\n').malformed[0].reason).toBe('expected 14 fields (default format), found 2');
  });

  it('a numeric field holding neither a number nor `-` is malformed', () => {
    const { malformed } = read(`${V2_LINE.replace(' 20641 ', ' http ')}\n${V2_LINE.replace(' 4249 ', ' -5 ')}\n${V2_LINE.replace(' 6 20 ', ' 6.0 20 ')}\n`);
    expect(malformed.map((m) => m.reason)).toEqual(['srcport is "http", not a number or -', 'bytes is "-5", not a number or -', 'protocol is "6.0", not a number or -']);
    expect(malformed.map((m) => m.where.line)).toEqual([1, 2, 3]);
  });

  it('an address field holding neither an IP nor `-` is malformed; IPv6 and `-` are addresses', () => {
    const { malformed, records } = read(
      [
        V2_LINE.replace('172.31.16.139', 'host.example.com'),
        V2_LINE.replace('172.31.16.139', '10.0.0'),
        V2_LINE.replace('172.31.16.139', '2001:db8::1').replace('172.31.16.21', '::ffff:10.0.0.1'),
        V2_LINE.replace('172.31.16.139', '-'),
      ].join('\n'),
    );
    expect(malformed.map((m) => m.reason)).toEqual(['srcaddr is "host.example.com", not an IP address or -', 'srcaddr is "10.0.0", not an IP address or -']);
    expect(records.map((r) => r.srcaddr)).toEqual(['2001:db8::1', undefined]);
  });

  it('a `#` comment after the last field is accepted (the AWS NAT example)', () => {
    const { records, malformed } = read(fixture('aws-doc/example-nat.log'));
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(6);
    expect(records[5]).toMatchObject({ 'instance-id': 'i-01234567890123456', 'pkt-dstaddr': '10.0.1.5' });
  });

  it('a `#` that does not follow a complete record does not rescue a short line', () => {
    const { malformed } = read('instance-id interface-id srcaddr dstaddr\n- eni-1 10.0.0.1 #comment\n');
    expect(malformed).toHaveLength(1);
  });
});

describe('JSON-wrapped lines', () => {
  it('reads {"message": "<record>"} lines (Elastic test input)', () => {
    const { records } = read('{"message":"2 428961148399 eni-0e0bf7be352692297 - - - - - - - 1671029698 1671029728 - NODATA"}\n');
    expect(records[0]).toMatchObject({ 'account-id': '428961148399', 'log-status': 'NODATA' });
  });

  it('reads a CloudWatch Logs subscription envelope: every logEvents[].message is a record at the envelope line', () => {
    const envelope = JSON.stringify({
      messageType: 'DATA_MESSAGE',
      logGroup: '/aws/vpc/flowlogs',
      logEvents: [
        { id: '1', timestamp: 1733430000000, message: '2 eni-1235b8ca123456789 172.31.16.139 172.31.16.21' },
        { id: '2', timestamp: 1733430001000, message: '2 eni-1235b8ca123456789 172.31.9.69 172.31.9.12' },
      ],
    });
    const { records } = read(`${envelope}\n`, { format: parseLogFormat('${version} ${interface-id} ${srcaddr} ${dstaddr}') });
    expect(records.map((r) => [r.srcaddr, r._line])).toEqual([['172.31.16.139', 1], ['172.31.9.69', 1]]);
  });

  it('a line that starts with { but is not JSON is malformed', () => {
    expect(read('{not json\n').malformed).toHaveLength(1);
  });
});
