import { describe, expect, it } from 'vitest';
import { analyzeSources, readSources } from '../../src/analyze/run.js';
import { compileExpression } from '../../src/filter/compile.js';
import { FilterSyntaxError } from '../../src/filter/errors.js';
import { parseFilter } from '../../src/filter/parse.js';
import { canonicalPort, canonicalPortOf, ipv4Value } from '../../src/format/values.js';
import { HANDSHAKE_FIELDS, tcp, textSource } from '../helpers/flow-lines.js';

/*
 * One reading of IPv4 text (ipv4Value()/parseAddress() in src/format/values.ts): a canonical
 * dotted quad is an IPv4 address; `010.0.0.1` is not — the analyzer keys a record with it as
 * text, so a filter neither matches such a record as 10.0.0.1 nor accepts it in an expression.
 */

function filterError(expression: string): FilterSyntaxError {
  try {
    parseFilter(expression);
  } catch (error) {
    if (error instanceof FilterSyntaxError) return error;
    throw error;
  }
  throw new Error(`"${expression}" was accepted`);
}

describe('IPv4 addresses in filter expressions', () => {
  it.each([
    ['host 010.0.0.1', 6, 'expected an IPv4 address without leading zeros, found "010.0.0.1"; write "10.0.0.1"'],
    ['src host 10.0.0.01', 10, 'expected an IPv4 address without leading zeros, found "10.0.0.01"; write "10.0.0.1"'],
    ['net 010.0.0.0/8', 5, 'expected an IPv4 address without leading zeros, found "010.0.0.0/8"'],
    ['net 10.0.0.0 mask 255.255.000.0', 19, 'expected an IPv4 address without leading zeros, found "255.255.000.0"'],
    ['via 010.0.0.50', 5, 'expected an IPv4 address without leading zeros'],
    ['net 010', 5, 'expected an IPv4 network without leading zeros, found "010"'],
  ])('%j is refused at column %d', (expression, column, message) => {
    const error = filterError(expression);
    expect(error.column).toBe(column);
    expect(error.message).toContain(message);
    expect(error.exitCode).toBe(2);
  });

  it('accepts the canonical spellings, and IPv6 as node:net reads it', () => {
    for (const expression of ['host 10.0.0.1', 'host 0.0.0.0', 'net 10.0.0.0/8', 'net 10', 'net 172.16', 'host 2001:DB8::1', 'host ::ffff:10.0.0.1', 'net 10.0.0.0 mask 255.255.0.0']) {
      expect(() => parseFilter(expression), expression).not.toThrow();
    }
    expect(() => parseFilter('host ::ffff:010.0.0.1')).toThrow(FilterSyntaxError);
  });
});

describe('a record written with leading zeros', () => {
  const text = [HANDSHAKE_FIELDS, tcp('010.0.0.1:40000', '10.0.2.20:443', 2), tcp('10.0.0.1:40001', '10.0.2.20:443', 2), ''].join('\n');

  it('is not 10.0.0.1 to a filter, as it is not to the analyzer', async () => {
    const { summary } = await analyzeSources([textSource('zeros.log', text)]);
    expect(summary.failures.map((failure) => failure.client.address).sort()).toEqual(['010.0.0.1', '10.0.0.1']);
    const matched: string[] = [];
    const host = compileExpression('host 10.0.0.1')!;
    const net = compileExpression('src net 10.0.0.0/8')!;
    await readSources(
      [textSource('zeros.log', text)],
      {
        record(view) {
          matched.push(`${view.line}:${host(view)}:${net(view)}`);
        },
        malformed() {
          throw new Error('no line here is malformed');
        },
      },
      {},
      () => undefined,
    );
    expect(matched).toEqual(['2:false:false', '3:true:true']);
  });
});

describe('canonical values (src/format/values.ts)', () => {
  it('reads IPv4 only as a canonical dotted quad', () => {
    expect(ipv4Value('10.0.0.1')).toBe(0x0a000001);
    expect(ipv4Value('255.255.255.255')).toBe(0xffffffff);
    for (const text of ['010.0.0.1', '10.0.0.01', '256.0.0.1', '1.2.3', '1.2.3.4.5', '::1', '-', '']) expect(ipv4Value(text), text).toBe(-1);
  });

  it('one rule for a canonical port, from a field or from text', () => {
    const cases: [string, number][] = [['0', 0], ['80', 80], ['65535', 65535], ['00', -1], ['080', -1], ['65536', -1], ['-', -1], ['', -1], ['1e3', -1], ['123456', -1]];
    for (const [text, port] of cases) {
      expect(canonicalPort(text), text).toBe(port);
      const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
      expect(canonicalPortOf(value, text.length ? text.charCodeAt(0) : -1, text.length), text).toBe(port);
    }
  });
});
