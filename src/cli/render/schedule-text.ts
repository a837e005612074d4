import { formatDuration } from '../../duration.js';
import type { ScheduleReport } from '../../schedule/report.js';
import type { ScheduleRunEvent } from '../../schedule/runner.js';
import { formatLocal, type CaptureWindow, type WindowPlan } from '../../schedule/windows.js';
import type { Paint } from '../io.js';
import { num, renderTable } from './table.js';

/** "09:05" when the end is on the same local day as the start, else the full local time. */
function endText(window: CaptureWindow, tz: string): string {
  const start = formatLocal(window.start, tz);
  const end = formatLocal(window.end, tz);
  return start.slice(0, 14) === end.slice(0, 14) ? end.slice(15) : end;
}

export function renderWindowPlanText(plan: WindowPlan, options: { paint: Paint; target: string; dryRun: boolean }): string {
  const { paint } = options;
  const lines: string[] = [];
  const bound = plan.until ? `until ${formatLocal(plan.until, plan.tz)}` : plan.count !== undefined ? `${plan.count} window${plan.count === 1 ? '' : 's'}` : 'no end (stop it with Ctrl-C, or give --until / --count)';
  lines.push(`${paint.bold('flowdump schedule')} ${options.target}: ${formatDuration(plan.durationMs)} capture windows at "${plan.cron}" (${plan.tz}), ${bound}`);
  lines.push('');
  lines.push(
    renderTable(
      [{ header: '#', align: 'right' }, { header: `starts (${plan.tz})` }, { header: 'ends' }],
      plan.windows.map((w) => [String(w.index), formatLocal(w.start, plan.tz), endText(w, plan.tz)]),
    ),
  );
  lines.push('');
  const shown = plan.windows.length;
  if (plan.checked.complete) {
    lines.push(`${num(plan.checked.windows)} window${plan.checked.windows === 1 ? '' : 's'} in all${shown < plan.checked.windows ? ` (first ${shown} shown)` : ''}; none overlap.`);
  } else {
    const through = plan.checked.through ? formatLocal(plan.checked.through, plan.tz) : '–';
    const dst = plan.checked.dstChanges.length > 0 ? ` and around the clock changes of ${plan.checked.dstChanges.map((d) => formatLocal(d, plan.tz).slice(4, 14)).join(', ')}` : '';
    lines.push(`First ${shown} shown. Checked for overlaps: ${num(plan.checked.windows)} windows through ${through}${dst}; each later window is checked before it runs.`);
  }
  lines.push(paint.dim('Each window is a normal capture: its own cost cap and server-side safety net, torn down at its end.'));
  if (options.dryRun) lines.push(paint.dim('Dry run: nothing was started. Run it with `flowdump schedule run …`, or on a host with `flowdump schedule install --systemd …`.'));
  return `${lines.join('\n')}\n`;
}

function bar(value: number, max: number, width = 10): string {
  if (value <= 0 || max <= 0) return '';
  return '█'.repeat(Math.max(1, Math.round((value / max) * width)));
}

function cell(value: number | null): string {
  return value === null ? '–' : num(value);
}

export function renderScheduleReportText(report: ScheduleReport, options: { paint: Paint; tz: string }): string {
  const { paint, tz } = options;
  const { windows, totals } = report;
  const lines: string[] = [];
  const parts = [`${windows.done} done`];
  if (windows.failed) parts.push(paint.red(`${windows.failed} failed`));
  if (windows.missed) parts.push(paint.yellow(`${windows.missed} missed`));
  if (windows.skipped) parts.push(paint.yellow(`${windows.skipped} skipped`));
  if (windows.aborted) parts.push(`${windows.aborted} stopped early`);
  const worst = report.worst.map((index) => report.rows.find((row) => row.index === index)).filter((row) => row !== undefined);
  const verdict =
    totals.failures === 0
      ? paint.green('no failed handshakes in any window')
      : `${paint.red(`${num(totals.failures)} failed handshake${totals.failures === 1 ? '' : 's'}`)} in ${windows.withFailures} of ${windows.total} windows; worst: ${worst
          .map((row) => `#${row.index} ${row.start ? formatLocal(row.start, tz) : '?'} (${num(row.failures ?? 0)})`)
          .join(', ')}`;
  lines.push(`${paint.bold('Schedule report')}: ${windows.total} window${windows.total === 1 ? '' : 's'} (${parts.join(', ')}) — ${verdict}`);
  lines.push('');
  const max = Math.max(0, ...report.rows.map((row) => row.failures ?? 0));
  lines.push(
    renderTable(
      [
        { header: '#', align: 'right' },
        { header: `window (${tz})` },
        { header: 'status' },
        { header: 'conns', align: 'right' },
        { header: 'estab', align: 'right' },
        { header: 'refused', align: 'right' },
        { header: 'unanswered', align: 'right' },
        { header: 'rejected', align: 'right' },
        { header: 'reset', align: 'right' },
        { header: 'failures', align: 'right' },
        { header: '' },
        { header: 'worst minute' },
      ],
      report.rows.map((row) => [
        String(row.index),
        row.start ? formatLocal(row.start, tz) : row.source ?? '?',
        row.status === 'done' ? row.status : row.status === 'failed' ? paint.red(row.status) : paint.yellow(row.status),
        cell(row.connections),
        cell(row.established),
        cell(row.refused),
        cell(row.unanswered),
        cell(row.rejected),
        cell(row.reset),
        row.failures ? paint.red(num(row.failures)) : cell(row.failures),
        paint.red(bar(row.failures ?? 0, max)),
        row.peakMinute ? `${formatLocal(row.peakMinute.minute, tz).slice(15, 20)} (${row.peakMinute.failures})` : '',
      ]),
    ),
  );
  lines.push('');
  lines.push(
    `Totals: ${num(totals.connections)} connections, ${num(totals.failures)} failures (${num(totals.refused)} refused, ${num(totals.unanswered)} unanswered, ${num(totals.rejected)} rejected), ${num(totals.reset)} reset.`,
  );
  const notes = report.rows.filter((row) => row.error || row.classified === false);
  for (const row of notes) {
    if (row.error) lines.push(`  #${row.index} ${row.status}: ${row.error}`);
    // a window that saw no records at all says so (an idle target, or nothing delivered yet)
    else if (row.connections === 0 && row.headline) lines.push(`  #${row.index}: ${row.headline}.`);
    else lines.push(`  #${row.index}: its data has no tcp-flags, so its handshakes cannot be judged.`);
  }
  return `${lines.join('\n')}\n`;
}

/** One progress line (stderr) for each runner event. */
export function renderRunEvent(event: ScheduleRunEvent, options: { paint: Paint; tz: string }): string | undefined {
  const { paint, tz } = options;
  const when = (w: CaptureWindow) => `#${w.index} ${formatLocal(w.start, tz)}`;
  switch (event.type) {
    case 'upcoming': {
      const [next, ...later] = event.windows;
      const then = later.length > 0 ? paint.dim(` (then ${later.map((w) => formatLocal(w.start, tz).slice(4)).join(', ')})`) : '';
      return `next window ${when(next)} for ${formatDuration(Date.parse(next.end) - Date.parse(next.start))}${then}`;
    }
    case 'window-started':
      return `window ${when(event.window)} started${event.lateMs >= 1000 ? paint.yellow(` ${formatDuration(event.lateMs)} late`) : ''}; it stops at ${endText(event.window, tz)}`;
    case 'window-done':
      return `window #${event.outcome.window.index} done: ${event.outcome.summary?.headline ?? 'no summary'}`;
    case 'window-failed':
      return event.outcome.status === 'aborted'
        ? `window #${event.outcome.window.index} stopped early: ${event.outcome.error?.message ?? ''}`
        : paint.red(`window #${event.outcome.window.index} failed: ${event.outcome.error?.message ?? 'unknown error'} (the schedule goes on)`);
    case 'window-missed':
      return paint.yellow(`window ${when(event.outcome.window)} missed: ${event.outcome.error?.message ?? ''}`);
    case 'window-skipped':
      return paint.yellow(`window ${when(event.outcome.window)} skipped: ${event.outcome.error?.message ?? ''}`);
    case 'stopping':
      return event.reason === 'aborted'
        ? 'stopping: no new windows; the running ones tear down, settle and write their summaries'
        : paint.red(`stopping the schedule: ${event.message ?? 'a window failed in a way every window would'}`);
  }
}
