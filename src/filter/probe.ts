import { layoutOf, type Layout } from '../analyze/fold.js';
import type { CompiledFormat } from '../format/compiled.js';
import type { RecordView } from '../format/line-reader.js';
import { recordLogStatus, type LogStatus } from '../format/log-status.js';
import { parseIpv6 } from './address.js';

/** Field positions a filter reads, per format. */
export interface ProbeLayout extends Layout {
  direction: number;
}

const layouts = new WeakMap<CompiledFormat, ProbeLayout>();

export function probeLayout(format: CompiledFormat): ProbeLayout {
  let layout = layouts.get(format);
  if (!layout) {
    layout = { ...layoutOf(format), direction: format.pos.get('flow-direction') ?? -1 };
    layouts.set(format, layout);
  }
  return layout;
}

/**
 * Facts about the current record that filter primitives ask for, parsed lazily and at
 * most once per record (addresses are the costly part). Reused across records.
 */
export class Probe {
  view!: RecordView;
  layout!: ProbeLayout;
  private format: CompiledFormat | undefined;
  private addressesParsed = false;
  private viaParsed = false;
  /** family of the packet-level addresses: 4, 6, or 0 when the record has none */
  private fam: 0 | 4 | 6 = 0;
  /** packet-level source/destination, IPv4 as one value (-1: not IPv4) */
  private src4 = -1;
  private dst4 = -1;
  private readonly src6 = new Uint32Array(4);
  private readonly dst6 = new Uint32Array(4);
  private src6ok = false;
  private dst6ok = false;
  /** interface-level srcaddr/dstaddr (for `via`) */
  private ifSrc4 = -1;
  private ifDst4 = -1;
  private readonly ifSrc6 = new Uint32Array(4);
  private readonly ifDst6 = new Uint32Array(4);
  private ifSrc6ok = false;
  private ifDst6ok = false;

  reset(view: RecordView): void {
    this.view = view;
    if (view.format !== this.format) {
      this.format = view.format;
      this.layout = probeLayout(view.format);
    }
    this.addressesParsed = false;
    this.viaParsed = false;
  }

  /** log-status, as every reader of records judges it (src/format/log-status.ts) */
  status(): LogStatus {
    return recordLogStatus(this.view, this.layout.status, this.layout.flowPositions);
  }

  /** IANA protocol number, NaN when the format has no protocol field or the value is `-`. */
  protocol(): number {
    return this.view.num(this.layout.protocol);
  }

  /** tcp-flags, NaN when absent. */
  flags(): number {
    return this.view.num(this.layout.flags);
  }

  srcPort(): number {
    return this.view.num(this.layout.srcport);
  }

  dstPort(): number {
    return this.view.num(this.layout.dstport);
  }

  family(): 0 | 4 | 6 {
    this.parseAddresses();
    return this.fam;
  }

  /** Whether the packet-level source (side 0) or destination (side 1) lies in the block. */
  packetAddressIn(side: 0 | 1, family: 4 | 6, words: readonly number[], prefix: number): boolean {
    this.parseAddresses();
    if (family === 4) return matchV4(side === 0 ? this.src4 : this.dst4, words[0], prefix);
    return side === 0 ? this.src6ok && match6(this.src6, words, prefix) : this.dst6ok && match6(this.dst6, words, prefix);
  }

  /** Whether the interface-level srcaddr (side 0) or dstaddr (side 1) lies in the block. */
  interfaceAddressIn(side: 0 | 1, family: 4 | 6, words: readonly number[], prefix: number): boolean {
    this.parseInterfaceAddresses();
    if (family === 4) return matchV4(side === 0 ? this.ifSrc4 : this.ifDst4, words[0], prefix);
    return side === 0 ? this.ifSrc6ok && match6(this.ifSrc6, words, prefix) : this.ifDst6ok && match6(this.ifDst6, words, prefix);
  }

  /** Whether the field at `position` holds exactly `text` (case-insensitive when `fold`). */
  fieldIs(position: number, text: string, fold = false): boolean {
    if (position < 0) return false;
    const view = this.view;
    const start = view.starts[position];
    const end = view.ends[position];
    const bytes = view.bytes;
    for (let k = start; k < end; k++) {
      // the record is bytes: compare a field with non-ASCII characters as text
      if (bytes[k] >= 128) return sameText(bytes.toString('utf8', start, end), text, fold);
    }
    if (end - start !== text.length) return false;
    for (let k = 0; k < text.length; k++) {
      let a = bytes[start + k];
      let b = text.charCodeAt(k);
      if (fold) {
        a |= 32;
        b |= 32;
      }
      if (a !== b) return false;
    }
    return true;
  }

  private parseAddresses(): void {
    if (this.addressesParsed) return;
    this.addressesParsed = true;
    const { view, layout } = this;
    const srcIdx = layout.pktSrc >= 0 && !view.missing(layout.pktSrc) ? layout.pktSrc : layout.srcaddr;
    const dstIdx = layout.pktDst >= 0 && !view.missing(layout.pktDst) ? layout.pktDst : layout.dstaddr;
    this.src4 = parseAt(view, srcIdx, this.src6);
    this.src6ok = this.src4 === -2;
    this.dst4 = parseAt(view, dstIdx, this.dst6);
    this.dst6ok = this.dst4 === -2;
    this.fam = this.src4 >= 0 || (this.src4 === -1 && this.dst4 >= 0) ? 4 : this.src6ok || this.dst6ok ? 6 : 0;
  }

  private parseInterfaceAddresses(): void {
    if (this.viaParsed) return;
    this.viaParsed = true;
    const { view, layout } = this;
    this.ifSrc4 = parseAt(view, layout.srcaddr, this.ifSrc6);
    this.ifSrc6ok = this.ifSrc4 === -2;
    this.ifDst4 = parseAt(view, layout.dstaddr, this.ifDst6);
    this.ifDst6ok = this.ifDst4 === -2;
  }
}

/** IPv4 value (≥ 0), -2 when IPv6 was parsed into `out`, -1 when missing or neither. */
function parseAt(view: RecordView, position: number, out: Uint32Array): number {
  if (position < 0 || view.missing(position)) return -1;
  // IPv4 as the reader read it (parseAddress() in src/format/values.ts): a canonical dotted quad;
  // any other spelling (`010.0.0.1`) is text, as the analyzer keys it
  const ipv4 = view.ipv4(position);
  if (ipv4 >= 0) return ipv4;
  return parseIpv6(view.str(position) as string, out) ? -2 : -1;
}

/** fieldIs() for text: equal, or equal ignoring case (bit 32 of each character) when `fold`. */
function sameText(field: string, text: string, fold: boolean): boolean {
  if (field.length !== text.length) return false;
  for (let k = 0; k < text.length; k++) {
    let a = field.charCodeAt(k);
    let b = text.charCodeAt(k);
    if (fold) {
      a |= 32;
      b |= 32;
    }
    if (a !== b) return false;
  }
  return true;
}

function matchV4(value: number, network: number, prefix: number): boolean {
  if (value < 0) return false;
  if (prefix === 0) return true;
  const mask = prefix === 32 ? 0xffffffff : (0xffffffff << (32 - prefix)) >>> 0;
  return ((value & mask) >>> 0) === ((network & mask) >>> 0);
}

function match6(value: Uint32Array, words: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let k = 0; k < 4 && bits > 0; k++) {
    const take = Math.min(32, bits);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((value[k] & mask) >>> 0) !== ((words[k] & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}
