import type { CaptureEvent, Reporter } from '../capture/lifecycle.js';
import type { LiveEvent } from '../capture/live.js';
import type { CliContext } from './context.js';
import { describeEvent } from './render/capture.js';
import { composeLiveLine, describeLiveEvent, renderLiveStatus } from './render/live.js';

/**
 * Capture progress on stderr, from the lifecycle's events: a live line rewritten in place on a TTY, one
 * line at most every `throttleMs` otherwise (CI logs), nothing under --json. Milestones
 * (created, stopped, summary written…) are always their own line.
 */
export function cliReporter(ctx: CliContext, options: { json?: boolean; throttleMs?: number; now?: () => number } = {}): Reporter & { finish(): void } {
  const stream = ctx.io.stderr;
  const tty = stream.isTTY === true;
  const now = options.now ?? Date.now;
  const throttle = options.throttleMs ?? 60_000;
  let live = false;
  let lastLiveAt = -Infinity;
  const clearLive = () => {
    if (live) stream.write('\r\u001b[2K');
    live = false;
  };
  // the live view (start): its running verdict joins the progress line until the capture stops
  let liveStatus: string | undefined;
  let lastProgress: Extract<CaptureEvent, { type: 'progress' }> | undefined;
  let liveText: string | undefined;
  let lastStatusAt = -Infinity;
  const drawLive = (text: string) => {
    clearLive();
    const width = (stream.columns ?? 100) - 1;
    stream.write(ctx.paintErr.dim(text.length > width ? `${text.slice(0, width - 1)}…` : text));
    live = true;
    liveText = text;
  };
  return {
    event(event: CaptureEvent) {
      if (options.json) return;
      if (event.type === 'live-status') {
        const text = renderLiveStatus(event.status);
        if (text === liveStatus) return;
        liveStatus = text;
        if (tty) drawLive(composeLiveLine(lastProgress, text));
        else if (now() - lastStatusAt >= throttle) {
          lastStatusAt = now();
          stream.write(`${text}\n`);
        }
        return;
      }
      if (event.type === 'stopping') liveStatus = undefined;
      const text = event.type.startsWith('live-') ? describeLiveEvent(event as LiveEvent, ctx.paintErr) : describeEvent(event);
      if (!text) return;
      const transient = event.type === 'progress' || event.type === 'settling';
      if (transient) {
        if (event.type === 'progress') lastProgress = event;
        const shown = event.type === 'progress' && liveStatus !== undefined ? composeLiveLine(event, liveStatus) : text;
        if (tty) drawLive(shown);
        else if (now() - lastLiveAt >= throttle) {
          lastLiveAt = now();
          stream.write(`${shown}\n`);
        }
        return;
      }
      const redraw = live && liveStatus !== undefined ? liveText : undefined;
      clearLive();
      stream.write(`${event.type === 'warning' ? ctx.paintErr.yellow(text) : text}\n`);
      // a live line interrupted by an event line comes back under it
      if (tty && redraw) drawLive(redraw);
    },
    finish: clearLive,
  };
}
