import type { CaptureEstimate } from '../../capture/cost.js';
import { describeLocation } from '../../capture/destination.js';
import { formatDuration } from '../../duration.js';
import type { CaptureEvent, CaptureSummaryFacts } from '../../capture/lifecycle.js';
import type { CaptureManifest } from '../../capture/manifest.js';
import type { CapturePlan } from '../../capture/plan.js';
import { SAFETY_NET_GROUP, safetyNetFireTime, safetyNetName } from '../../schedule/safety-net.js';
import type { Paint } from '../io.js';
import { formatUsd } from './estimate.js';
import { num, renderTable } from './table.js';

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

export function formatEstimate(estimate: Pick<CaptureEstimate, 'low' | 'high'> | undefined, error?: string): string {
  if (!estimate) return `no estimate: ${error ?? 'unknown'}`;
  return usdRange(estimate.low, estimate.high);
}

function usdRange(low: number, high: number): string {
  return formatUsd(low) === formatUsd(high) ? formatUsd(high) : `${formatUsd(low)} – ${formatUsd(high)}`;
}

/** The estimate as the plan shows it (start, --dry-run, the wizard's confirmation): the range, what it rests on, what it cannot see. */
function estimateLines(plan: CapturePlan, p: Paint): string[] {
  const pad = '               ';
  const estimate = plan.estimate;
  if (!estimate) return [`  estimate     ${p.yellow(`no estimate: ${plan.estimateError ?? 'unknown'}`)}`, `${pad}${p.dim('the capture goes on without one; flowdump estimate --rate <records>/min prices a rate you know')}`];
  const records = estimate.records.low === estimate.records.high ? num(estimate.records.high) : `${num(estimate.records.low)} – ${num(estimate.records.high)}`;
  const bytes = estimate.bytes.low === estimate.bytes.high ? formatBytes(estimate.bytes.high) : `${formatBytes(estimate.bytes.low)} – ${formatBytes(estimate.bytes.high)}`;
  return [
    `  estimate     ${p.bold(formatEstimate(estimate))} for ${formatDuration(plan.durationSeconds * 1000)} · ${usdRange(estimate.perHourIfLeftRunning.low, estimate.perHourIfLeftRunning.high)} per hour if left running`,
    `${pad}${records} records, ${bytes} of record text · ${estimate.priceSource}`,
    ...estimate.warnings.map((warning) => `${pad}${p.yellow(`! ${warning}`)}`),
    ...estimate.assumptions.map((assumption) => `${pad}${p.dim(`- ${assumption}`)}`),
  ];
}

function capLine(plan: CapturePlan): string[] {
  if (plan.maxCostUsd === undefined) return [];
  const batch = plan.location.type === 's3' ? 'one S3 batch (5 minutes of records)' : 'a few minutes of records';
  return [`  cost cap     ${formatUsd(plan.maxCostUsd)} (--max-cost): checked every minute, stopped before the projection crosses it; a burst can carry it past by about ${batch}`];
}

/** 2026-05-01T12:17:00.000Z → `2026-05-01 12:17Z` */
function shortTime(iso: string): string {
  const [date, time = ''] = iso.replace(/\.\d{3}Z$/, 'Z').split('T');
  return `${date} ${time.replace(/:00Z$/, 'Z')}`;
}

/** The plan, as shown before the confirmation and by --dry-run. */
export function renderPlan(plan: CapturePlan, p: Paint, options: { safetyNet?: boolean } = {}): string {
  const withNet = options.safetyNet !== false;
  const fireAt = safetyNetFireTime(plan.expiresAt, plan.createdAt).toISOString();
  const lines = [
    p.bold(`Capture ${plan.id}`),
    `  target       ${plan.target.label}`,
    ...(plan.target.note ? [`               ${p.dim(plan.target.note)}`] : []),
    `  flow log     ${plan.resourceType} ${plan.resourceIds.join(', ')} · traffic ${plan.traffic} · 60 s windows`,
    `  format       ${plan.format.preset ?? 'custom'} (${plan.format.bytesPerRecord} bytes/record)${plan.fileFormat === 'parquet' ? ' · Parquet' : ''}`,
    `  destination  ${describeLocation(plan.location)}`,
    `  duration     ${formatDuration(plan.durationSeconds * 1000)} · expires ${plan.expiresAt.toISOString().replace('.000Z', 'Z')}`,
    ...estimateLines(plan, p),
    ...capLine(plan),
    withNet
      ? `  safety net   EventBridge Scheduler deletes the flow log at ${shortTime(fireAt)} if nothing has by then (${SAFETY_NET_GROUP}/${safetyNetName(plan.id)})`
      : `  safety net   ${p.yellow('none (--no-safety-net)')}: if this machine stops first, nothing deletes the flow log until flowdump sweep runs`,
    `  afterwards   the flow log is deleted, the data summarized, then deleted${plan.keep ? ' — no: --keep keeps it' : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The capture's own facts under its summary (summary.txt, and after a foreground capture): estimate beside actual, and why it stopped. */
export function renderCaptureFacts(facts: CaptureSummaryFacts, p: Paint): string {
  const pad = '                 ';
  const lines = ['', `${p.bold('Capture')}          ${facts.id} · ${facts.target} · ${facts.region}`];
  const estimate = facts.estimateUsd ? `estimated ${usdRange(facts.estimateUsd.low, facts.estimateUsd.high)}` : `no estimate (${facts.estimateError ?? 'none made'})`;
  let actual = 'actual cost unknown';
  if (facts.actualUsd !== undefined) {
    const verdict = facts.estimateUsd ? (facts.actualUsd > facts.estimateUsd.high ? ', above the estimate' : facts.actualUsd < facts.estimateUsd.low ? ', below the estimate' : ', within the estimate') : '';
    actual = `actual ${formatUsd(facts.actualUsd)}${verdict}`;
  }
  lines.push(`${p.bold('Cost')}             ${estimate} · ${actual}${facts.maxCostUsd !== undefined ? ` · cap ${formatUsd(facts.maxCostUsd)}` : ''}`);
  if (facts.delivered) {
    const text = facts.delivered.uncompressedBytes !== undefined ? `${formatBytes(facts.delivered.uncompressedBytes)} of record text (${facts.delivered.measuredBy ?? 'measured'}) in ` : '';
    lines.push(`${pad}${p.dim(`${text}${num(facts.delivered.objects)} object(s), ${formatBytes(facts.delivered.bytes)} stored`)}`);
  }
  if (facts.costGuard) {
    const g = facts.costGuard;
    lines.push(
      `${p.bold('Stopped early')}    ${p.yellow(`by --max-cost ${formatUsd(g.maxCostUsd)} at ${g.at.slice(11, 16)} UTC`)}: ${g.reason}`,
      `${pad}${formatUsd(g.spentUsd)} delivered at the stop, ${formatUsd(g.projectedUsd)} projected once the data in flight lands; ${formatUsd(g.projectedUsdAtEnd)} had it run to the end`,
    );
  } else if (facts.stopReason && facts.stopReason !== 'time budget reached') {
    lines.push(`${p.bold('Stopped')}          ${facts.stopReason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One line on a capture's server-side teardown, from its manifest (start --detach, the 'created' line). */
export function describeSafetyNet(manifest: Pick<CaptureManifest, 'id' | 'safetyNet'>): string {
  const net = manifest.safetyNet;
  if (net?.armed === false) return 'no safety net (--no-safety-net): nothing server-side deletes the flow log; if no flowdump stop or sweep runs, it keeps running';
  if (net?.armed) {
    const when = net.fireAt ? ` at ${shortTime(net.fireAt)}` : '';
    return `safety net: EventBridge Scheduler schedule ${net.schedule ?? `${SAFETY_NET_GROUP}/${safetyNetName(manifest.id)}`} deletes the flow log${when} if nothing has by then`;
  }
  return 'safety net: unknown (a capture from before safety nets, or rebuilt from its tags)';
}

/** `flowdump list`'s NET column and JSON field: the capture's safety net as it is in AWS now. */
export interface SafetyNetCell {
  /** armed: the schedule exists; missing: it should but does not; none: started with --no-safety-net; unknown: could not look */
  status: 'armed' | 'missing' | 'none' | 'unknown';
  name?: string;
  fireAt?: string;
}

export interface CaptureRow {
  id: string;
  state: string;
  target: string;
  timeLeftSeconds?: number;
  objects?: number;
  bytes?: number;
  /** cost so far (running) or the actual cost (finished) */
  costUsd?: number;
  estimateUsd?: { low: number; high: number };
  maxCostUsd?: number;
  /** the guard's reason, when --max-cost stopped it */
  stoppedByCap?: string;
  /** uncompressed record text delivered, as priced */
  uncompressedBytes?: number;
  destination?: string;
  expiresAt?: string;
  /** only for captures whose flow log still runs: afterwards there is nothing left to tear down */
  safetyNet?: SafetyNetCell;
  summary?: CaptureManifest['summary'];
}

function netCell(net: SafetyNetCell | undefined): string {
  if (!net) return '-';
  if (net.status === 'armed') return net.fireAt ? `armed, fires ${shortTime(net.fireAt).split(' ')[1]}` : 'armed';
  return net.status;
}

export function renderCaptureList(rows: CaptureRow[]): string {
  if (rows.length === 0) return 'no captures in this region\n';
  return `${renderTable(
    [
      { header: 'ID' },
      { header: 'STATE' },
      { header: 'TARGET' },
      { header: 'TIME LEFT', align: 'right' },
      { header: 'DELIVERED', align: 'right' },
      { header: 'COST', align: 'right' },
      { header: 'ESTIMATE', align: 'right' },
      { header: 'CAP', align: 'right' },
      { header: 'SAFETY NET' },
    ],
    rows.map((row) => [
      row.id,
      row.state,
      row.target,
      row.timeLeftSeconds === undefined ? '-' : row.timeLeftSeconds > 0 ? formatDuration(row.timeLeftSeconds * 1000) : 'expired',
      row.bytes === undefined ? '-' : `${formatBytes(row.bytes)} (${row.objects ?? 0})`,
      row.costUsd === undefined ? '-' : formatUsd(row.costUsd),
      row.estimateUsd === undefined ? '-' : usdRange(row.estimateUsd.low, row.estimateUsd.high),
      row.maxCostUsd === undefined ? '-' : formatUsd(row.maxCostUsd),
      netCell(row.safetyNet),
    ]),
    '',
  )}\n`;
}

/** One line for an event; undefined for events that only update the live line. */
export function describeEvent(event: CaptureEvent): string | undefined {
  switch (event.type) {
    case 'created':
      return (
        `capture ${event.manifest.id}: ${event.manifest.flowLogIds.length} flow log(s) ${event.manifest.flowLogIds.join(', ')} on ${event.manifest.target.label}${event.adopted.length ? ` (${event.adopted.length} from an earlier attempt)` : ''}, until ${event.manifest.expiresAt.replace('.000Z', 'Z')}\n` +
        `  ${describeSafetyNet(event.manifest)}`
      );
    case 'progress':
      return `${event.id}  ${formatDuration(event.timeLeftSeconds * 1000)} left · ${event.objects} object(s), ${formatBytes(event.bytes)} delivered · ${formatUsd(event.costSoFar)} so far${
        event.maxCostUsd !== undefined ? ` (cap ${formatUsd(event.maxCostUsd)}${event.projectedUsd !== undefined ? `, ${formatUsd(event.projectedUsd)} projected` : ''})` : ''
      }`;
    case 'stopping':
      return `${event.id}: stopping (${event.reason})`;
    case 'stopped':
      return `${event.id}: flow log(s) deleted and verified gone${event.flowLogIds.length ? `: ${event.flowLogIds.join(', ')}` : ''}`;
    case 'disarmed':
      return `${event.id}: safety net removed; nothing is left scheduled`;
    case 'settling':
      return `${event.id}  waiting for late deliveries · ${formatDuration(event.waitedSeconds * 1000)} since the stop, at most ${formatDuration(event.leftSeconds * 1000)} more · ${event.objects} object(s), ${formatBytes(event.bytes)}`;
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
    default:
      // the live view's events (render/live.ts)
      return undefined;
  }
}
