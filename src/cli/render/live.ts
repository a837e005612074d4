import type { LiveEvent, LiveFailure, LiveStatus } from '../../capture/live.js';
import type { Endpoint } from '../../analyze/summary.js';
import type { Paint } from '../io.js';
import { formatDuration } from '../../duration.js';
import { formatBytes } from './capture.js';
import { formatUsd } from './estimate.js';
import { num } from './table.js';

/**
 * The live view of a running capture, as tcpdump prints events:
 *   `08:04:25  unanswered  10.0.1.10 → 10.0.2.20:5432  (3 SYNs so far, no reply)`
 * Times are UTC, from the records.
 */
export function renderLiveFailure(failure: LiveFailure, p: Paint): string {
  const time = failure.at ? failure.at.slice(11, 19) : '--:--:--';
  const cls = failure.class.padEnd(10);
  const painted = failure.class === 'rejected' ? p.red(cls) : p.yellow(cls);
  const who = failure.client ? `${failure.client.address} → ${endpoint(failure.server)}` : `→ ${endpoint(failure.server)}`;
  return `${time}  ${painted}  ${who}  (${detail(failure)})`;
}

function endpoint(e: Endpoint): string {
  return e.port === null ? e.address : e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

function detail(failure: LiveFailure): string {
  const others = failure.connections > 1 ? `, ${num(failure.connections)} connections` : '';
  const syns = failure.syns !== undefined ? `${num(failure.syns)} SYN${failure.syns === 1 ? '' : 's'} so far` : `${num(failure.connections)} connection${failure.connections === 1 ? '' : 's'} so far`;
  switch (failure.class) {
    case 'unanswered':
      return `${syns}, no reply${failure.syns !== undefined ? others : ''}`;
    case 'refused':
      return `${syns}, refused with a reset${failure.syns !== undefined ? others : ''}`;
    case 'rejected':
      return `${syns}, rejected by a security group or network ACL${failure.syns !== undefined ? others : ''}`;
  }
}

/** The running headline: what the data read so far says. */
export function renderLiveStatus(status: LiveStatus): string {
  if (status.deliveries === 0) return 'live: nothing delivered yet';
  const failing = status.refused + status.unanswered + status.rejected;
  const classes = [
    status.unanswered ? `${num(status.unanswered)} unanswered` : '',
    status.refused ? `${num(status.refused)} refused` : '',
    status.rejected ? `${num(status.rejected)} rejected` : '',
  ].filter(Boolean);
  const verdict = failing > 0 ? `${num(failing)} failing (${classes.join(', ')})` : 'none failing';
  return `live: ${num(status.connections)} connection${status.connections === 1 ? '' : 's'}, ${verdict} so far · ${num(status.records)} records in ${num(status.deliveries)} deliver${status.deliveries === 1 ? 'y' : 'ies'}`;
}

/** A permanent line for a live event; undefined for the status (it updates the live line). */
export function describeLiveEvent(event: LiveEvent, p: Paint): string | undefined {
  switch (event.type) {
    case 'live-status':
      return undefined;
    case 'live-failure':
      return renderLiveFailure(event.failure, p);
    case 'live-note':
      return p.dim(`${event.id}: ${event.message}`);
    case 'live-problem':
      return p.yellow(`warning: ${event.message}`);
  }
}

/** What the stop key does, with what stopping now has cost (the progress line carries the figures). */
export const STOP_HINT = 'Ctrl-C stops now and summarizes';

/**
 * The live line of a foreground capture with the live view: time left, the running verdict, and the
 * stop key with what has been captured and what it has cost so far.
 */
export function composeLiveLine(progress: { timeLeftSeconds: number; bytes: number; costSoFar: number; maxCostUsd?: number } | undefined, status: string): string {
  if (!progress) return `${status} · ${STOP_HINT}`;
  const cap = progress.maxCostUsd !== undefined ? `, cap ${formatUsd(progress.maxCostUsd)}` : '';
  return `${formatDuration(progress.timeLeftSeconds * 1000)} left · ${status} · ${STOP_HINT} (${formatBytes(progress.bytes)} captured, ${formatUsd(progress.costSoFar)} so far${cap})`;
}
