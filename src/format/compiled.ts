import { ADDRESS_FIELDS, fieldSpec, isKnownField, NUMERIC_FIELDS } from './fields.js';
import type { LogFormat } from './template.js';

/**
 * A format prepared for fast parsing: positions of the fields the parser validates
 * and the analyzer reads. Built once per distinct format (a header line may change it).
 */
export interface CompiledFormat extends LogFormat {
  /** distinct per compiled format; consumers cache per-format work by it */
  readonly id: number;
  readonly key: string;
  /** `,`-separated (Security Lake / Athena CSV) instead of whitespace */
  readonly csv: boolean;
  /** position of each field in a record */
  readonly pos: ReadonlyMap<string, number>;
  readonly numericPositions: Int32Array;
  readonly addressPositions: Int32Array;
  /** integer fields of the catalog that are not validated (traffic-path, packets-lost-*): typed by toRecord only */
  readonly otherIntPositions: Int32Array;
  /** how each position is validated while it is read: FIELD_TEXT, FIELD_NUMBER or FIELD_ADDRESS */
  readonly kinds: Uint8Array;
  /**
   * For an address field that usually repeats an earlier one (pkt-srcaddr and srcaddr,
   * pkt-dstaddr and dstaddr, in either order): 1 + the earlier one's position, else 0. The
   * scanner then reuses the earlier field's value when the bytes are the same, instead of
   * parsing them again.
   */
  readonly partners: Uint8Array;
  readonly unknownFields: readonly string[];
}

export const FIELD_TEXT = 0;
export const FIELD_NUMBER = 1;
export const FIELD_ADDRESS = 2;

/** Address fields that usually hold the same address (no NAT hop between the packet and the interface). */
const PARTNER_FIELDS: Readonly<Record<string, string>> = { 'pkt-srcaddr': 'srcaddr', srcaddr: 'pkt-srcaddr', 'pkt-dstaddr': 'dstaddr', dstaddr: 'pkt-dstaddr' };

let nextId = 1;
const cache = new Map<string, CompiledFormat>();

export function compileFormat(format: LogFormat, csv = false): CompiledFormat {
  const key = `${csv ? 'csv:' : ''}${format.fields.join(' ')}`;
  const cached = cache.get(key);
  if (cached && cached.origin === format.origin) return cached;
  const pos = new Map(format.fields.map((name, index) => [name, index] as const));
  const numeric: number[] = [];
  const address: number[] = [];
  const otherInt: number[] = [];
  format.fields.forEach((name, index) => {
    if (NUMERIC_FIELDS.has(name)) numeric.push(index);
    else if (fieldSpec(name)?.kind === 'int') otherInt.push(index);
    if (ADDRESS_FIELDS.has(name)) address.push(index);
  });
  const compiled: CompiledFormat = {
    fields: format.fields,
    origin: format.origin,
    id: nextId++,
    key,
    csv,
    pos,
    numericPositions: Int32Array.from(numeric),
    addressPositions: Int32Array.from(address),
    otherIntPositions: Int32Array.from(otherInt),
    kinds: Uint8Array.from(format.fields, (name) => (NUMERIC_FIELDS.has(name) ? FIELD_NUMBER : ADDRESS_FIELDS.has(name) ? FIELD_ADDRESS : FIELD_TEXT)),
    partners: Uint8Array.from(format.fields, (name, index) => {
      const other = PARTNER_FIELDS[name];
      const at = other === undefined ? -1 : (pos.get(other) ?? -1);
      return at >= 0 && at < index && at < 255 ? at + 1 : 0;
    }),
    unknownFields: format.fields.filter((name) => !isKnownField(name)),
  };
  cache.set(key, compiled);
  return compiled;
}

/** Position of `name` in the format, or -1. */
export function fieldPosition(format: CompiledFormat, name: string): number {
  return format.pos.get(name) ?? -1;
}
