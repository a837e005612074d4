import { isIP } from 'node:net';
import { ipv4Value } from '../format/values.js';
import { isLeadingZeroQuad, parseIpv6 } from './address.js';
import { TCP_FLAG_NAMES, type AddressBlock, type Arith, type ArithOp, type Direction, type Expr, type RelOp } from './ast.js';
import { expected, FilterSyntaxError } from './errors.js';
import { findService, PROTOCOL_NUMBERS } from './services.js';
import { tokenize, type Token } from './tokenize.js';

/**
 * A recursive-descent parser for tcpdump filter expressions, following pcap-filter(7)
 * and libpcap's grammar.y:
 *
 * - "Negation has the highest precedence. Alternation and concatenation have equal
 *   precedence and associate left to right" — so `a or b and c` is `(a or b) and c`
 *   (grammar.y: `%left OR AND`).
 * - "If an identifier is given without a keyword, the most recent keyword is assumed":
 *   `port 80 or 443`, `not host vs and ace` (= `not host vs and host ace`),
 *   `host a and (b or c)`.
 * - Arithmetic in relations (`tcp[tcpflags] & (tcp-syn|tcp-rst) != 0`) with C-like
 *   precedence: `* / %` over `+ -` over `<< >>` over `&` over `^` over `|`
 *   (grammar.y declares `|` < `&` < shifts < `+ -` < `* /`; `^` and `%` follow C).
 *
 * Only what flow logs can answer is accepted; other pcap primitives (`ether`, `less`,
 * `vlan` …) are refused with a reason, never silently ignored.
 */
export function parseFilter(text: string): Expr {
  const parser = new Parser(text);
  return parser.parseAll();
}

/** Qualifiers of a primitive (`tcp src port`), remembered for bare values after and/or. */
interface Qual {
  proto: 'ip' | 'ip6' | 'tcp' | 'udp' | 'sctp' | null;
  dir: Direction | null;
  type: 'host' | 'net' | 'port' | 'portrange' | 'proto' | null;
  /** the qualifiers as written, for messages */
  text: string;
  /** where the protocol and direction qualifiers start, for messages about them */
  protoPos: number;
  dirPos: number;
}

const PROTO_QUALIFIERS = new Set(['ip', 'ip6', 'tcp', 'udp', 'sctp']);
const TYPE_WORDS = new Set(['host', 'net', 'port', 'portrange']);
const RELOPS = new Set(['>', '<', '>=', '<=', '=', '==', '!=']);
const ARITH_OPS = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
/** binding power of binary arithmetic operators: higher binds tighter */
const ARITH_POWER: Record<string, number> = { '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
/** pcap's named offsets: tcpflags is byte 13 of the TCP header */
const OFFSET_NAMES: Record<string, number> = { tcpflags: 13, icmptype: 0, icmpcode: 1, icmp6type: 0, icmp6code: 1 };

/** Primitives pcap knows that flow logs cannot answer, with the reason. */
const UNSUPPORTED: Record<string, string> = {
  ether: 'flow logs carry no link layer (MAC addresses, ethertypes)',
  fddi: 'flow logs carry no link layer',
  tr: 'flow logs carry no link layer',
  wlan: 'flow logs carry no link layer',
  link: 'flow logs carry no link layer',
  ppp: 'flow logs carry no link layer',
  slip: 'flow logs carry no link layer',
  radio: 'flow logs carry no link layer',
  arp: 'flow logs record IP traffic only',
  rarp: 'flow logs record IP traffic only',
  decnet: 'flow logs record IP traffic only',
  atalk: 'flow logs record IP traffic only',
  aarp: 'flow logs record IP traffic only',
  ipx: 'flow logs record IP traffic only',
  iso: 'flow logs record IP traffic only',
  stp: 'flow logs record IP traffic only',
  netbeui: 'flow logs record IP traffic only',
  lat: 'flow logs record IP traffic only',
  sca: 'flow logs record IP traffic only',
  mopdl: 'flow logs record IP traffic only',
  moprc: 'flow logs record IP traffic only',
  clnp: 'flow logs record IP traffic only',
  esis: 'flow logs record IP traffic only',
  isis: 'flow logs record IP traffic only',
  llc: 'flow logs carry no link layer',
  vlan: 'flow logs carry no VLAN tags',
  mpls: 'flow logs carry no MPLS labels',
  pppoed: 'flow logs carry no link layer',
  pppoes: 'flow logs carry no link layer',
  geneve: 'flow logs do not decode tunnels',
  vxlan: 'flow logs do not decode tunnels',
  less: 'flow logs have no packet lengths (a record counts packets and bytes over a window)',
  greater: 'flow logs have no packet lengths (a record counts packets and bytes over a window)',
  len: 'flow logs have no packet lengths (a record counts packets and bytes over a window)',
  gateway: 'needs link-layer addresses; to match the NAT/TGW hop a record passed through, use via ADDRESS',
  broadcast: 'flow logs carry no link layer and no broadcast marker',
  multicast: 'flow logs carry no link layer and no multicast marker',
  protochain: 'flow logs carry the protocol number only, not the header chain',
  ifindex: 'flow logs name interfaces by id: use eni ID',
  ifname: 'flow logs name interfaces by id: use eni ID',
  on: 'flow logs name interfaces by id: use eni ID',
  igmp: 'has no abbreviation here: write proto 2',
  igrp: 'has no abbreviation here: write proto 9',
  pim: 'has no abbreviation here: write proto 103',
  vrrp: 'has no abbreviation here: write proto 112',
  carp: 'has no abbreviation here: write proto 112',
  ah: 'has no abbreviation here: write proto 51',
  esp: 'has no abbreviation here: write proto 50',
};

/** Words with a meaning of their own in a filter (a file named like one is ambiguous on the command line). */
const KEYWORDS = new Set([
  'and', 'or', 'not', 'host', 'net', 'mask', 'port', 'portrange', 'src', 'dst', 'proto',
  'ip', 'ip6', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'inbound', 'outbound',
  'action', 'eni', 'status', 'via', ...Object.keys(UNSUPPORTED),
]);

/** Whether a word is a filter keyword (used to tell an expression from a path on the command line). */
export function isFilterKeyword(word: string): boolean {
  return KEYWORDS.has(word.toLowerCase()) || word === '(' || word === '!';
}

const PRIMITIVE_HINT = 'a primitive such as host, net, port, portrange, tcp, udp, icmp, ip6, action, eni, status or tcp[tcpflags]';

class Parser {
  private readonly tokens: Token[];
  private i = 0;
  /** the qualifiers of the primitive just parsed, for a bare value after and/or; null when none (pcap's qerr) */
  private lastQual: Qual | null = null;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  parseAll(): Expr {
    if (this.peek().kind === 'end') throw expected(0, PRIMITIVE_HINT, '');
    const expr = this.parseExpr();
    const t = this.peek();
    if (t.kind !== 'end') {
      if (t.text === ')') throw expected(t.pos, '"and", "or" or the end of the expression', t.text, 'this ")" has no "(" before it');
      throw expected(t.pos, '"and", "or" or the end of the expression', t.text);
    }
    return expr;
  }

  // ---- tokens ----------------------------------------------------------------

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)];
  }

  private next(): Token {
    const t = this.tokens[this.i];
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  /** The keyword a word token stands for (lowercase), or undefined for values and escaped words. */
  private keyword(t: Token): string | undefined {
    if (t.kind !== 'word' || t.escaped) return undefined;
    const word = t.text.toLowerCase();
    return KEYWORDS.has(word) ? word : undefined;
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }

  private isAnd(t: Token): boolean {
    return this.isOp(t, '&&') || this.keyword(t) === 'and';
  }

  private isOr(t: Token): boolean {
    return this.isOp(t, '||') || this.keyword(t) === 'or';
  }

  private isNot(t: Token): boolean {
    return this.isOp(t, '!') || this.keyword(t) === 'not';
  }

  private expectOp(op: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, op)) throw expected(t.pos, what, t.text);
    return this.next();
  }

  /** A bare value: a word that is neither a keyword nor an arithmetic name. */
  private isBareValue(t: Token): boolean {
    if (t.kind !== 'word') return false;
    if (t.escaped) return true;
    const word = t.text.toLowerCase();
    return !KEYWORDS.has(word) && !(word in TCP_FLAG_NAMES) && !(word in OFFSET_NAMES);
  }

  private startsArithmeticTail(t: Token): boolean {
    return t.kind === 'op' && (ARITH_OPS.has(t.text) || RELOPS.has(t.text) || t.text === '[');
  }

  // ---- boolean structure -------------------------------------------------------

  /** expr := term ((and | or) (term | id))*  — equal precedence, left to right */
  private parseExpr(): Expr {
    let left = this.parseTerm();
    for (;;) {
      const t = this.peek();
      const kind = this.isAnd(t) ? 'and' : this.isOr(t) ? 'or' : undefined;
      if (!kind) return left;
      this.next();
      if (this.peek().kind === 'end') throw expected(this.peek().pos, `${PRIMITIVE_HINT} after "${t.text}"`, '');
      const right = this.parseTermOrId();
      left = { kind, left, right };
    }
  }

  /** term := (not | !) term | rterm */
  private parseTerm(): Expr {
    const t = this.peek();
    if (this.isNot(t)) {
      this.next();
      if (this.peek().kind === 'end') throw expected(this.peek().pos, `${PRIMITIVE_HINT} after "${t.text}"`, '');
      return { kind: 'not', expr: this.parseTerm() };
    }
    return this.parseRterm();
  }

  /** After and/or: a full term, or a bare value that repeats the last qualifiers (`port 80 or 443`). */
  private parseTermOrId(): Expr {
    const inherited = this.lastQual;
    const t = this.peek();
    if (this.isNot(t)) {
      this.next();
      if (this.peek().kind === 'end') throw expected(this.peek().pos, `${PRIMITIVE_HINT} after "${t.text}"`, '');
      return { kind: 'not', expr: this.parseTermOrId() };
    }
    if (this.isOp(t, '(') && inherited && this.parenHoldsBareValues()) return this.parseIdGroup(inherited);
    if (this.isBareValue(t) && !this.startsArithmeticTail(this.peek(1))) {
      if (!inherited) {
        throw expected(t.pos, PRIMITIVE_HINT, t.text, 'a bare value repeats the qualifiers of the primitive before it (as in "port 80 or 443"), and there is none here');
      }
      return this.parseId(inherited);
    }
    return this.parseTerm();
  }

  /** `(` whose first value is bare: `host a and (b or c)` (grammar.y: `paren pid ')'`). */
  private parenHoldsBareValues(): boolean {
    let k = 1;
    while (this.isOp(this.peek(k), '(') || this.isNot(this.peek(k))) k++;
    return this.isBareValue(this.peek(k)) && !this.startsArithmeticTail(this.peek(k + 1));
  }

  /** '(' pid ')' where pid := id ((and|or) id)* and id := value | not id | '(' pid ')' */
  private parseIdGroup(qual: Qual): Expr {
    this.expectOp('(', '"("');
    let left = this.parseIdItem(qual);
    for (;;) {
      const t = this.peek();
      const kind = this.isAnd(t) ? 'and' : this.isOr(t) ? 'or' : undefined;
      if (!kind) break;
      this.next();
      const right = this.parseIdItem(qual);
      left = { kind, left, right };
    }
    const close = this.peek();
    if (!this.isOp(close, ')')) {
      throw expected(close.pos, `")" (inside parentheses after "${qual.text} …", only values may follow, as in "host a and (b or c)")`, close.text);
    }
    this.next();
    this.lastQual = qual;
    return left;
  }

  private parseIdItem(qual: Qual): Expr {
    const t = this.peek();
    if (this.isNot(t)) {
      this.next();
      return { kind: 'not', expr: this.parseIdItem(qual) };
    }
    if (this.isOp(t, '(')) return this.parseIdGroup(qual);
    return this.parseId(qual);
  }

  /** A primitive. */
  private parseRterm(): Expr {
    const t = this.peek();
    if (this.isOp(t, '(')) {
      if (this.parenIsArithmetic()) return this.parseRelation();
      const before = this.lastQual;
      this.next();
      if (this.isOp(this.peek(), ')')) throw expected(this.peek().pos, PRIMITIVE_HINT, ')', '"()" holds nothing');
      const expr = this.parseExpr();
      const close = this.peek();
      if (!this.isOp(close, ')')) throw expected(close.pos, '"and", "or" or ")"', close.text, `the "(" at column ${t.pos + 1} is not closed`);
      this.next();
      // grammar.y: `paren expr ')'` keeps the qualifiers from before the parenthesis
      this.lastQual = before;
      return expr;
    }
    if (t.kind === 'op' && t.text === '-') return this.parseRelation();
    const word = this.keyword(t);
    if (word !== undefined) {
      if (word in UNSUPPORTED) {
        if (word === 'len' || this.isOp(this.peek(1), '[')) return this.parseRelation();
        throw new FilterSyntaxError(t.pos, `"${t.text}" cannot be used on flow logs: ${UNSUPPORTED[word]}`);
      }
      switch (word) {
        case 'host':
        case 'net':
        case 'port':
        case 'portrange':
        case 'src':
        case 'dst':
        case 'proto':
          return this.parseHeadId();
        case 'ip':
        case 'ip6':
        case 'tcp':
        case 'udp':
        case 'sctp': {
          const after = this.peek(1);
          if (this.isOp(after, '[')) return this.parseRelation();
          const afterWord = this.keyword(after);
          if (afterWord && (TYPE_WORDS.has(afterWord) || afterWord === 'src' || afterWord === 'dst' || afterWord === 'proto')) return this.parseHeadId();
          this.next();
          this.lastQual = null;
          if (word === 'ip') return { kind: 'family', family: 4 };
          if (word === 'ip6') return { kind: 'family', family: 6 };
          return { kind: 'protocol', protocol: PROTOCOL_NUMBERS[word], family: null };
        }
        case 'icmp':
        case 'icmp6': {
          if (this.isOp(this.peek(1), '[')) return this.parseRelation();
          this.next();
          this.lastQual = null;
          // pcap-filter(7): icmp = "ip proto 1", icmp6 = "ip6 proto 58"
          return word === 'icmp' ? { kind: 'protocol', protocol: 1, family: 4 } : { kind: 'protocol', protocol: 58, family: 6 };
        }
        case 'inbound':
        case 'outbound':
          this.next();
          this.lastQual = null;
          return { kind: 'direction', direction: word === 'inbound' ? 'ingress' : 'egress' };
        case 'action':
        case 'eni':
        case 'status':
        case 'via':
          return this.parseFlowLogPrimitive(word);
        case 'mask':
          throw expected(t.pos, PRIMITIVE_HINT, t.text, '"mask" belongs after a net address, as in "net 10.0.0.0 mask 255.255.0.0"');
        default:
          throw expected(t.pos, PRIMITIVE_HINT, t.text);
      }
    }
    if (t.kind === 'word' && (isIP(t.text) !== 0 || isLeadingZeroQuad(t.text) || /^[0-9.:a-f]+\/[0-9]+$/i.test(t.text))) {
      const type = t.text.includes('/') ? 'net' : 'host';
      throw expected(t.pos, PRIMITIVE_HINT, t.text, `an address needs a qualifier, e.g. "${type} ${t.text}"`);
    }
    if (t.kind === 'word' && !t.escaped) {
      const lower = t.text.toLowerCase();
      if (lower in TCP_FLAG_NAMES || lower in OFFSET_NAMES || parseNumber(t.text) !== undefined) {
        if (this.startsArithmeticTail(this.peek(1)) || this.peek(1).kind === 'end' || this.isAnd(this.peek(1)) || this.isOr(this.peek(1))) {
          if (parseNumber(t.text) !== undefined && !this.startsArithmeticTail(this.peek(1))) {
            throw expected(t.pos, PRIMITIVE_HINT, t.text, `a bare number needs a qualifier, e.g. "port ${t.text}"`);
          }
          return this.parseRelation();
        }
      }
    }
    if (t.kind === 'end') throw expected(t.pos, PRIMITIVE_HINT, '');
    throw expected(t.pos, PRIMITIVE_HINT, t.text);
  }

  /** Whether the `(` at the cursor opens arithmetic: its `)` is followed by an operator or comparison. */
  private parenIsArithmetic(): boolean {
    let depth = 0;
    for (let k = 0; ; k++) {
      const t = this.peek(k);
      if (t.kind === 'end') return false;
      if (this.isOp(t, '(')) depth++;
      else if (this.isOp(t, ')')) {
        depth--;
        if (depth === 0) {
          const after = this.peek(k + 1);
          return after.kind === 'op' && (ARITH_OPS.has(after.text) || RELOPS.has(after.text));
        }
      }
    }
  }

  // ---- qualified primitives ----------------------------------------------------

  /** head id: [ip|ip6|tcp|udp|sctp] [src|dst|src or dst|src and dst] [host|net|port|portrange|proto] value */
  private parseHeadId(): Expr {
    const words: string[] = [];
    let proto: Qual['proto'] = null;
    let dir: Direction | null = null;
    let type: Qual['type'] = null;
    let w = this.keyword(this.peek());
    let protoPos = -1;
    let dirPos = -1;
    if (w && PROTO_QUALIFIERS.has(w)) {
      proto = w as Qual['proto'];
      protoPos = this.peek().pos;
      words.push(this.next().text);
      w = this.keyword(this.peek());
    }
    if (w === 'src' || w === 'dst') {
      dirPos = this.peek().pos;
      words.push(this.next().text);
      dir = w;
      const join = this.peek();
      const other = this.keyword(this.peek(1));
      if ((this.isAnd(join) || this.isOr(join)) && other === (w === 'src' ? 'dst' : 'src')) {
        const joined = this.isAnd(join) ? 'and' : 'or';
        words.push(this.next().text, this.next().text);
        dir = `src ${joined} dst` as Direction;
      }
      w = this.keyword(this.peek());
    }
    if (w && (TYPE_WORDS.has(w) || w === 'proto')) {
      type = w as Qual['type'];
      words.push(this.next().text);
    } else if (w === 'gateway') {
      throw new FilterSyntaxError(this.peek().pos, `"gateway" cannot be used on flow logs: ${UNSUPPORTED.gateway}`);
    }
    const qual: Qual = { proto, dir, type, text: words.join(' '), protoPos, dirPos };
    const result = this.parseId(qual);
    this.lastQual = qual;
    return result;
  }

  /** The value of a qualified primitive (or of a bare value repeating `qual`). */
  private parseId(qual: Qual): Expr {
    const t = this.peek();
    const type = qual.type ?? 'host';
    const after = qual.text ? ` after "${qual.text}"` : '';
    const what: Record<string, string> = {
      host: 'an IP address',
      net: 'a network such as 10.0.0.0/8 or 2001:db8::/32',
      port: 'a port number',
      portrange: 'a port range such as 6000-6008',
      proto: 'a protocol number or name (tcp, udp, icmp, icmp6, gre …)',
    };
    if (t.kind !== 'word' || (this.keyword(t) !== undefined && type !== 'proto')) throw expected(t.pos, `${what[type]}${after}`, t.text);
    this.next();
    switch (type) {
      case 'host': {
        if (qual.proto === 'tcp' || qual.proto === 'udp' || qual.proto === 'sctp') {
          throw new FilterSyntaxError(qual.protoPos, `"${qual.proto}" cannot qualify a host; write "${qual.proto} and host ${t.text}"`);
        }
        if (t.text.includes('/')) throw expected(t.pos, `one IP address${after}`, t.text, `for an address block write "net ${t.text}"`);
        const block = this.addressBlock(t, false);
        if (!block) {
          const name = /^[a-z]/i.test(t.text) && !/^[0-9a-f:]+$/i.test(t.text);
          throw expected(t.pos, `${what.host}${after}`, t.text, name ? 'flowdump does not resolve host names; give the address' : undefined);
        }
        const family = this.familyOf(qual, block, t);
        return { kind: 'address', type: 'host', dir: qual.dir ?? 'src or dst', block, family };
      }
      case 'net': {
        if (qual.proto === 'tcp' || qual.proto === 'udp' || qual.proto === 'sctp') {
          throw new FilterSyntaxError(qual.protoPos, `"${qual.proto}" cannot qualify a net; write "${qual.proto} and net ${t.text}"`);
        }
        let block = this.addressBlock(t, true);
        if (!block) throw expected(t.pos, `${what.net}${after}`, t.text);
        if (this.keyword(this.peek()) === 'mask') {
          const maskToken = this.next();
          const m = this.peek();
          if (m.kind === 'word') refuseLeadingZeros(m, m.text);
          const mask = m.kind === 'word' ? ipv4Address(m.text) : -1;
          const prefix = mask >= 0 ? maskPrefix(mask) : -1;
          if (block.family !== 4 || t.text.includes('/')) throw new FilterSyntaxError(maskToken.pos, '"mask" works with a plain IPv4 network only (e.g. "net 10.0.0.0 mask 255.255.0.0")');
          if (prefix < 0) throw expected(m.pos, 'a netmask such as 255.255.0.0 after "mask"', m.text);
          this.next();
          block = { ...block, prefix, text: `${t.text} mask ${m.text}` };
        }
        if (hasHostBits(block)) throw new FilterSyntaxError(t.pos, `non-network bits set in "${block.text}"; write the network address, e.g. "${networkText(block)}"`);
        const family = this.familyOf(qual, block, t);
        return { kind: 'address', type: 'net', dir: qual.dir ?? 'src or dst', block, family };
      }
      case 'port': {
        if (qual.proto === 'ip' || qual.proto === 'ip6') throw new FilterSyntaxError(qual.protoPos, `"${qual.proto}" cannot qualify a port; use tcp, udp or sctp`);
        const protocol = qual.proto ? PROTOCOL_NUMBERS[qual.proto] : null;
        const number = parseNumber(t.text);
        if (number !== undefined) {
          if (number > 65535) throw expected(t.pos, `a port number (0-65535)${after}`, t.text);
          return { kind: 'port', type: 'port', dir: qual.dir ?? 'src or dst', from: number, to: number, protocol };
        }
        const service = findService(t.text.toLowerCase());
        if (!service) throw expected(t.pos, `${what.port}${after}`, t.text, /^[a-z]/i.test(t.text) ? 'unknown service name; give the number' : undefined);
        if (protocol !== null && service.protocol !== null && service.protocol !== protocol) {
          throw new FilterSyntaxError(t.pos, `"${t.text}" is a ${service.protocol === 6 ? 'TCP' : 'UDP'} service, not ${qual.proto}; give the number`);
        }
        return { kind: 'port', type: 'port', dir: qual.dir ?? 'src or dst', from: service.port, to: service.port, protocol: protocol ?? service.protocol };
      }
      case 'portrange': {
        if (qual.proto === 'ip' || qual.proto === 'ip6') throw new FilterSyntaxError(qual.protoPos, `"${qual.proto}" cannot qualify a port range; use tcp, udp or sctp`);
        const match = /^([0-9]+|0x[0-9a-f]+)-([0-9]+|0x[0-9a-f]+)$/i.exec(t.text);
        const a = match ? parseNumber(match[1]) : undefined;
        const b = match ? parseNumber(match[2]) : undefined;
        if (a === undefined || b === undefined || a > 65535 || b > 65535) throw expected(t.pos, `${what.portrange}${after}`, t.text);
        const protocol = qual.proto ? PROTOCOL_NUMBERS[qual.proto] : null;
        // pcap accepts a reversed range and swaps it
        return { kind: 'port', type: 'portrange', dir: qual.dir ?? 'src or dst', from: Math.min(a, b), to: Math.max(a, b), protocol };
      }
      case 'proto': {
        if (qual.dir !== null) throw new FilterSyntaxError(qual.dirPos, `"${qual.dir}" cannot qualify proto`);
        if (qual.proto !== null && qual.proto !== 'ip' && qual.proto !== 'ip6') throw new FilterSyntaxError(qual.protoPos, `"${qual.proto}" cannot qualify proto; use ip or ip6`);
        const number = parseNumber(t.text);
        const protocol = number ?? PROTOCOL_NUMBERS[t.text.toLowerCase()];
        if (protocol === undefined || protocol > 255) throw expected(t.pos, `${what.proto}${after}`, t.text);
        return { kind: 'protocol', protocol, family: qual.proto === 'ip' ? 4 : qual.proto === 'ip6' ? 6 : null };
      }
    }
  }

  private familyOf(qual: Qual, block: AddressBlock, t: Token): 4 | 6 | null {
    if (qual.proto === 'ip' && block.family !== 4) throw new FilterSyntaxError(t.pos, `"ip" means IPv4, but "${t.text}" is IPv6; use ip6`);
    if (qual.proto === 'ip6' && block.family !== 6) throw new FilterSyntaxError(t.pos, `"ip6" means IPv6, but "${t.text}" is IPv4; use ip`);
    return qual.proto === 'ip' ? 4 : qual.proto === 'ip6' ? 6 : null;
  }

  /**
   * An address or block. `asNet` allows pcap's network numbers: 10 → 10.0.0.0/8,
   * 172.16 → /16, 192.168.1 → /24, and a prefix length `/N`.
   */
  private addressBlock(t: Token, asNet: boolean): AddressBlock | undefined {
    const text = t.text;
    const slash = text.indexOf('/');
    const address = slash >= 0 ? text.slice(0, slash) : text;
    let prefixText = slash >= 0 ? text.slice(slash + 1) : undefined;
    refuseLeadingZeros(t, address);
    const v4 = ipv4Address(address);
    if (v4 >= 0) {
      const prefix = prefixText === undefined ? 32 : Number(prefixText);
      if (!/^[0-9]+$/.test(prefixText ?? '32') || prefix > 32) throw expected(t.pos + slash + 1, 'a prefix length from 0 to 32', prefixText ?? '');
      return { family: 4, words: [v4], prefix, text };
    }
    const words = [0, 0, 0, 0];
    if (isIP(address) === 6 && parseIpv6(address, words)) {
      const prefix = prefixText === undefined ? 128 : Number(prefixText);
      if (!/^[0-9]+$/.test(prefixText ?? '128') || prefix > 128) throw expected(t.pos + slash + 1, 'a prefix length from 0 to 128', prefixText ?? '');
      return { family: 6, words: words.map((w) => w >>> 0), prefix, text };
    }
    if (asNet && /^[0-9]+(\.[0-9]+){0,2}$/.test(address)) {
      // pcap: "dotted triple … 255.255.255.0, dotted pair … 255.255.0.0, single number … 255.0.0.0"
      if (address.split('.').some((part) => part.length > 1 && part[0] === '0')) throw expected(t.pos, 'an IPv4 network without leading zeros', t.text);
      const parts = address.split('.').map(Number);
      if (parts.some((part) => part > 255)) return undefined;
      let value = 0;
      for (let k = 0; k < 4; k++) value = value * 256 + (parts[k] ?? 0);
      if (prefixText === undefined) prefixText = String(parts.length * 8);
      const prefix = Number(prefixText);
      if (prefix > 32) throw expected(t.pos + slash + 1, 'a prefix length from 0 to 32', prefixText);
      return { family: 4, words: [value], prefix, text };
    }
    return undefined;
  }

  private parseFlowLogPrimitive(word: 'action' | 'eni' | 'status' | 'via'): Expr {
    const keywordToken = this.next();
    const t = this.peek();
    this.lastQual = null;
    const value = t.kind === 'word' ? t.text : '';
    switch (word) {
      case 'action': {
        const action = value.toUpperCase();
        if (action !== 'ACCEPT' && action !== 'REJECT') throw expected(t.pos, `accept or reject after "${keywordToken.text}"`, t.text);
        this.next();
        return { kind: 'action', action };
      }
      case 'status': {
        const status = value.toUpperCase();
        if (status !== 'OK' && status !== 'NODATA' && status !== 'SKIPDATA') throw expected(t.pos, `ok, nodata or skipdata after "${keywordToken.text}"`, t.text);
        this.next();
        return { kind: 'status', status };
      }
      case 'eni': {
        if (t.kind !== 'word' || this.keyword(t) !== undefined) throw expected(t.pos, `a network interface id such as eni-0a1b2c3d4e5f60718 after "${keywordToken.text}"`, t.text);
        this.next();
        return { kind: 'eni', id: value };
      }
      case 'via': {
        const block = t.kind === 'word' ? this.addressBlock(t, false) : undefined;
        if (!block) throw expected(t.pos, `an interface address or block (10.0.0.50, 10.0.0.0/24) after "${keywordToken.text}"`, t.text);
        if (hasHostBits(block)) throw new FilterSyntaxError(t.pos, `non-network bits set in "${block.text}"; write the network address, e.g. "${networkText(block)}"`);
        this.next();
        return { kind: 'via', block };
      }
    }
  }

  // ---- relations and arithmetic ------------------------------------------------

  private parseRelation(): Expr {
    const left = this.parseArith(0);
    const t = this.peek();
    if (t.kind !== 'op' || !RELOPS.has(t.text)) {
      throw expected(t.pos, 'a comparison (==, !=, >, <, >=, <=) after the arithmetic expression', t.text, 'e.g. "tcp[tcpflags] & tcp-syn != 0"');
    }
    this.next();
    const op = (t.text === '=' ? '==' : t.text) as RelOp;
    const right = this.parseArith(0);
    this.lastQual = null;
    return { kind: 'relation', op, left, right };
  }

  /** Precedence climbing over the binary operators. */
  private parseArith(minPower: number): Arith {
    let left = this.parseArithPrimary();
    for (;;) {
      const t = this.peek();
      if (t.kind !== 'op' || !ARITH_OPS.has(t.text)) return left;
      const power = ARITH_POWER[t.text];
      if (power <= minPower) return left;
      this.next();
      const right = this.parseArith(power);
      if ((t.text === '/' || t.text === '%') && constantValue(right) === 0) throw new FilterSyntaxError(t.pos, 'division by zero');
      left = { kind: 'binary', op: t.text as ArithOp, left, right };
    }
  }

  private parseArithPrimary(): Arith {
    const t = this.peek();
    const value = 'a number, tcp[tcpflags] or a flag name such as tcp-syn';
    if (this.isOp(t, '-')) {
      this.next();
      return { kind: 'negate', arg: this.parseArithPrimary() };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const inner = this.parseArith(0);
      const close = this.peek();
      if (!this.isOp(close, ')')) throw expected(close.pos, '")" or an arithmetic operator', close.text, `the "(" at column ${t.pos + 1} is not closed`);
      this.next();
      return inner;
    }
    if (t.kind !== 'word') throw expected(t.pos, value, t.text);
    const word = t.escaped ? t.text : t.text.toLowerCase();
    const number = parseNumber(t.text);
    if (number !== undefined) {
      this.next();
      if (number > 0xffffffff) throw expected(t.pos, 'a number below 2^32', t.text);
      return { kind: 'number', value: number };
    }
    if (word in TCP_FLAG_NAMES) {
      this.next();
      return { kind: 'number', value: TCP_FLAG_NAMES[word] };
    }
    if (word in OFFSET_NAMES) {
      this.next();
      return { kind: 'number', value: OFFSET_NAMES[word] };
    }
    if (word === 'len') throw new FilterSyntaxError(t.pos, `"len" cannot be used on flow logs: ${UNSUPPORTED.len}`);
    if (this.isOp(this.peek(1), '[')) {
      this.next();
      const open = this.next();
      const index = this.parseArith(0);
      let size = 1;
      if (this.isOp(this.peek(), ':')) {
        this.next();
        const s = this.peek();
        const n = s.kind === 'word' ? parseNumber(s.text) : undefined;
        if (n !== 1 && n !== 2 && n !== 4) throw expected(s.pos, 'a size of 1, 2 or 4 after ":"', s.text);
        this.next();
        size = n;
      }
      this.expectOp(']', '"]"');
      if (word !== 'tcp') {
        throw new FilterSyntaxError(t.pos, `"${t.text}[…]" cannot be used on flow logs: they carry no packet bytes, only the OR of the TCP flags (tcp[tcpflags])`);
      }
      if (constantValue(index) !== 13 || size !== 1) {
        throw new FilterSyntaxError(open.pos, 'flow logs carry only the TCP flags byte: write tcp[tcpflags] (or tcp[13])');
      }
      return { kind: 'tcpflags' };
    }
    throw expected(t.pos, value, t.text);
  }
}

/** C-style integer: decimal, 0x hex, or octal with a leading 0 (pcap's scanner). */
export function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-f]+$/i.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]+$/.test(text)) return parseInt(text.slice(1), 8);
  if (/^[0-9]+$/.test(text) && !/^0[0-9]/.test(text)) return Number(text);
  return undefined;
}

/** The value of an arithmetic expression without record data, or undefined if it reads the flags. */
export function constantValue(arith: Arith): number | undefined {
  switch (arith.kind) {
    case 'number':
      return arith.value;
    case 'tcpflags':
      return undefined;
    case 'negate': {
      const v = constantValue(arith.arg);
      return v === undefined ? undefined : (-v >>> 0);
    }
    case 'binary': {
      const a = constantValue(arith.left);
      const b = constantValue(arith.right);
      return a === undefined || b === undefined ? undefined : applyArith(arith.op, a, b);
    }
  }
}

/** BPF arithmetic: unsigned 32-bit; division by zero yields undefined (the packet is rejected). */
export function applyArith(op: ArithOp, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return (a + b) >>> 0;
    case '-':
      return (a - b) >>> 0;
    case '*':
      return Math.imul(a, b) >>> 0;
    case '/':
      return b === 0 ? undefined : Math.floor(a / b) >>> 0;
    case '%':
      return b === 0 ? undefined : (a % b) >>> 0;
    case '&':
      return (a & b) >>> 0;
    case '|':
      return (a | b) >>> 0;
    case '^':
      return (a ^ b) >>> 0;
    case '<<':
      return b >= 32 ? 0 : (a << b) >>> 0;
    case '>>':
      return b >= 32 ? 0 : a >>> b;
  }
}

/** A contiguous IPv4 netmask → prefix length, or -1. */
/** The IPv4 value of an address in an expression (node:net says what is one; ipv4Value() reads it as a record's), or -1. */
function ipv4Address(text: string): number {
  return isIP(text) === 4 ? ipv4Value(text) : -1;
}

/** Refuses `010.0.0.1`: a record's address written so is text to the analyzer, never the IPv4 address 10.0.0.1. */
function refuseLeadingZeros(t: Token, text: string): void {
  if (isLeadingZeroQuad(text)) throw expected(t.pos, 'an IPv4 address without leading zeros', t.text, `write "${text.split('.').map(Number).join('.')}"`);
}

function maskPrefix(mask: number): number {
  let prefix = 0;
  let seenZero = false;
  for (let bit = 31; bit >= 0; bit--) {
    const set = Math.floor(mask / 2 ** bit) % 2 === 1;
    if (set && seenZero) return -1;
    if (set) prefix++;
    else seenZero = true;
  }
  return prefix;
}

function hasHostBits(block: AddressBlock): boolean {
  let bits = block.prefix;
  for (const word of block.words) {
    const keep = Math.max(0, Math.min(32, bits));
    const hostMask = keep === 32 ? 0 : keep === 0 ? 0xffffffff : (0xffffffff >>> keep) >>> 0;
    if (((word & hostMask) >>> 0) !== 0) return true;
    bits -= 32;
  }
  return false;
}

function networkText(block: AddressBlock): string {
  let bits = block.prefix;
  const words = block.words.map((word) => {
    const keep = Math.max(0, Math.min(32, bits));
    bits -= 32;
    const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
    return (word & mask) >>> 0;
  });
  if (block.family === 4) {
    const w = words[0];
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${block.prefix}`;
  }
  const groups: string[] = [];
  for (const w of words) groups.push(((w >>> 16) & 0xffff).toString(16), (w & 0xffff).toString(16));
  return `${groups.join(':')}/${block.prefix}`;
}
