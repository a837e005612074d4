/**
 * Facts about the capture behind a report, when there was one (`flowdump start`): the
 * capture lifecycle fills this in; `flowdump analyze` on plain files leaves it out and
 * the report then has no capture section. Every field is optional: show what is known.
 */
export interface CaptureFacts {
  /** the capture id (flowdump:capture-id tag) */
  id?: string;
  /** what was watched, as the user named it: "i-0abc (eni-0def)", "subnet-0123" */
  target?: string;
  flowLogIds?: string[];
  /** the format preset name or the `${field}` template */
  format?: string;
  /** where the flow log delivered: s3://bucket/prefix or logs:/group */
  destination?: string;
  /** the capture window as planned or run (ISO-8601 UTC) */
  window?: { start: string | null; end: string | null };
  /** the cost estimate shown before starting, as a range in US dollars */
  estimateUsd?: { low: number; high: number };
  /** what the capture actually cost, in US dollars, from delivered bytes */
  actualUsd?: number;
  /** whether settling saw the last aggregation window delivered; when not, the report says the data may be incomplete */
  delivery?: { complete: boolean; note?: string };
}

/** Everything around the summary that a report shows; all optional. */
export interface ReportContext {
  capture?: CaptureFacts;
  /** when the report was made (ISO-8601); passed in so the builder stays a pure function */
  generatedAt?: string;
  /** flowdump version, for the footer */
  version?: string;
  /** what was analyzed, as given on the command line (paths, s3://…, -) */
  inputs?: string[];
  /** which engine answered and what it cost, when not the local analyzer (e.g. "Athena scanned 7.9 GB ($0.04)") */
  engine?: string;
  /** why there are no ladder diagrams although there are failed connections (e.g. stdin too large to keep) */
  laddersUnavailable?: string;
}
