import type { CliIo } from '../../src/cli/io.js';

export interface MemoryIo extends CliIo {
  out(): string;
  err(): string;
}

/** An in-memory CliIo with a fixed clock and no colour. */
export function memoryIo(options: { now?: string; env?: Record<string, string> } = {}): MemoryIo {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    stdin: (async function* () {})(),
    env: { NO_COLOR: '1', ...options.env },
    ...(options.now ? { now: () => new Date(options.now as string) } : {}),
    out: () => out,
    err: () => err,
  };
}
