import type { CompiledFormat } from './compiled.js';
import { MAX_TOKENS } from './line-scanner.js';
import { NOT_IPV4 } from './values.js';

/** A record as plain data: field name → text or number. */
export type FlowRecord = Record<string, string | number>;

const NaNValue = Number.NaN;
const EMPTY = Buffer.alloc(0);

/**
 * One parsed line, reused across lines to keep the hot loop free of allocation.
 *
 * The reader works on the input's bytes, not on decoded text: decoding hundreds of MB to
 * strings only to split them again cost as much as the whole analysis (see docs/performance.md).
 * Token i spans bytes[starts[i], ends[i]); fields are split on ASCII space/tab, which never
 * occur inside a UTF-8 multi-byte sequence, so the tokens are the same as on the decoded text.
 * `nums[i]` holds the value of numeric fields (NaN for `-`); `ipv4s[i]`, for address fields,
 * the 32-bit value of a canonical IPv4 address (NOT_IPV4 otherwise). `-` and empty values read
 * as undefined. Strings are only made (decoded as UTF-8) when a consumer asks for one.
 */
export class RecordView {
  bytes: Buffer = EMPTY;
  count = 0;
  // the line reader points these at its scanner's memory
  starts: Int32Array = new Int32Array(MAX_TOKENS);
  ends: Int32Array = new Int32Array(MAX_TOKENS);
  nums: Float64Array = new Float64Array(MAX_TOKENS);
  ipv4s: Float64Array = new Float64Array(MAX_TOKENS);
  /** FNV-1a (as int32) of the interface-id field's bytes; 0 when the format has none */
  idHash = 0;
  /**
   * For the analyzer: 1 at an interface id's number (idNumber) once it has noted it; the fast
   * path then tallies the id's plain records without it (RecordSink.plainFields()).
   */
  idNoted: Uint8Array = new Uint8Array(0);
  /**
   * The interface id's number among the distinct ids this reader has seen (the same number for
   * the same text, 0, 1, 2, … as first seen), or -1 (CSV, an id of over 128 bytes, past 16,384 ids)
   */
  idNumber = -1;
  format!: CompiledFormat;
  source = '';
  line = 0;

  /** The field's text, or undefined for `-` / empty / absent (index -1). */
  str(index: number): string | undefined {
    if (this.missing(index)) return undefined;
    return this.bytes.toString('utf8', this.starts[index], this.ends[index]);
  }

  /** The numeric field's value, NaN for `-` or absent. Only numeric fields are parsed. */
  num(index: number): number {
    return index < 0 ? NaNValue : this.nums[index];
  }

  /**
   * The address field's value as a 32-bit unsigned number when it is an IPv4 address written
   * the canonical way (no leading zeros: exactly what formatIpv4() prints back); NOT_IPV4 for
   * IPv6, `-`, other spellings, or an absent field.
   */
  ipv4(index: number): number {
    return index < 0 ? NOT_IPV4 : this.ipv4s[index];
  }

  /** The first byte of the field (enough to tell ACCEPT/REJECT, OK/NODATA/SKIPDATA), or -1. */
  code(index: number): number {
    if (index < 0 || this.ends[index] === this.starts[index]) return -1;
    return this.bytes[this.starts[index]];
  }

  /** True when both fields hold the same text (no allocation). */
  same(a: number, b: number): boolean {
    const length = this.ends[a] - this.starts[a];
    if (length !== this.ends[b] - this.starts[b]) return false;
    const bytes = this.bytes;
    const sa = this.starts[a];
    const sb = this.starts[b];
    for (let i = 0; i < length; i++) if (bytes[sa + i] !== bytes[sb + i]) return false;
    return true;
  }

  /** True when the field is ASCII and its text is `text` (no allocation). */
  equals(index: number, text: string): boolean {
    const start = this.starts[index];
    const length = this.ends[index] - start;
    if (length !== text.length) return false;
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) {
      const c = bytes[start + i];
      if (c >= 128 || c !== text.charCodeAt(i)) return false;
    }
    return true;
  }

  /**
   * Compares the text of two fields as JavaScript compares strings (`<`), without making them:
   * byte order equals UTF-16 order for ASCII, and address fields are validated ASCII.
   */
  compare(a: number, b: number): number {
    const bytes = this.bytes;
    const sa = this.starts[a];
    const sb = this.starts[b];
    const la = this.ends[a] - sa;
    const lb = this.ends[b] - sb;
    const length = la < lb ? la : lb;
    for (let i = 0; i < length; i++) {
      const d = bytes[sa + i] - bytes[sb + i];
      if (d !== 0) return d;
    }
    return la - lb;
  }

  /** True when the field is absent or holds `-` (or nothing). */
  missing(index: number): boolean {
    if (index < 0) return true;
    const start = this.starts[index];
    const end = this.ends[index];
    return end === start || (end - start === 1 && this.bytes[start] === 45);
  }

  /** The whole line as written (for messages and `show`). */
  lineText(): string {
    return this.count === 0 ? '' : this.bytes.toString('utf8', this.starts[0], this.ends[this.count - 1]);
  }

  /** A plain object of the record: numbers for the catalog's integer fields, `-` fields left out. */
  toRecord(): FlowRecord {
    const record: FlowRecord = {};
    const fields = this.format.fields;
    const numeric = this.format.numericPositions;
    for (let i = 0; i < fields.length; i++) {
      const value = this.str(i);
      if (value === undefined) continue;
      record[fields[i]] = value;
    }
    for (let k = 0; k < numeric.length; k++) {
      const index = numeric[k];
      const value = this.nums[index];
      if (!Number.isNaN(value)) record[fields[index]] = value;
    }
    // Integer fields the analyzer does not validate (traffic-path, packets-lost-*) are typed when they are digits.
    const otherInt = this.format.otherIntPositions;
    for (let k = 0; k < otherInt.length; k++) {
      const name = fields[otherInt[k]];
      const value = record[name];
      if (typeof value === 'string' && /^\d+$/.test(value)) record[name] = Number(value);
    }
    return record;
  }
}

/** A record as plain data, keyed by AWS field name; `-` values are absent. */
