import { existsSync, readFileSync } from 'node:fs';
import { FlowdumpError } from './errors.js';
import { packageRoot } from './paths.js';

/** The little of the WebAssembly API flowdump uses (its types are not among this project's libs). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const compiled = new Map<string, object>();

/**
 * A new instance of a module `npm run build` compiles from assembly/ into dist/: `path` is its
 * place under dist/ (e.g. "format/line-scanner.wasm"). Compiled once, on first use (never at
 * start-up: `--help` does not pay for it). From src/ (tests) the built one in dist/ is used; the
 * tests build it from the current assembly/ first (test/build-setup.ts).
 */
export function wasmInstance<T>(path: string, imports: object = {}): T {
  let module = compiled.get(path);
  if (module === undefined) {
    module = new wasm.Module(readFileSync(builtFile(path)));
    compiled.set(path, module);
  }
  return new wasm.Instance(module, imports).exports as T;
}

function builtFile(path: string): string {
  const file = `${packageRoot()}dist/${path}`;
  if (existsSync(file)) return file;
  // an install problem, not a bug: said as such, without the "please report it" of a bug
  throw new FlowdumpError('not-built', `this installation is not completely built (${file} is missing): run npm ci, or npm run build, in ${packageRoot()}`);
}
