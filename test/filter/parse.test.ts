import { describe, expect, it } from 'vitest';
import type { Expr } from '../../src/filter/ast.js';
import { FilterSyntaxError } from '../../src/filter/errors.js';
import { isFilterKeyword, parseFilter } from '../../src/filter/parse.js';

/** A compact, fully parenthesised rendering of the tree, to check its shape. */
function shape(e: Expr): string {
  switch (e.kind) {
    case 'and':
    case 'or':
      return `(${shape(e.left)} ${e.kind} ${shape(e.right)})`;
    case 'not':
      return `!${shape(e.expr)}`;
    case 'address':
      return `${e.type}:${e.dir === 'src or dst' ? '' : `${e.dir}:`}${e.block.text}`;
    case 'port':
      return `${e.protocol ?? ''}port:${e.dir === 'src or dst' ? '' : `${e.dir}:`}${e.from === e.to ? e.from : `${e.from}-${e.to}`}`;
    case 'protocol':
      return `proto:${e.protocol}${e.family ? `/v${e.family}` : ''}`;
    case 'family':
      return `ip${e.family}`;
    case 'relation':
      return `rel${e.op}`;
    default:
      return e.kind;
  }
}

describe('parseFilter: precedence and qualifiers (pcap-filter(7))', () => {
  it.each([
    // "Alternation and concatenation have equal precedence and associate left to right."
    ['tcp or udp and icmp', '((proto:6 or proto:17) and proto:1/v4)'],
    ['tcp and udp or icmp', '((proto:6 and proto:17) or proto:1/v4)'],
    ['tcp || udp && icmp', '((proto:6 or proto:17) and proto:1/v4)'],
    // "Negation has the highest precedence."
    ['not tcp and udp', '(!proto:6 and proto:17)'],
    ['! tcp or udp', '(!proto:6 or proto:17)'],
    ['not (tcp or udp)', '!(proto:6 or proto:17)'],
    // "If an identifier is given without a keyword, the most recent keyword is assumed."
    ['not host 10.0.0.1 and 10.0.0.2', '(!host:10.0.0.1 and host:10.0.0.2)'],
    ['port 80 or 443 or 8080', '((port:80 or port:443) or port:8080)'],
    ['tcp dst port 21 or 20', '(6port:dst:21 or 6port:dst:20)'],
    ['host 10.0.0.1 and (10.0.0.2 or 10.0.0.3)', '(host:10.0.0.1 and (host:10.0.0.2 or host:10.0.0.3))'],
    ['host 10.0.0.1 and not 10.0.0.2', '(host:10.0.0.1 and !host:10.0.0.2)'],
    ['src 10.0.0.1', 'host:src:10.0.0.1'],
    ['src or dst port 53', 'port:53'],
    ['src and dst net 10.0.0.0/8', 'net:src and dst:10.0.0.0/8'],
    ['dst and src net 10.0.0.0/8', 'net:src and dst:10.0.0.0/8'],
    ['src host 10.0.0.1 or dst host 10.0.0.2', '(host:src:10.0.0.1 or host:dst:10.0.0.2)'],
    ['(tcp[tcpflags] & tcp-syn) != 0', 'rel!='],
    ['((tcp))', 'proto:6'],
    ['tcp and 13 = 13', '(proto:6 and rel==)'],
    ['HOST 10.0.0.1 AND TCP', '(host:10.0.0.1 and proto:6)'],
  ])('%s', (expression, expected) => {
    expect(shape(parseFilter(expression))).toBe(expected);
  });

  it('reads pcap network numbers, masks and prefixes', () => {
    const net = (text: string) => {
      const e = parseFilter(`net ${text}`);
      if (e.kind !== 'address') throw new Error('not an address');
      return { prefix: e.block.prefix, words: e.block.words };
    };
    expect(net('10')).toEqual({ prefix: 8, words: [0x0a000000] });
    expect(net('172.16')).toEqual({ prefix: 16, words: [0xac100000] });
    expect(net('192.168.1')).toEqual({ prefix: 24, words: [0xc0a80100] });
    expect(net('10.0.0.0 mask 255.255.0.0')).toEqual({ prefix: 16, words: [0x0a000000] });
    expect(net('2001:db8::/32')).toEqual({ prefix: 32, words: [0x20010db8, 0, 0, 0] });
  });

  it('reads numbers as C does (hex, octal)', () => {
    const e = parseFilter('tcp[tcpflags] & 0x12 = 022');
    expect(e).toMatchObject({ kind: 'relation', left: { right: { value: 18 } }, right: { value: 18 } });
  });

  it('knows its keywords (for telling expressions from paths)', () => {
    expect(isFilterKeyword('tcp')).toBe(true);
    expect(isFilterKeyword('Host')).toBe(true);
    expect(isFilterKeyword('capture.log')).toBe(false);
  });
});

/** [expression, column (1-based), a fragment of the message] */
const ERRORS: [string, number, string][] = [
  ['', 1, 'expected a primitive such as host'],
  ['port', 5, 'expected a port number after "port", found the end of the expression'],
  ['port htp', 6, 'expected a port number after "port", found "htp"'],
  ['port 70000', 6, 'a port number (0-65535)'],
  ['portrange 80', 11, 'expected a port range such as 6000-6008'],
  ['host', 5, 'expected an IP address after "host"'],
  ['host db.internal', 6, 'does not resolve host names'],
  ['host 10.0.0.0/8', 6, 'write "net 10.0.0.0/8"'],
  ['80', 1, 'a bare number needs a qualifier, e.g. "port 80"'],
  ['10.0.0.1', 1, 'an address needs a qualifier, e.g. "host 10.0.0.1"'],
  ['a or b', 1, 'expected a primitive'],
  ['host 10.0.0.1 and', 18, 'after "and", found the end of the expression'],
  ['host 10.0.0.1 or or tcp', 18, 'found "or"'],
  ['tcp and 443', 9, 'a bare value repeats the qualifiers of the primitive before it'],
  ['(tcp', 5, 'the "(" at column 1 is not closed'],
  ['tcp)', 4, 'this ")" has no "(" before it'],
  ['()', 2, '"()" holds nothing'],
  ['host 10.0.0.1 and (10.0.0.2 or port 80)', 32, 'expected an IP address after "host", found "port"'],
  ['net 10.0.1.5/24', 5, 'non-network bits set in "10.0.1.5/24"; write the network address, e.g. "10.0.1.0/24"'],
  ['net 10.0.0.0/33', 14, 'a prefix length from 0 to 32'],
  ['net 10.0.0.0 mask 255.0.255.0', 19, 'a netmask such as 255.255.0.0'],
  ['ip6 host 10.0.0.1', 10, '"ip6" means IPv6'],
  ['ip host 2001:db8::1', 9, '"ip" means IPv4'],
  ['tcp host 10.0.0.1', 1, '"tcp" cannot qualify a host'],
  ['ip port 80', 1, '"ip" cannot qualify a port'],
  ['udp port ssh', 10, '"ssh" is a TCP service, not udp'],
  ['tcp[12] != 0', 4, 'flow logs carry only the TCP flags byte'],
  ['tcp[13:2] != 0', 4, 'flow logs carry only the TCP flags byte'],
  ['ip[0] & 0xf != 5', 1, '"ip[…]" cannot be used on flow logs'],
  ['icmp[icmptype] = icmp-echo', 1, '"icmp[…]" cannot be used on flow logs'],
  ['tcp[tcpflags] & tcp-syn', 24, 'expected a comparison'],
  ['tcp[tcpflags] / 0 = 1', 15, 'division by zero'],
  ['ether host 00:11:22:33:44:55', 1, '"ether" cannot be used on flow logs'],
  ['less 64', 1, 'no packet lengths'],
  ['vlan 100', 1, 'no VLAN tags'],
  ['gateway snup', 1, 'use via ADDRESS'],
  ['action drop', 8, 'expected accept or reject after "action", found "drop"'],
  ['status bad', 8, 'expected ok, nodata or skipdata'],
  ['eni', 4, 'a network interface id'],
  ['via example.com', 5, 'an interface address or block'],
  ['host 10.0.0.1 $ tcp', 15, 'expected a word, a number or an operator, found "$"'],
  ['mask 255.0.0.0', 1, '"mask" belongs after a net address'],
  ['proto 300', 7, 'a protocol number or name'],
  ['src proto 6', 1, '"src" cannot qualify proto'],
  ['tcp proto 6', 1, '"tcp" cannot qualify proto'],
];

describe('parseFilter: errors name the column and what was expected', () => {
  it.each(ERRORS)('%j', (expression, column, fragment) => {
    let error: unknown;
    try {
      parseFilter(expression);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FilterSyntaxError);
    const e = error as FilterSyntaxError;
    expect(e.message).toContain(fragment);
    expect(e.message.startsWith(`bad filter at column ${column}: `)).toBe(true);
    expect(e.column).toBe(column);
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain('\n');
  });
});
