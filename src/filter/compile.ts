import type { RecordView } from '../format/line-reader.js';
import { LogStatus } from '../format/log-status.js';
import type { Arith, Direction, Expr } from './ast.js';
import { applyArith, parseFilter } from './parse.js';
import { Probe } from './probe.js';

/** A compiled filter: true when the record matches. Pure; safe to call once per record. */
export type RecordPredicate = (view: RecordView) => boolean;

type Test = (probe: Probe) => boolean;

/** Ports are defined for TCP, UDP and SCTP only (pcap-filter(7): "True if the packet is IPv4/v6 TCP, UDP or SCTP"). */
const PORT_PROTOCOLS = new Set([6, 17, 132]);

/**
 * Turns a parsed expression into a predicate over records. Semantics per primitive:
 *
 * - `host`/`net`/`src`/`dst`: the **packet-level** addresses (pkt-srcaddr/pkt-dstaddr
 *   where present and not `-`, else srcaddr/dstaddr) — what tcpdump would have seen and
 *   what `show` prints first on each line. `via` tests the interface-level addresses.
 * - `port`/`portrange`: TCP, UDP and SCTP records; when the data has no protocol field,
 *   the ports alone.
 * - `tcp[tcpflags]`: the record's tcp-flags (the OR over its window) on TCP records —
 *   or, without a protocol field, on any record that has tcp-flags; a relation that
 *   reads it is false when it is absent (pcap rejects the packet; `not` inverts that).
 * - NODATA/SKIPDATA records have no addresses, ports or protocol: only `status`, `eni`,
 *   and negations match them.
 */
export function compileFilter(expr: Expr): RecordPredicate {
  const test = build(expr);
  const probe = new Probe();
  return (view) => {
    probe.reset(view);
    return test(probe);
  };
}

function build(expr: Expr): Test {
  switch (expr.kind) {
    case 'and': {
      const a = build(expr.left);
      const b = build(expr.right);
      return (p) => a(p) && b(p);
    }
    case 'or': {
      const a = build(expr.left);
      const b = build(expr.right);
      return (p) => a(p) || b(p);
    }
    case 'not': {
      const a = build(expr.expr);
      return (p) => !a(p);
    }
    case 'address': {
      const { family: blockFamily, words, prefix } = expr.block;
      const only = expr.family;
      const side = (p: Probe, s: 0 | 1) => p.packetAddressIn(s, blockFamily, words, prefix);
      const combine = direction(expr.dir, side);
      return (p) => (only === null || p.family() === only) && combine(p);
    }
    case 'port': {
      const { from, to, protocol: wanted } = expr;
      const side = (p: Probe, s: 0 | 1) => {
        const port = s === 0 ? p.srcPort() : p.dstPort();
        return port >= from && port <= to; // NaN compares false
      };
      const combine = direction(expr.dir, side);
      return (p) => {
        const protocol = p.protocol();
        if (Number.isNaN(protocol)) {
          if (wanted !== null) return false;
        } else if (wanted !== null ? protocol !== wanted : !PORT_PROTOCOLS.has(protocol)) {
          return false;
        }
        return combine(p);
      };
    }
    case 'protocol': {
      const { protocol, family } = expr;
      return (p) => p.protocol() === protocol && (family === null || p.family() === family);
    }
    case 'family': {
      const { family } = expr;
      return (p) => p.family() === family;
    }
    case 'relation': {
      const left = evaluator(expr.left);
      const right = evaluator(expr.right);
      const op = expr.op;
      return (p) => {
        const a = left(p);
        if (a === undefined) return false;
        const b = right(p);
        if (b === undefined) return false;
        switch (op) {
          case '==':
            return a === b;
          case '!=':
            return a !== b;
          case '>':
            return a > b;
          case '<':
            return a < b;
          case '>=':
            return a >= b;
          case '<=':
            return a <= b;
        }
      };
    }
    case 'action': {
      const letter = expr.action === 'ACCEPT' ? 97 : 114; // a / r
      return (p) => {
        const position = p.layout.action;
        if (position < 0 || p.view.missing(position)) return false;
        return (p.view.code(position) | 32) === letter;
      };
    }
    case 'eni': {
      const id = expr.id;
      return (p) => p.fieldIs(p.layout.iface, id, true);
    }
    case 'status': {
      const wanted = expr.status === 'OK' ? LogStatus.ok : expr.status === 'NODATA' ? LogStatus.nodata : LogStatus.skipdata;
      return (p) => p.status() === wanted;
    }
    case 'direction': {
      const wanted = expr.direction;
      return (p) => p.fieldIs(p.layout.direction, wanted, true);
    }
    case 'via': {
      const { family, words, prefix } = expr.block;
      return (p) => p.interfaceAddressIn(0, family, words, prefix) || p.interfaceAddressIn(1, family, words, prefix);
    }
  }
}

function direction(dir: Direction, side: (p: Probe, s: 0 | 1) => boolean): Test {
  switch (dir) {
    case 'src':
      return (p) => side(p, 0);
    case 'dst':
      return (p) => side(p, 1);
    case 'src or dst':
      return (p) => side(p, 0) || side(p, 1);
    case 'src and dst':
      return (p) => side(p, 0) && side(p, 1);
  }
}

/** Evaluates arithmetic on a record: undefined when it reads flags the record does not have (or divides by zero). */
function evaluator(arith: Arith): (p: Probe) => number | undefined {
  switch (arith.kind) {
    case 'number': {
      const value = arith.value >>> 0;
      return () => value;
    }
    case 'tcpflags':
      return (p) => {
        const protocol = p.protocol();
        if (!Number.isNaN(protocol) && protocol !== 6) return undefined;
        const flags = p.flags();
        return Number.isNaN(flags) ? undefined : flags >>> 0;
      };
    case 'negate': {
      const arg = evaluator(arith.arg);
      return (p) => {
        const v = arg(p);
        return v === undefined ? undefined : -v >>> 0;
      };
    }
    case 'binary': {
      const left = evaluator(arith.left);
      const right = evaluator(arith.right);
      const op = arith.op;
      return (p) => {
        const a = left(p);
        if (a === undefined) return undefined;
        const b = right(p);
        if (b === undefined) return undefined;
        return applyArith(op, a, b);
      };
    }
  }
}

/** Parses and compiles in one step; a blank expression means no filter (undefined). */
export function compileExpression(text: string): RecordPredicate | undefined {
  if (text.trim() === '') return undefined;
  return compileFilter(parseFilter(text));
}
