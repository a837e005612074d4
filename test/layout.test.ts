import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as layout from '../src/layout.js';
import { wasmInstance } from '../src/wasm.js';

/*
 * The numbers TypeScript and the WebAssembly modules exchange are declared once, in
 * src/layout.ts, which both compilers read. These tests fail when a module was built from other
 * values than TypeScript sees, or when a file declares its own copy of one of them.
 */

const ROOT = new URL('../', import.meta.url).pathname;
const L = layout as unknown as Record<string, number>;

/** Σ (k + 1) × value, as layoutSignature() (assembly/layout-signature.ts, in both modules) sums them. */
function signature(names: string[]): number {
  return names.reduce((sum, name, k) => {
    expect(L[name], name).toBeTypeOf('number');
    return sum + (k + 1) * L[name];
  }, 0);
}

/** Every constant of src/layout.ts, in the order assembly/layout-signature.ts sums them. */
const ALL = [
  ...['TCP_FACTS', 'FACT_KEY', 'FACT_META', 'FACT_PACKETS', 'FACT_BYTES', 'FACT_START', 'FACT_END', 'META_SIDE', 'META_REJECTED', 'META_FOCUSED', 'META_FLAGS_SHIFT', 'META_NO_FLAGS', 'META_IFACE_SHIFT'],
  ...['STATE_PACKETS', 'STATE_BYTES', 'STATE_FIRST_START', 'STATE_LAST_END', 'STATE_RECORDS', 'STATE_FLAGS', 'STATE_SYN_START', 'STATE_SYN_SLOTS', 'STATE_STRIDE'],
  ...['STATE_REJECT_BIT', 'STATE_SYNACK_ACCEPT_BIT', 'STATE_RETRY_BIT0', 'STATE_RETRY_BIT1', 'STATE_FOCUS_BIT', 'STATE_BLOCK_BITS'],
  ...['STATUS_COUNT', 'STATUS_BAD_NUMBER', 'STATUS_BAD_ADDRESS', 'STATUS_HASH', 'STATUS_ID'],
  ...['PS_REASON', 'PS_LINE_END', 'PS_LINES', 'PS_TCP', 'PS_OTHERS', 'PS_OTHER_PROTOCOLS', 'PS_HOPS', 'PS_TEXT_KEYS', 'PS_MIN_START', 'PS_MAX_END', 'OTHER_ROW', 'HOP_ROW'],
  ...['PF_STATUS', 'PF_PROTOCOL', 'PF_SRCADDR', 'PF_DSTADDR', 'PF_PKT_SRC', 'PF_PKT_DST', 'PF_SRCPORT', 'PF_DSTPORT', 'PF_FLAGS', 'PF_ACTION', 'PF_PACKETS', 'PF_BYTES', 'PF_START', 'PF_END', 'PF_IFACE', 'PLAIN_FIELDS'],
  ...['STATE_SYN_PACKETS_BIT0', 'STATE_SYN_PACKETS_BIT1'],
];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('one layout for TypeScript and WebAssembly (src/layout.ts)', () => {
  it('the line scanner module was built with the values TypeScript sees', () => {
    const scanner = wasmInstance<{ layoutSignature(): number }>('format/line-scanner.wasm');
    expect(scanner.layoutSignature()).toBe(signature(ALL));
  });

  it('the connection table module was built with the values TypeScript sees', () => {
    const table = wasmInstance<{ layoutSignature(): number }>('analyze/connection-table.wasm', { env: { abort: () => undefined } });
    expect(table.layoutSignature()).toBe(signature(ALL));
  });

  it('every exchanged number is listed in a signature, and the fast path has a slot per field', () => {
    expect(ALL).toHaveLength(new Set(ALL).size);
    expect(new Set(ALL)).toEqual(new Set(Object.keys(L)));
    const slots = Object.keys(L).filter((name) => name.startsWith('PF_')).map((name) => L[name]);
    expect(slots.sort((a, b) => a - b)).toEqual(Array.from({ length: L.PLAIN_FIELDS }, (_, i) => i));
  });

  it('no file in src/ or assembly/ keeps its own copy of a layout constant', () => {
    // also the short names the state constants are imported as (STATE_PACKETS as PACKETS)
    const short = (name: string) => (name.startsWith('STATE_') ? [name.slice('STATE_'.length)] : []);
    const names = Object.keys(L).flatMap((name) => [name, ...short(name)]);
    const declaration = new RegExp(`\\bconst (${names.join('|')})\\b\\s*(:\\s*\\w+\\s*)?=`);
    const copies = [...sourceFiles('src'), ...sourceFiles('assembly')]
      .filter((file) => !file.endsWith(join('src', 'layout.ts')))
      .flatMap((file) => readFileSync(file, 'utf8').split('\n').map((line, i) => ({ where: `${file.slice(ROOT.length)}:${i + 1}`, line })))
      .filter(({ line }) => declaration.test(line))
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(copies).toEqual([]);
  });
});
