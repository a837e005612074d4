import type { LogEvent, LogsPort } from '../aws/logs.js';
import type { S3Port } from '../aws/s3.js';
import type { Source } from '../analyze/sources.js';
import { s3WindowEnd } from './store.js';

/**
 * New flow-log deliveries, each handed out once, for reading while a capture still runs (the
 * live view of `start`, `show --follow`). Polling is cheap:
 *  - S3: ListObjectsV2 with StartAfter, so a poll lists only the newest day folder(s) of the
 *    delivery path (`…/AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/…`), never the whole
 *    prefix again; a key already handed out is never read twice. Every tenth poll lists the whole
 *    prefix, so a file delivered into a folder the shortcut skips is still found.
 *  - CloudWatch Logs: FilterLogEvents from a little before the newest event seen (events carry
 *    the record's start time and arrive late), each event once by its id.
 */
export type FeedPlace = { type: 's3'; bucket: string; prefix: string } | { type: 'logs'; group: string };

export interface FeedPorts {
  s3: S3Port;
  logs: LogsPort;
}

export interface FeedOptions {
  /** CloudWatch Logs: the earliest event time to ask for (ms since epoch), e.g. the capture's start */
  sinceMs?: number;
  /** CloudWatch Logs: how far before the newest event seen each poll asks again (default 5 minutes) */
  lookbackMs?: number;
}

/** One delivery: an S3 object, or the new events of one log stream since the last poll. */
export interface Delivery {
  source: Source;
  /** stored bytes (S3 object size, or the events' text) */
  bytes: number;
}

const FLOW_LOG_OBJECT = /\.(log|log\.gz|gz|parquet|txt)$/i;
const DATE_FOLDER = /^(.*\/)(\d{4})\/(\d{2})\/(\d{2})\//;
const FULL_LIST_EVERY = 10;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export class DeliveryFeed {
  private readonly seenKeys = new Set<string>();
  /** per delivery path (the part before the date folders): the newest day folder seen, and the key that showed it */
  private readonly newestDay = new Map<string, { day: number; key: string }>();
  private undatedSeen = false;
  private polls = 0;
  private readonly seenEvents = new Map<string, number>();
  private newestEvent: number | undefined;

  constructor(
    readonly place: FeedPlace,
    private readonly ports: FeedPorts,
    private readonly options: FeedOptions = {},
  ) {}

  /** The deliveries that arrived since the last call, in delivery order. */
  async next(): Promise<Delivery[]> {
    const found = this.place.type === 's3' ? await this.nextObjects(this.place.bucket, this.place.prefix) : await this.nextEvents(this.place.group);
    this.polls++;
    return found;
  }

  /** Whether anything at all was delivered so far. */
  get deliveredAny(): boolean {
    return this.seenKeys.size > 0 || this.seenEvents.size > 0 || this.newestEvent !== undefined;
  }

  /** Where the next poll of the S3 place starts listing (StartAfter); undefined lists the whole prefix. */
  startAfter(): string | undefined {
    if (this.undatedSeen || this.newestDay.size === 0 || this.polls % FULL_LIST_EVERY === 0) return undefined;
    let earliest: string | undefined;
    for (const [path, newest] of this.newestDay) {
      // a file of the first hour of a day may still be late for the day before: list that one too
      const windowEnd = s3WindowEnd(newest.key);
      const day = windowEnd !== undefined && windowEnd - newest.day <= HOUR ? newest.day - DAY : newest.day;
      const iso = new Date(day).toISOString();
      const folder = `${path}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}`;
      if (earliest === undefined || folder < earliest) earliest = folder;
    }
    return earliest;
  }

  private async nextObjects(bucket: string, prefix: string): Promise<Delivery[]> {
    const found: { key: string; size: number; modified: number }[] = [];
    for await (const object of this.ports.s3.listObjectsAfter(bucket, prefix, this.startAfter())) {
      if (this.seenKeys.has(object.key) || !FLOW_LOG_OBJECT.test(object.key) || object.size === 0) continue;
      this.seenKeys.add(object.key);
      this.noteKey(object.key);
      found.push({ key: object.key, size: object.size, modified: object.lastModified?.getTime() ?? 0 });
    }
    found.sort((a, b) => a.modified - b.modified || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return found.map((object) => ({
      bytes: object.size,
      source: { name: `s3://${bucket}/${object.key}`, size: object.size, bytes: () => this.ports.s3.getObject(bucket, object.key) },
    }));
  }

  private noteKey(key: string): void {
    const match = DATE_FOLDER.exec(key);
    if (!match) {
      this.undatedSeen = true;
      return;
    }
    const [, path, y, m, d] = match;
    const day = Date.UTC(Number(y), Number(m) - 1, Number(d));
    const known = this.newestDay.get(path);
    if (!known || day > known.day || (day === known.day && key > known.key)) this.newestDay.set(path, { day, key });
  }

  private async nextEvents(group: string): Promise<Delivery[]> {
    const lookback = this.options.lookbackMs ?? 5 * 60_000;
    const since = this.options.sinceMs;
    const from = this.newestEvent === undefined ? since : Math.max(since ?? -Infinity, this.newestEvent - lookback);
    const byStream = new Map<string, LogEvent[]>();
    for await (const event of this.ports.logs.filterLogEvents({ group, ...(from !== undefined ? { startTime: from } : {}) })) {
      // flowdump's own streams (manifest, summary, lock) are not delivered data
      if (event.stream.startsWith('flowdump-')) continue;
      const id = event.id ?? `${event.stream}\u0000${event.timestamp}\u0000${event.message}`;
      if (this.seenEvents.has(id)) continue;
      this.seenEvents.set(id, event.timestamp);
      if (this.newestEvent === undefined || event.timestamp > this.newestEvent) this.newestEvent = event.timestamp;
      let events = byStream.get(event.stream);
      if (!events) byStream.set(event.stream, (events = []));
      events.push(event);
    }
    // ids older than the next poll's start cannot come back: forget them
    if (this.newestEvent !== undefined) {
      const floor = this.newestEvent - lookback;
      for (const [id, timestamp] of this.seenEvents) if (timestamp < floor) this.seenEvents.delete(id);
    }
    return [...byStream].map(([stream, events]) => ({
      bytes: events.reduce((sum, event) => sum + Buffer.byteLength(event.message) + 1, 0),
      source: {
        name: `logs:${group}/${stream}`,
        lines: async function* () {
          for (const event of events) yield event.message;
        },
        bytes: () => {
          throw new Error('a CloudWatch Logs source yields lines');
        },
      },
    }));
  }
}
