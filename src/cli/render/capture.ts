import { formatUsd, type CostFigure } from '../../capture/cost-figure.js';
import { describeLocation } from '../../capture/destination.js';
import { formatDuration } from '../../capture/duration.js';
import type { CaptureEvent } from '../../capture/lifecycle.js';
import type { CaptureManifest } from '../../capture/manifest.js';
import type { CapturePlan } from '../../capture/plan.js';
import type { Paint } from '../io.js';
import { renderTable } from './table.js';

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatEstimate(estimate: CostFigure | undefined, error?: string): string {
  if (!estimate) return `no estimate: ${error ?? 'unknown'}`;
  return `${formatUsd(estimate.low)} – ${formatUsd(estimate.high)}`;
}

/** The plan, as shown before the confirmation and by --dry-run. */
export function renderPlan(plan: CapturePlan, p: Paint): string {
  const lines = [
    p.bold(`Capture ${plan.id}`),
    `  target       ${plan.target.label}`,
    ...(plan.target.note ? [`               ${p.dim(plan.target.note)}`] : []),
    `  flow log     ${plan.resourceType} ${plan.resourceIds.join(', ')} · traffic ${plan.traffic} · 60 s windows`,
    `  format       ${plan.format.preset ?? 'custom'} (${plan.format.bytesPerRecord} bytes/record)${plan.fileFormat === 'parquet' ? ' · Parquet' : ''}`,
    `  destination  ${describeLocation(plan.location)}`,
    `  duration     ${formatDuration(plan.durationSeconds)} · expires ${plan.expiresAt.toISOString().replace('.000Z', 'Z')}`,
    `  estimate     ${formatEstimate(plan.estimate, plan.estimateError)}`,
    ...(plan.estimate ? plan.estimate.assumptions.map((assumption) => `               ${p.dim(assumption)}`) : []),
    `  afterwards   the flow log is deleted, the data summarized, then deleted${plan.keep ? ' — no: --keep keeps it' : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

export interface CaptureRow {
  id: string;
  state: string;
  target: string;
  timeLeftSeconds?: number;
  objects?: number;
  bytes?: number;
  costUsd?: number;
  destination?: string;
  expiresAt?: string;
  summary?: CaptureManifest['summary'];
}

export function renderCaptureList(rows: CaptureRow[]): string {
  if (rows.length === 0) return 'no captures in this region\n';
  return `${renderTable(
    [{ header: 'ID' }, { header: 'STATE' }, { header: 'TARGET' }, { header: 'TIME LEFT', align: 'right' }, { header: 'DELIVERED', align: 'right' }, { header: 'COST', align: 'right' }],
    rows.map((row) => [
      row.id,
      row.state,
      row.target,
      row.timeLeftSeconds === undefined ? '-' : row.timeLeftSeconds > 0 ? formatDuration(row.timeLeftSeconds) : 'expired',
      row.bytes === undefined ? '-' : `${formatBytes(row.bytes)} (${row.objects ?? 0})`,
      row.costUsd === undefined ? '-' : formatUsd(row.costUsd),
    ]),
    '',
  )}\n`;
}

/** One line for an event; undefined for events that only update the live line. */
export function describeEvent(event: CaptureEvent): string | undefined {
  switch (event.type) {
    case 'created':
      return `capture ${event.manifest.id}: ${event.manifest.flowLogIds.length} flow log(s) ${event.manifest.flowLogIds.join(', ')} on ${event.manifest.target.label}${event.adopted.length ? ` (${event.adopted.length} from an earlier attempt)` : ''}, until ${event.manifest.expiresAt.replace('.000Z', 'Z')}`;
    case 'progress':
      return `${event.id}  ${formatDuration(event.timeLeftSeconds)} left · ${event.objects} object(s), ${formatBytes(event.bytes)} delivered · ${formatUsd(event.costSoFar)} so far`;
    case 'stopping':
      return `${event.id}: stopping (${event.reason})`;
    case 'stopped':
      return `${event.id}: flow log(s) deleted and verified gone${event.flowLogIds.length ? `: ${event.flowLogIds.join(', ')}` : ''}`;
    case 'settling':
      return `${event.id}  waiting for late deliveries · ${formatDuration(event.waitedSeconds)} since the stop, at most ${formatDuration(event.leftSeconds)} more · ${event.objects} object(s), ${formatBytes(event.bytes)}`;
    case 'settled':
      return event.complete ? `${event.id}: the last window has arrived` : `${event.id}: ${event.note}`;
    case 'analyzing':
      return `${event.id}: analyzing ${event.sources} source(s)`;
    case 'analyzed':
      return `${event.id}: summary written to ${event.summaryLocation}`;
    case 'cleaned':
      return `${event.id}: captured data deleted (${event.deleted} object(s)); the summary stays`;
    case 'kept':
      return `${event.id}: data kept at ${event.location} (${event.reason})`;
    case 'skipped':
      return `${event.id}: not finished now: ${event.reason}`;
    case 'warning':
      return `warning: ${event.message}`;
  }
}
