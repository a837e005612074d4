import { HOP_ROW, OTHER_ROW, PLAIN_FIELDS, TCP_FACTS } from '../layout.js';
import { wasmInstance, type WasmMemory } from '../wasm.js';
import { PLAIN_FIELD_LIST, type PlainFields } from './plain-fields.js';

/**
 * The line reader's hot loop in WebAssembly: assembly/line-scanner.ts, built by `npm run build`
 * into dist/format/line-scanner.wasm (see there for why, and docs/performance.md). Each reader
 * gets its own instance, whose memory holds the reader's input window and the results of the
 * last line.
 */

/** The compiled module's exports (assembly/line-scanner.ts). */
interface ScannerExports {
  memory: WasmMemory;
  startsAt(): number;
  endsAt(): number;
  numsAt(): number;
  ipv4sAt(): number;
  kindsAt(): number;
  partnersAt(): number;
  statusAt(): number;
  inputAt(): number;
  setFormat(fields: number, hashField: number): void;
  scanLine(start: number, limit: number, newline: number): number;
  factsAt(): number;
  othersAt(): number;
  hopsAt(): number;
  keyTextAt(): number;
  textRowsAt(): number;
  notedAt(): number;
  rankAt(): number;
  plainStatusAt(): number;
  maxRows(): number;
  plainOff(): void;
  plainFieldsAt(): number;
  plainOn(): void;
  clearRows(): void;
  readRecords(start: number, limit: number): number;
}

// readRecords()'s and scanLine()'s result slots, and the rows it writes: src/layout.ts, shared
// with the assembly.
export { HOP_ROW, OTHER_ROW, PS_HOPS, PS_LINE_END, PS_LINES, PS_MAX_END, PS_MIN_START, PS_OTHER_PROTOCOLS, PS_OTHERS, PS_REASON, PS_TCP, PS_TEXT_KEYS } from '../layout.js';
export { STATUS_BAD_ADDRESS, STATUS_BAD_NUMBER, STATUS_COUNT, STATUS_HASH, STATUS_ID } from '../layout.js';
export const REASON_MORE = 0;
export const REASON_SLOW = 1;
export const REASON_FULL = 2;
/** Numbers per row of `facts`: a TCP record's facts (TCP_FACTS in src/layout.ts). */
export const FACT_ROW = TCP_FACTS;
/** How many distinct interface ids the scanner numbers (MAX_IDS in assembly/line-scanner.ts). */
export const MAX_IDS = 1 << 14;

const PAGE = 65_536;

export interface ScannerViews {
  bytes: Buffer;
  starts: Int32Array;
  ends: Int32Array;
  nums: Float64Array;
  ipv4s: Float64Array;
  kinds: Uint8Array;
  partners: Uint8Array;
  status: Int32Array;
  noted: Uint8Array;
  facts: Float64Array;
  others: Float64Array;
  hops: Float64Array;
  /** the rows of `facts` with a text key: its key numbers are NaN, its offset in keyTextAt's bytes and its length */
  textRows: Int32Array;
  keyTextAt: number;
  plainStatus: Int32Array;
  plainTimes: Float64Array;
}

/**
 * The rank of each octet's decimal text among "0"…"255" sorted as strings: canonical IPv4
 * addresses sort as texts as their octets' ranks do (see ipv4TextOrder() in line-reader.ts).
 */
export const OCTET_TEXT_RANK: Uint8Array = (() => {
  const texts = Array.from({ length: 256 }, (_, octet) => String(octet)).sort();
  const rank = new Uint8Array(256);
  texts.forEach((text, index) => (rank[Number(text)] = index));
  return rank;
})();

/**
 * One scanner: a WebAssembly instance and typed views of its memory. `memory` grows when a
 * line does not fit (views() must then be taken again: growing detaches the old buffer).
 */
export class LineScanner {
  readonly scanLine: (start: number, limit: number, newline: number) => number;
  readonly setFormat: (fields: number, hashField: number) => void;
  readonly readRecords: (start: number, limit: number) => number;
  readonly plainOff: () => void;
  readonly clearRows: () => void;
  readonly maxRows: number;
  private readonly exports: ScannerExports;
  /** where the input window starts */
  readonly inputAt: number;

  constructor() {
    this.exports = wasmInstance<ScannerExports>('format/line-scanner.wasm');
    this.scanLine = this.exports.scanLine;
    this.setFormat = this.exports.setFormat;
    this.readRecords = this.exports.readRecords;
    this.plainOff = this.exports.plainOff;
    this.clearRows = this.exports.clearRows;
    this.maxRows = this.exports.maxRows();
    this.inputAt = this.exports.inputAt();
    new Uint8Array(this.exports.memory.buffer, this.exports.rankAt(), 256).set(OCTET_TEXT_RANK);
    this.clearRows();
  }

  /** Turns the fast path on for the current format: the positions of the fields it reads (-1: absent). */
  plainOn(fields: PlainFields): void {
    const positions = new Int32Array(this.exports.memory.buffer, this.exports.plainFieldsAt(), PLAIN_FIELDS);
    for (const { slot, name } of PLAIN_FIELD_LIST) positions[slot] = fields[name];
    this.exports.plainOn();
  }

  /** Makes the memory at least `bytes` long. */
  ensure(bytes: number): void {
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }

  /** Typed views of the current memory (taken again after ensure() grew it). */
  views(): ScannerViews {
    const buffer = this.exports.memory.buffer;
    const e = this.exports;
    return {
      noted: new Uint8Array(buffer, e.notedAt(), MAX_IDS),
      facts: new Float64Array(buffer, e.factsAt(), this.maxRows * FACT_ROW),
      others: new Float64Array(buffer, e.othersAt(), this.maxRows * OTHER_ROW),
      hops: new Float64Array(buffer, e.hopsAt(), this.maxRows * HOP_ROW),
      textRows: new Int32Array(buffer, e.textRowsAt(), this.maxRows),
      keyTextAt: e.keyTextAt(),
      plainStatus: new Int32Array(buffer, e.plainStatusAt(), 16),
      plainTimes: new Float64Array(buffer, e.plainStatusAt(), 8),
      bytes: Buffer.from(buffer),
      starts: new Int32Array(buffer, e.startsAt(), MAX_TOKENS),
      ends: new Int32Array(buffer, e.endsAt(), MAX_TOKENS),
      nums: new Float64Array(buffer, e.numsAt(), MAX_TOKENS),
      ipv4s: new Float64Array(buffer, e.ipv4sAt(), MAX_TOKENS),
      kinds: new Uint8Array(buffer, e.kindsAt(), MAX_TOKENS),
      partners: new Uint8Array(buffer, e.partnersAt(), MAX_TOKENS),
      status: new Int32Array(buffer, e.statusAt(), 8),
    };
  }
}

/**
 * Bytes of memory the scanner may read past the data it is given (it loads 64 bytes at a time):
 * every range passed to scanLine() must have this much memory after it.
 */
export const SLACK = 64;

/** Tokens whose positions are kept (as MAX_TOKENS in assembly/line-scanner.ts). */
export const MAX_TOKENS = 256;
