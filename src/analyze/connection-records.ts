import type { RecordSink, RecordView, FlowRecord } from '../format/line-reader.js';
import { LogStatus, recordLogStatus } from '../format/log-status.js';
import { connectionId, connectionKey, layoutOf, type Layout } from './fold.js';
import { readSources, type ReadOptions } from './run.js';
import type { Source } from './sources.js';

/** One record of a connection, as written, with where it came from. */
export interface ConnectionRecord {
  record: FlowRecord;
  /** which endpoint sent it: 0 or 1, the sides of the connection key */
  side: 0 | 1;
  source: string;
  line: number;
}

/**
 * Second pass over the sources: the records of the given connections (by the ids
 * `analyze` reports), in input order. Memory grows with the records collected only.
 */
export async function collectConnectionRecords(
  sources: Iterable<Source> | AsyncIterable<Source>,
  ids: ReadonlySet<string>,
  options: ReadOptions = {},
  maxPerConnection = 1000,
): Promise<Map<string, ConnectionRecord[]>> {
  const found = new Map<string, ConnectionRecord[]>();
  const layouts = new Map<number, Layout>();
  const idOfKey = new Map<string, string | null>();
  const sink: RecordSink = {
    record(view: RecordView) {
      let layout = layouts.get(view.format.id);
      if (!layout) {
        layout = layoutOf(view.format);
        layouts.set(view.format.id, layout);
      }
      if (view.num(layout.protocol) !== 6) return;
      if (recordLogStatus(view, layout.status, layout.flowPositions) !== LogStatus.ok) return;
      const { key, side } = connectionKey(view, layout);
      let id = idOfKey.get(key);
      if (id === undefined) {
        const candidate = connectionId(key);
        id = ids.has(candidate) ? candidate : null;
        if (idOfKey.size < 1_000_000) idOfKey.set(key, id);
      }
      if (id === null) return;
      let list = found.get(id);
      if (!list) found.set(id, (list = []));
      if (list.length < maxPerConnection) list.push({ record: view.toRecord(), side, source: view.source, line: view.line });
    },
    malformed() {},
  };
  await readSources(sources, sink, options, () => {});
  return found;
}
