import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, UsageError } from '../errors.js';

/**
 * Something to read flow-log data from: a local file, stdin, an S3 object, a
 * CloudWatch Logs stream. Bytes may be gzip (detected by magic number) or Parquet
 * (by name or magic number); everything else is text.
 */
export interface Source {
  /** shown in messages: a path, `-`, `s3://bucket/key`, `logs:/group/stream` */
  name: string;
  bytes(): AsyncIterable<Uint8Array>;
  /** size in bytes when known (for progress and sanity checks) */
  size?: number;
  /** the source already yields lines (e.g. CloudWatch Logs events) */
  lines?: () => AsyncIterable<string>;
  /**
   * the whole of a small source in one piece (the same bytes as bytes() yields): read in one go,
   * and cheap to read ahead of the analyzer (a folder synced from S3 holds thousands of them)
   */
  whole?: () => Promise<Uint8Array>;
}

/** File names a directory walk picks up: what S3 delivers, and plain exports. */
const DATA_FILE = /\.(log|gz|parquet|txt|csv)$/i;

export interface LocalSourceOptions {
  /** stdin, for the `-` argument (injected: the domain never touches process) */
  stdin?: AsyncIterable<Uint8Array>;
}

/**
 * Local inputs: files, directories (recursively, in name order, as `aws s3 sync`
 * lays them out) and `-` for stdin. Fails before reading anything if a path is missing.
 */
export async function localSources(paths: readonly string[], options: LocalSourceOptions = {}): Promise<Source[]> {
  const sources: Source[] = [];
  for (const path of paths) {
    if (path === '-') {
      const stdin = options.stdin;
      if (!stdin) throw new UsageError('"-" means stdin, but no stdin is available here; pass a file instead', { code: 'no-stdin' });
      sources.push({ name: '-', bytes: () => stdin });
      continue;
    }
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new UsageError(`no such file or directory: ${path}; check the path (or use - for stdin)`, { code: 'no-such-file', cause: error });
    }
    if (info.isDirectory()) {
      const files = await walk(path);
      if (files.length === 0) {
        throw new UsageError(`no flow-log files (*.log, *.log.gz, *.parquet, *.txt, *.csv) under ${path}; point at the folder you synced from S3 or at a file`, { code: 'empty-directory' });
      }
      for (const file of files) sources.push(fileSource(file.path, file.size));
    } else {
      sources.push(fileSource(path, info.size));
    }
  }
  return sources;
}

/** Sources up to this size are read in one piece, Source.whole (no larger than a chunk of a larger file). */
export const WHOLE_SOURCE_MAX = 1 << 20;

export function fileSource(path: string, size?: number): Source {
  if (size === undefined || size > WHOLE_SOURCE_MAX) {
    return { name: path, size, bytes: () => createReadStream(path, { highWaterMark: 1 << 20 }) };
  }
  // one read into a buffer of the file's size: a stream would take a 1 MB buffer, copy the bytes
  // out of it and read once more to find the end
  const whole = (): Promise<Uint8Array> => readFile(path);
  return {
    name: path,
    size,
    whole,
    bytes: async function* () {
      const bytes = await whole();
      if (bytes.length > 0) yield bytes;
    },
  };
}

async function walk(dir: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile() && DATA_FILE.test(entry.name)) out.push({ path, size: (await stat(path)).size });
  }
  return out;
}

/** Wraps a read failure of a source in one clear sentence. */
export function readError(source: Source, error: unknown): InputError {
  const code = (error as { code?: string })?.code;
  if (code === 'EACCES') return new InputError('unreadable', `cannot read ${source.name}: permission denied; check the file's permissions`, { cause: error });
  if (code === 'EISDIR') return new InputError('unreadable', `${source.name} is a directory; pass it without a trailing file name`, { cause: error });
  return new InputError('unreadable', `cannot read ${source.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}
