import type { FlowLogInfo } from '../aws/ec2.js';
import { stripControls } from '../text.js';
import { DEFAULT_LOGS_BASE, DEFAULT_S3_BASE, describeLocation, locationFromFlowLog, type DataLocation } from './destination.js';
import { parseCaptureId } from './ids.js';
import { TAG_CAPTURE_ID } from './tags.js';

/**
 * Where flowdump puts a capture's data — the proof of ownership (docs/security.md). Tags prove
 * nothing: anyone allowed to tag a flow log can write `flowdump:capture-id`. A flow log, a
 * prefix or a log group is flowdump's only when the capture id is well formed AND the place is
 * exactly where flowdump puts that capture:
 *  - `s3://<the setup bucket>/flowdump/<id>/`,
 *  - the log group `/flowdump/<id>`,
 *  - or the destination this machine recorded when it started the capture (`--destination`).
 */
export interface Places {
  /** the account the caller is in: every S3 call on these buckets names it as the expected owner */
  account: string;
  /** `flowdump-<account>-<region>` */
  defaultBucket: string;
  /** destinations recorded on this machine when their captures were started (the local index) */
  recorded: readonly { id: string; location: DataLocation }[];
}

export function sameLocation(a: DataLocation, b: DataLocation): boolean {
  if (a.type === 's3' && b.type === 's3') return a.bucket === b.bucket && a.prefix === b.prefix;
  if (a.type === 'logs' && b.type === 'logs') return a.logGroup === b.logGroup;
  return false;
}

/** The places flowdump puts capture `id` by default (setup bucket, `/flowdump` log groups). */
export function defaultPlaces(id: string, defaultBucket: string): DataLocation[] {
  return [
    { type: 's3', bucket: defaultBucket, prefix: `${DEFAULT_S3_BASE}/${id}/` },
    { type: 'logs', logGroup: `${DEFAULT_LOGS_BASE}/${id}` },
  ];
}

/** Whether `location` is provably where flowdump put capture `id`. */
export function isPlaceOf(id: string, location: DataLocation, places: Places): boolean {
  if (parseCaptureId(id) === undefined) return false;
  if (defaultPlaces(id, places.defaultBucket).some((place) => sameLocation(place, location))) return true;
  return places.recorded.some((entry) => entry.id === id && sameLocation(entry.location, location));
}

export type FlowLogOwnership =
  | { ours: true; id: string; location: DataLocation }
  | { ours: false; /** one line for list/sweep/stop: what it is and that it was left alone */ note: string };

/**
 * A flow log that carries flowdump's capture-id tag is a capture only when the id is well formed
 * and the flow log delivers exactly to that capture's place; anything else is left alone.
 */
export function judgeFlowLog(flowLog: FlowLogInfo, places: Places): FlowLogOwnership {
  const raw = flowLog.tags[TAG_CAPTURE_ID] ?? '';
  const id = parseCaptureId(raw);
  const location = locationFromFlowLog(flowLog);
  const where = location ? describeLocation(location) : (flowLog.destination ?? flowLog.logGroupName ?? 'an unknown destination');
  if (id && location && isPlaceOf(id, location, places)) return { ours: true, id, location };
  const why = !id ? `its ${TAG_CAPTURE_ID} "${raw}" is not a capture id` : `it delivers to ${where}, which is not where flowdump puts capture ${id} (nor a destination this machine recorded for it)`;
  return { ours: false, note: stripControls(`${flowLog.id} carries flowdump tags but ${why}: not a flowdump capture, left alone`) };
}
