import type { LogsPort } from '../aws/logs.js';
import type { S3Port } from '../aws/s3.js';
import { ConnectionTable } from '../analyze/fold.js';
import { readSources, type SourceProblem } from '../analyze/run.js';
import type { TcpClass } from '../analyze/classify.js';
import type { Endpoint, Summary } from '../analyze/summary.js';
import { FlowdumpError } from '../errors.js';
import { parseLogFormat } from '../format/template.js';
import type { Clock } from './clock.js';
import { describeLocation, locationBelongsTo, type DataLocation } from './destination.js';
import { DeliveryFeed, type Delivery, type FeedPlace } from './deliveries.js';
import type { CaptureManifest } from './manifest.js';
import { isPlaceOf, type Places } from './places.js';

/**
 * Verdicts while a capture runs: every new delivery is read once, as it arrives, into one running
 * connection table (the analyzer is order-independent, so the table after the last delivery is the
 * one a reading of everything at once would give). What it says is provisional — a SYN-ACK may be
 * in a later delivery — and it never feeds the final summary, which is read afresh after the settle.
 */
export type FailureClass = Extract<TcpClass, 'refused' | 'unanswered' | 'rejected'>;

export interface LiveStatus {
  records: number;
  deliveries: number;
  connections: number;
  refused: number;
  unanswered: number;
  rejected: number;
  /** the analyzer's headline for the data read so far */
  headline: string;
}

/** A server peer newly seen failing with one class (reported once per peer and class). */
export interface LiveFailure {
  class: FailureClass;
  /** when the failing record ended (ISO), the time shown on the line */
  at: string | null;
  /** one client that failed to reach it (absent when only the peer's counts are known) */
  client?: Endpoint;
  server: Endpoint;
  /** SYN packets the client sent, when the line names a client */
  syns?: number;
  /** connections to this peer that failed this way so far */
  connections: number;
}

export type LiveEvent =
  | { type: 'live-status'; id: string; status: LiveStatus }
  | { type: 'live-failure'; id: string; failure: LiveFailure }
  /** said once: what the live lines are worth */
  | { type: 'live-note'; id: string; message: string }
  /** a delivery that could not be read (to its end); the capture goes on */
  | { type: 'live-problem'; id: string; message: string };

export interface LiveDeps {
  s3: S3Port;
  logs: LogsPort;
  places: Places;
  clock: Clock;
}

export const PROVISIONAL_NOTE = 'live verdicts are provisional: a reply can arrive in a later delivery; the summary after the capture is the answer';

/** Where the data of a capture is, as a delivery feed — only at a place proven to be the capture's own. */
export function captureFeedPlace(manifest: Pick<CaptureManifest, 'id' | 'destination'>, places: Places): FeedPlace {
  const location: DataLocation = manifest.destination;
  if (!locationBelongsTo(location, manifest.id) || !isPlaceOf(manifest.id, location, places)) {
    throw new FlowdumpError('not-ours', `${describeLocation(location)} is not where flowdump puts capture ${manifest.id}; flowdump only reads its own capture prefixes and log groups`, { exitCode: 1 });
  }
  return location.type === 's3' ? { type: 's3', bucket: location.bucket, prefix: `${location.prefix}AWSLogs/` } : { type: 'logs', group: location.logGroup };
}

/** The running fold of one capture's deliveries. */
export class LiveFold {
  private readonly table: ConnectionTable;
  private readonly format;
  private deliveries = 0;
  private readonly announced = new Set<string>();
  private last: Summary | undefined;

  constructor(private readonly manifest: Pick<CaptureManifest, 'id' | 'format'>) {
    // wide enough lists that a newly failing peer is rarely beyond them (the counts are never cut)
    this.table = new ConnectionTable({ maxFailures: 1000, maxPeers: 1000 });
    this.format = manifest.format.template ? parseLogFormat(manifest.format.template, 'flow-log', `the format of capture ${manifest.id}`) : undefined;
  }

  /** Folds new deliveries in; returns the events they give (problems, then newly failing peers, then the status). */
  async add(deliveries: readonly Delivery[], signal?: AbortSignal): Promise<LiveEvent[]> {
    if (deliveries.length === 0) return [];
    const id = this.manifest.id;
    const events: LiveEvent[] = [];
    for (const delivery of deliveries) {
      if (signal?.aborted) break;
      const malformedBefore = this.table.counts.malformed;
      let problem: SourceProblem | undefined;
      await readSources([delivery.source], this.table, { ...(this.format ? { format: this.format } : {}), signal }, (found) => {
        problem = found;
        this.table.addError(found);
      });
      this.deliveries++;
      const malformed = this.table.counts.malformed - malformedBefore;
      if (problem) events.push({ type: 'live-problem', id, message: `${problem.message}; the capture goes on, and the summary after it says what could be read` });
      else if (malformed > 0) events.push({ type: 'live-problem', id, message: `${delivery.source.name}: ${malformed} malformed line${malformed === 1 ? '' : 's'} skipped; the capture goes on` });
    }
    const summary = this.table.finish();
    this.last = summary;
    events.push(...this.newFailures(summary).map((failure): LiveEvent => ({ type: 'live-failure', id, failure })));
    events.push({ type: 'live-status', id, status: this.status() });
    return events;
  }

  status(): LiveStatus {
    const summary = this.last;
    return {
      records: summary?.records.total ?? 0,
      deliveries: this.deliveries,
      connections: summary?.tcp.connections ?? 0,
      refused: summary?.tcp.refused ?? 0,
      unanswered: summary?.tcp.unanswered ?? 0,
      rejected: summary?.tcp.rejected ?? 0,
      headline: summary?.headline ?? 'nothing delivered yet',
    };
  }

  /** The peers and classes failing now that were not before, in time order. */
  private newFailures(summary: Summary): LiveFailure[] {
    const out: LiveFailure[] = [];
    const counts = new Map<string, number>();
    for (const peer of summary.peers) for (const cls of CLASSES) if (peer[cls] > 0) counts.set(peerKey(cls, { address: peer.address, port: peer.port }), peer[cls]);
    for (const failure of summary.failures) {
      const cls = failure.class as FailureClass;
      const key = peerKey(cls, failure.server);
      if (this.announced.has(key)) continue;
      this.announced.add(key);
      out.push({ class: cls, at: failure.lastSeen, client: failure.client, server: failure.server, syns: failure.packets.client, connections: counts.get(key) ?? 1 });
    }
    // a peer beyond the failure list: its counts are still known
    for (const peer of summary.peers) {
      for (const cls of CLASSES) {
        const key = peerKey(cls, { address: peer.address, port: peer.port });
        if (peer[cls] === 0 || this.announced.has(key)) continue;
        this.announced.add(key);
        out.push({ class: cls, at: null, server: { address: peer.address, port: peer.port }, connections: peer[cls] });
      }
    }
    return out.sort((a, b) => (a.at ?? '￿').localeCompare(b.at ?? '￿'));
  }
}

const CLASSES: readonly FailureClass[] = ['unanswered', 'refused', 'rejected'];

function peerKey(cls: FailureClass, server: Endpoint): string {
  return `${cls} ${server.address} ${server.port ?? '-'}`;
}

export interface LiveOptions {
  /** how often to look for new deliveries (default 15 s: new data is seen within 30 s of its arrival) */
  pollMs?: number;
  /** ends the live view (the capture is stopping): the read in progress stops between chunks */
  signal: AbortSignal;
  onEvent(event: LiveEvent): void;
}

export const LIVE_POLL_MS = 15_000;

/**
 * Reads a running capture's deliveries as they arrive until `signal` aborts. A failed poll is
 * said once and tried again next time: the live view never ends or slows the capture.
 */
export async function runLive(manifest: CaptureManifest, deps: LiveDeps, options: LiveOptions): Promise<void> {
  const place = captureFeedPlace(manifest, deps.places);
  const feed = new DeliveryFeed(place, deps, { sinceMs: Date.parse(manifest.createdAt) - 10 * 60_000 });
  const fold = new LiveFold(manifest);
  const { signal, onEvent } = options;
  onEvent({ type: 'live-note', id: manifest.id, message: PROVISIONAL_NOTE });
  onEvent({ type: 'live-status', id: manifest.id, status: fold.status() });
  let failing = false;
  while (!signal.aborted) {
    try {
      const deliveries = await feed.next();
      if (signal.aborted) break;
      for (const event of await fold.add(deliveries, signal)) if (!signal.aborted) onEvent(event);
      failing = false;
    } catch (error) {
      if (!failing) onEvent({ type: 'live-problem', id: manifest.id, message: `could not read new deliveries for the live view (${(error as Error)?.message ?? String(error)}); trying again` });
      failing = true;
    }
    await deps.clock.sleep(options.pollMs ?? LIVE_POLL_MS, signal);
  }
}
