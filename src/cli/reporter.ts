import type { CaptureEvent, Reporter } from '../capture/lifecycle.js';
import type { CliContext } from './context.js';
import { describeEvent } from './render/capture.js';

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
  return {
    event(event: CaptureEvent) {
      if (options.json) return;
      const text = describeEvent(event);
      if (!text) return;
      const transient = event.type === 'progress' || event.type === 'settling';
      if (transient) {
        if (tty) {
          clearLive();
          const width = (stream.columns ?? 100) - 1;
          stream.write(ctx.paintErr.dim(text.length > width ? `${text.slice(0, width - 1)}…` : text));
          live = true;
        } else if (now() - lastLiveAt >= throttle) {
          lastLiveAt = now();
          stream.write(`${text}\n`);
        }
        return;
      }
      clearLive();
      stream.write(`${event.type === 'warning' ? ctx.paintErr.yellow(text) : text}\n`);
    },
    finish: clearLive,
  };
}
