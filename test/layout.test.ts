import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileFormat } from '../src/format/compiled.js';
import { isKnownField } from '../src/format/fields.js';
import { PLAIN_FIELD_LIST, plainFieldsOf } from '../src/format/plain-fields.js';
import { LineScanner } from '../src/format/line-scanner.js';
import * as layout from '../src/layout.js';
import { wasmInstance } from '../src/wasm.js';

/*
 * The numbers TypeScript and the WebAssembly modules exchange are declared once, in
 * src/layout.ts, which both compilers read, and what TypeScript derives from them (the fast
 * path's fields) is derived, not written again. These tests fail when a module was built from
 * other values than TypeScript sees, when a file declares its own copy of one of them, when
 * the bits or slots they declare overlap or leave gaps, or when a slot names no flow-log field.
 */

const ROOT = new URL('../', import.meta.url).pathname;
const L = layout as unknown as Record<string, number>;
const NAMES = Object.keys(L);

type Globals = Record<string, { value: number } | undefined>;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** The bits of `value` (a power-of-two mask or a range), as [lowest, past the highest). */
const range = (shift: number, bits: number): [number, number] => [shift, shift + bits];
const bitOf = (mask: number): [number, number] => range(Math.log2(mask), 1);

function expectDisjoint(ranges: Record<string, [number, number]>): void {
  const sorted = Object.entries(ranges).sort((a, b) => a[1][0] - b[1][0]);
  for (let k = 1; k < sorted.length; k++) {
    const [before, [, end]] = sorted[k - 1];
    const [name, [start]] = sorted[k];
    expect(start, `${name} starts before ${before} ends`).toBeGreaterThanOrEqual(end);
  }
}

describe('one layout for TypeScript and WebAssembly (src/layout.ts)', () => {
  it.each([
    ['format/line-scanner.wasm', {}],
    ['analyze/connection-table.wasm', { env: { abort: () => undefined } }],
  ])('%s was built with every value TypeScript sees', (path, imports) => {
    const built = wasmInstance<Globals>(path, imports);
    expect(NAMES.length).toBeGreaterThan(40);
    for (const name of NAMES) expect(built[name]?.value, name).toBe(L[name]);
  });

  it('FACT_META: side, rejected, focused, flags, evidence and the interface hash do not overlap, and stay exact in a double', () => {
    expect(L.META_SIDE).toBe(1);
    expectDisjoint({
      META_SIDE: bitOf(L.META_SIDE),
      META_REJECTED: bitOf(L.META_REJECTED),
      META_FOCUSED: bitOf(L.META_FOCUSED),
      flags: range(L.META_FLAGS_SHIFT, Math.log2(L.META_NO_FLAGS) + 1),
      evidence: range(L.META_EVIDENCE_SHIFT, L.META_EVIDENCE_BITS),
      iface: range(L.META_IFACE_SHIFT, 32),
    });
    expect(L.META_IFACE_SHIFT + 32).toBeLessThanOrEqual(53);
    // each declared evidence bit lies in the evidence range
    for (const name of NAMES.filter((n) => n.startsWith('META_') && !/^META_(SIDE|REJECTED|FOCUSED|FLAGS_SHIFT|NO_FLAGS|EVIDENCE_SHIFT|EVIDENCE_BITS|IFACE_SHIFT)$/.test(n))) {
      const [bit] = bitOf(L[name]);
      expect(Number.isInteger(bit) && bit >= L.META_EVIDENCE_SHIFT && bit < L.META_EVIDENCE_SHIFT + L.META_EVIDENCE_BITS, `${name} is an evidence bit`).toBe(true);
    }
  });

  it('STATE_FLAGS: both sides\' flags, the verdict\'s bits and evidence, then the other bits, in an int32', () => {
    // every STATE_*_BIT* is one bit of STATE_FLAGS: none overlaps another or the ranges
    const stateBits = NAMES.filter((name) => /^STATE_\w+_BIT\d?$/.test(name));
    expect(stateBits).toEqual(expect.arrayContaining(['STATE_REJECT_BIT', 'STATE_SYNACK_ACCEPT_BIT', 'STATE_RETRY_BIT0', 'STATE_RETRY_BIT1', 'STATE_FOCUS_BIT']));
    expectDisjoint({
      flags: range(0, 12),
      evidence: range(L.STATE_EVIDENCE_SHIFT, L.META_EVIDENCE_BITS),
      ...Object.fromEntries(stateBits.map((name) => [name, bitOf(L[name])])),
    });
    for (const name of stateBits) expect(Number.isInteger(bitOf(L[name])[0]) && bitOf(L[name])[1] <= 31, `${name} is one bit of an int32`).toBe(true);
    // the verdict's evidence is the low STATE_VERDICT_BITS bits: flags, REJECT_BIT, SYNACK_ACCEPT_BIT and the evidence bits, and no other bit
    expect(L.STATE_VERDICT_BITS).toBe(L.STATE_EVIDENCE_SHIFT + L.META_EVIDENCE_BITS);
    expect(bitOf(L.STATE_SYNACK_ACCEPT_BIT)[1]).toBe(L.STATE_EVIDENCE_SHIFT);
    const inVerdict = stateBits.filter((name) => bitOf(L[name])[0] < L.STATE_VERDICT_BITS);
    expect(inVerdict.sort()).toEqual(['STATE_REJECT_BIT', 'STATE_SYNACK_ACCEPT_BIT']);
  });

  it('the fast path has one slot per field, 0 … PLAIN_FIELDS - 1, each named after a flow-log field', () => {
    const slots = NAMES.filter((name) => name.startsWith('PF_')).map((name) => L[name]);
    expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: L.PLAIN_FIELDS }, (_, i) => i));
    expect(PLAIN_FIELD_LIST.map((f) => f.slot)).toEqual(slots);
    for (const { field } of PLAIN_FIELD_LIST) expect(isKnownField(field), field).toBe(true);
    expect(new Set(PLAIN_FIELD_LIST.map((f) => f.name)).size).toBe(L.PLAIN_FIELDS);
    expect(PLAIN_FIELD_LIST.find((f) => f.slot === L.PF_TCP_FLAGS)).toEqual({ slot: L.PF_TCP_FLAGS, field: 'tcp-flags', name: 'flags' });
    expect(PLAIN_FIELD_LIST.find((f) => f.slot === L.PF_SRCPORT)).toEqual({ slot: L.PF_SRCPORT, field: 'srcport', name: 'srcport' });
  });

  it('the scanner gets each field\'s position in its slot', () => {
    // every field the fast path reads, in reverse order, after some it does not read
    const fields = ['version', 'account-id', ...PLAIN_FIELD_LIST.map((f) => f.field).reverse()];
    const format = compileFormat({ fields, origin: 'default' } as Parameters<typeof compileFormat>[0]);
    const positions = plainFieldsOf(format);
    const scanner = new LineScanner();
    scanner.plainOn(positions);
    const memory = (scanner as unknown as { exports: { memory: { buffer: ArrayBuffer }; plainFieldsAt(): number } }).exports;
    const slots = new Int32Array(memory.memory.buffer, memory.plainFieldsAt(), L.PLAIN_FIELDS);
    for (const { slot, field, name } of PLAIN_FIELD_LIST) {
      expect(positions[name], name).toBe(fields.indexOf(field));
      expect(slots[slot], field).toBe(fields.indexOf(field));
    }
  });

  it('no file in src/ or assembly/ keeps its own copy of a layout constant', () => {
    // also the short names the state constants are imported as (STATE_PACKETS as PACKETS)
    const short = (name: string) => (name.startsWith('STATE_') ? [name.slice('STATE_'.length)] : []);
    const names = NAMES.flatMap((name) => [name, ...short(name)]);
    const declaration = new RegExp(`\\bconst (${names.join('|')})\\b\\s*(:\\s*\\w+\\s*)?=`);
    const copies = [...sourceFiles('src'), ...sourceFiles('assembly')]
      .filter((file) => !file.endsWith(join('src', 'layout.ts')))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, i) => ({ where: `${file.slice(ROOT.length)}:${i + 1}`, line })))
      .filter(({ line }) => declaration.test(line))
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(copies).toEqual([]);
  });
});
