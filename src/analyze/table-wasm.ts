import { InputError } from '../errors.js';
import { wasmInstance, type WasmMemory } from '../wasm.js';

/**
 * The connection table's per-record fold in WebAssembly: assembly/connection-table.ts, built by
 * `npm run build` into dist/analyze/connection-table.wasm (see there for why and what it keeps).
 * Each ConnectionIndex gets its own instance.
 */

/** The compiled module's exports (assembly/connection-table.ts). */
export interface TableExports {
  memory: WasmMemory;
  factsAt(): number;
  maxRows(): number;
  idCount(): number;
  stateCount(): number;
  blockAt(block: number): number;
  internWords(w0: number, w1: number, w2: number): number;
  findWords(w0: number, w1: number, w2: number): number;
  internText(text: number): number;
  textId(text: number): number;
  keyWords(): number;
  apply(count: number): void;
}

/** A new instance of the module. */
export function tableInstance(): TableExports {
  return wasmInstance<TableExports>('analyze/connection-table.wasm', {
    env: {
      // the allocator's only failure: the module's memory would pass 4 GB (~30 million connections)
      abort: () => {
        throw new InputError('too-many-connections', 'the input holds more TCP connections than flowdump can keep (about 30 million: 4 GB): analyze fewer files or a shorter window at a time');
      },
    },
  });
}
