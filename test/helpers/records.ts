import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { readSources } from '../../src/analyze/run.js';
import { localSources, type Source } from '../../src/analyze/sources.js';
import type { RecordPredicate } from '../../src/filter/compile.js';
import type { FlowRecord } from '../../src/format/line-reader.js';

export const MIXED = fileURLToPath(new URL('../fixtures/show/mixed.log', import.meta.url));
export const INCIDENT = fileURLToPath(new URL('../../examples/incident-capture', import.meta.url));

/** Labels of the mixed fixture's records, from their trailing `# rN` comments, by line number. */
export function mixedLabels(): Map<number, string> {
  const labels = new Map<number, string>();
  readFileSync(MIXED, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const match = /# (r[0-9]+)$/.exec(line);
      if (match) labels.set(index + 1, match[1]);
    });
  return labels;
}

export interface ReadRecord {
  /** "file:line" */
  where: string;
  record: FlowRecord;
  matched: boolean;
}

/** Every well-formed record of the paths, with whether `predicate` matched it (evaluated on the live view). */
export async function readAll(paths: string[], predicate: RecordPredicate = () => true): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  await readSources(
    await localSources(paths),
    {
      record(view) {
        out.push({ where: `${view.source}:${view.line}`, record: view.toRecord(), matched: predicate(view) });
      },
      malformed() {
        throw new Error('fixture has a malformed line');
      },
    },
    {},
    (problem) => {
      throw new Error(problem.message);
    },
  );
  return out;
}

/** The input held in memory as sources, so each expression re-reads it cheaply through `show`. */
export function memorySources(paths: string[]): Source[] {
  const files: string[] = [];
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else files.push(path);
  };
  paths.forEach(walk);
  return files.map((file) => {
    const raw = readFileSync(file);
    const text = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    return { name: file, bytes: async function* () { yield new Uint8Array(text); } };
  });
}

