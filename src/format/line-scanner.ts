import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../paths.js';

/**
 * The line reader's hot loop in WebAssembly: assembly/line-scanner.ts, built by `npm run build`
 * into dist/format/line-scanner.wasm (see there for why, and docs/performance.md). The module
 * is compiled once, on first use (never at start-up: `--help` does not pay for it); each
 * reader gets its own instance, whose memory holds the reader's input window and the
 * results of the last line.
 */

/** The little of the WebAssembly API used here (its types are not among this project's libs). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The compiled module's exports (assembly/line-scanner.ts). */
interface ScannerExports {
  memory: WasmMemory;
  startsAt(): number;
  endsAt(): number;
  numsAt(): number;
  ipv4sAt(): number;
  kindsAt(): number;
  statusAt(): number;
  inputAt(): number;
  setFormat(fields: number, hashField: number): void;
  scanLine(start: number, limit: number, newline: number): number;
}

/** Offsets (in int32 units) of scanLine()'s results in `status`. */
export const STATUS_COUNT = 0;
export const STATUS_BAD_NUMBER = 1;
export const STATUS_BAD_ADDRESS = 2;
export const STATUS_HASH = 3;

const PAGE = 65_536;

let compiled: object | undefined;

/** The .wasm beside this module (dist/), or, from src/ (tests), the built one in dist/. */
function wasmFile(): string {
  const sibling = fileURLToPath(new URL('./line-scanner.wasm', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = `${packageRoot()}dist/format/line-scanner.wasm`;
  if (existsSync(built)) return built;
  throw new Error(`flowdump is not completely built: ${sibling} is missing; run npm run build`);
}

/**
 * One scanner: a WebAssembly instance and typed views of its memory. `memory` grows when a
 * line does not fit (views() must then be taken again: growing detaches the old buffer).
 */
export class LineScanner {
  readonly scanLine: (start: number, limit: number, newline: number) => number;
  readonly setFormat: (fields: number, hashField: number) => void;
  private readonly exports: ScannerExports;
  /** where the input window starts */
  readonly inputAt: number;

  constructor() {
    compiled ??= new wasm.Module(readFileSync(wasmFile()));
    this.exports = new wasm.Instance(compiled, {}).exports as ScannerExports;
    this.scanLine = this.exports.scanLine;
    this.setFormat = this.exports.setFormat;
    this.inputAt = this.exports.inputAt();
  }

  /** Makes the memory at least `bytes` long. */
  ensure(bytes: number): void {
    const memory = this.exports.memory;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }

  /** Typed views of the current memory (taken again after ensure() grew it). */
  views(): { bytes: Buffer; starts: Int32Array; ends: Int32Array; nums: Float64Array; ipv4s: Float64Array; kinds: Uint8Array; status: Int32Array } {
    const buffer = this.exports.memory.buffer;
    const e = this.exports;
    return {
      bytes: Buffer.from(buffer),
      starts: new Int32Array(buffer, e.startsAt(), MAX_TOKENS),
      ends: new Int32Array(buffer, e.endsAt(), MAX_TOKENS),
      nums: new Float64Array(buffer, e.numsAt(), MAX_TOKENS),
      ipv4s: new Float64Array(buffer, e.ipv4sAt(), MAX_TOKENS),
      kinds: new Uint8Array(buffer, e.kindsAt(), MAX_TOKENS),
      status: new Int32Array(buffer, e.statusAt(), 4),
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
