/**
 * The process at the edge: streams, environment, TTY facts. Commands receive this
 * instead of touching `process`, so the whole CLI runs in tests in-process.
 */
export interface OutStream {
  /** false when the text was buffered because the reader is slow (then wait for 'drain') */
  write(text: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  stdin: AsyncIterable<Uint8Array> & { isTTY?: boolean };
  env: Readonly<Record<string, string | undefined>>;
  /** the clock, injectable so tests get fixed dates; the system clock when absent */
  now?(): Date;
  /** SIGINT/SIGTERM while a capture runs; returns the unsubscribe (absent in in-process tests) */
  onSignal?(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onSignal(handler) {
      const onInt = () => handler('SIGINT');
      const onTerm = () => handler('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

/** Colours only on a TTY, and never under NO_COLOR (https://no-color.org) or TERM=dumb. */
export function useColor(io: CliIo, stream: OutStream = io.stdout): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0') return true;
  if (io.env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export interface Paint {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
  cyan(text: string): string;
}

export function paint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (text: string) => (enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text);
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22), cyan: wrap(36, 39) };
}
