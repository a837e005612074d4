import type { Ec2Port } from '../aws/ec2.js';
import type { SourceProblem } from '../analyze/run.js';
import type { Clock } from '../capture/clock.js';
import { DeliveryFeed, type FeedPlace, type FeedPorts } from '../capture/deliveries.js';
import { locationFromFlowLog } from '../capture/destination.js';
import { stateAtLeast, type CaptureManifest } from '../capture/manifest.js';
import type { Problem } from '../analyze/summary.js';
import { showRecords, type ShowOptions } from './stream.js';

/**
 * `show --follow`: the records of a running capture (or of any flow-log destination) as they are
 * delivered — each delivery once, in delivery order, each in time order within itself — until the
 * capture is finished, the flow log has been gone long enough for late deliveries to land, or the
 * signal aborts (Ctrl-C).
 */
export interface FollowOptions extends Omit<ShowOptions, 'windowSeconds' | 'maxBuffered' | 'signal'> {
  /** how often to look for new deliveries (default 15 s) */
  pollMs?: number;
  /** Ctrl-C */
  signal?: AbortSignal;
  /** told once per delivery that could not be read to its end, as it happens */
  onProblem?(problem: SourceProblem): void;
}

export interface FollowResult {
  deliveries: number;
  read: number;
  printed: number;
  malformed: { count: number; examples: Problem[] };
  problems: SourceProblem[];
  warnings: string[];
  /** why it ended: 'finished', 'interrupted' or 'count' (-c reached) */
  ended: 'finished' | 'interrupted' | 'count';
}

/** Whether what is followed is over; asked after every poll (a last poll follows a yes). */
export type FinishedCheck = () => Promise<boolean>;

export async function followRecords(feed: DeliveryFeed, finished: FinishedCheck, clock: Clock, options: FollowOptions): Promise<FollowResult> {
  const result: FollowResult = { deliveries: 0, read: 0, printed: 0, malformed: { count: 0, examples: [] }, problems: [], warnings: [], ended: 'interrupted' };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const signal = options.signal;
  let last = false;
  while (!signal?.aborted) {
    // the check comes before the poll: what arrived up to a "finished" is still read, once
    if (!last) last = await finished();
    const deliveries = await feed.next();
    for (const delivery of deliveries) {
      if (signal?.aborted || result.printed >= limit) break;
      result.deliveries++;
      const shown = await showRecords([delivery.source], {
        ...options,
        // a delivery's records in time order; deliveries as they come
        windowSeconds: Number.POSITIVE_INFINITY,
        maxBuffered: Number.POSITIVE_INFINITY,
        limit: limit - result.printed,
        signal,
      });
      result.read += shown.read;
      result.printed += shown.printed;
      result.malformed.count += shown.malformed.count;
      for (const example of shown.malformed.examples) if (result.malformed.examples.length < 10) result.malformed.examples.push(example);
      for (const warning of shown.warnings) if (!result.warnings.includes(warning)) result.warnings.push(warning);
      for (const problem of shown.problems) {
        result.problems.push(problem);
        options.onProblem?.(problem);
      }
    }
    if (result.printed >= limit) {
      result.ended = 'count';
      return result;
    }
    if (last) {
      result.ended = 'finished';
      return result;
    }
    await clock.sleep(options.pollMs ?? 15_000, signal);
  }
  return result;
}

/** How long after its flow log is gone a destination can still receive data (S3 delivers every 5 minutes, up to 10 late). */
export const FOLLOW_SETTLE_MS = 10 * 60_000;

export interface FinishDeps {
  ec2: Pick<Ec2Port, 'describeFlowLogs'>;
  clock: Clock;
}

/**
 * Over when the capture's manifest says analyzed or cleaned, or when no flow log delivers to the
 * place any more and FOLLOW_SETTLE_MS have passed since that was first seen (at once when none
 * delivered there from the start: the data is all there).
 */
export function finishedWhen(place: FeedPlace, deps: FinishDeps, readManifest?: () => Promise<CaptureManifest | undefined>, settleMs = FOLLOW_SETTLE_MS): FinishedCheck {
  let goneSince: number | undefined;
  let sawFlowLog = false;
  return async () => {
    if (readManifest) {
      const manifest = await readManifest();
      if (manifest && stateAtLeast(manifest.state, 'analyzed')) return true;
    }
    const now = deps.clock.now().getTime();
    const delivering = (await deps.ec2.describeFlowLogs({})).some((flowLog) => {
      const location = locationFromFlowLog(flowLog);
      if (!location) return false;
      if (place.type === 'logs') return location.type === 'logs' && location.logGroup === place.group;
      return location.type === 's3' && location.bucket === place.bucket && (place.prefix.startsWith(location.prefix) || location.prefix.startsWith(place.prefix));
    });
    if (delivering) {
      sawFlowLog = true;
      goneSince = undefined;
      return false;
    }
    if (!sawFlowLog && !readManifest) return true;
    goneSince ??= now;
    return now - goneSince >= settleMs;
  };
}

export { DeliveryFeed, type FeedPlace, type FeedPorts };
