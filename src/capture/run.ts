import { capStopReason, CostWatch, guardStopOf } from './cost-guard.js';
import { priceDelivered } from './cost.js';
import { finishCapture, type CaptureDeps, type FinishResult } from './lifecycle.js';
import type { CaptureManifest } from './manifest.js';
import { DeliveryMeter, type DeliveryReading } from './meter.js';
import { runLive } from './live.js';

export interface RunOptions {
  settleTimeoutMs: number;
  /** aborted by the first Ctrl-C / SIGTERM: stop now (the flow log is deleted, the rest goes on) */
  stopSignal: AbortSignal;
  /** aborted by the second: skip analysis and cleaning (the flow log is still deleted) */
  skipSignal: AbortSignal;
  /** how often the live line refreshes (default 30 s); the cost guard looks once a minute */
  pollMs?: number;
  /** read deliveries while the capture runs and report running verdicts (the live view) */
  live?: { pollMs?: number };
}

/**
 * The foreground capture: a live line until the budget (or Ctrl-C, or the cost cap), then
 * finish (stop → settle → analyze → clean). The flow log is deleted on every path out of here
 * except a SIGKILL, which the sweep and the safety net cover.
 *
 * With --max-cost, the guard (src/capture/cost-guard.ts) decides about once a minute from
 * what was delivered; when it says stop, the capture ends exactly as at the end of its budget,
 * and capture.json and the summary say why, what was spent and what was projected.
 */
export async function runCapture(manifest: CaptureManifest, deps: CaptureDeps, options: RunOptions): Promise<FinishResult> {
  const expiresAt = Date.parse(manifest.expiresAt);
  const pollMs = options.pollMs ?? 30_000;
  const meter = new DeliveryMeter(manifest, deps);
  const watch = manifest.maxCostUsd !== undefined ? new CostWatch(manifest, deps.prices) : undefined;
  let current = manifest;
  let reason = 'time budget reached';
  let projectedUsd: number | undefined;
  const noted = new Set<string>();
  // the live view runs beside the loop and ends with it: the teardown never waits for a read
  const liveStop = new AbortController();
  const liveTask = options.live
    ? runLive(manifest, deps, { pollMs: options.live.pollMs, signal: liveStop.signal, onEvent: (event) => deps.reporter.event(event) }).catch((error: unknown) => {
        deps.reporter.event({ type: 'warning', id: manifest.id, message: `the live view stopped: ${(error as Error)?.message ?? String(error)}` });
      })
    : undefined;
  const endLive = () => liveStop.abort();
  options.stopSignal.addEventListener('abort', endLive, { once: true });
  for (;;) {
    if (options.stopSignal.aborted) {
      reason = 'interrupted';
      break;
    }
    const now = deps.clock.now();
    const left = expiresAt - now.getTime();
    if (left <= 0) break;
    let reading: DeliveryReading | undefined;
    try {
      reading = await meter.read();
    } catch (error) {
      // a failed progress read must never end a capture early; the guard goes on with what it saw
      deps.reporter.event({ type: 'warning', id: manifest.id, message: `could not read delivery progress: ${(error as Error)?.message}` });
    }
    for (const note of reading?.notes ?? []) {
      // said once: a figure that could not be measured exactly is an over-count or not counted yet
      if (!noted.has(note)) deps.reporter.event({ type: 'warning', id: manifest.id, message: note });
      noted.add(note);
    }
    if (watch?.due(now)) {
      const decision = watch.decide(now, reading);
      projectedUsd = decision.projectedUsdAtEnd;
      if (decision.action === 'stop') {
        const stop = guardStopOf(decision, manifest.maxCostUsd!, now);
        current = { ...current, costGuard: stop };
        reason = capStopReason(stop);
        break;
      }
    }
    if (reading) {
      deps.reporter.event({
        type: 'progress',
        id: manifest.id,
        timeLeftSeconds: left / 1000,
        objects: reading.objects,
        bytes: reading.storedBytes,
        costSoFar: priceDelivered(manifest, reading, deps.prices).usd,
        ...(manifest.maxCostUsd !== undefined ? { maxCostUsd: manifest.maxCostUsd, ...(projectedUsd !== undefined ? { projectedUsd } : {}) } : {}),
      });
    }
    await deps.clock.sleep(Math.min(pollMs, left), options.stopSignal);
  }
  endLive();
  options.stopSignal.removeEventListener('abort', endLive);
  // not awaited: a read still in flight (a slow GET) ends on its own, says nothing more, and never holds up the stop
  void liveTask;
  // the stop writes `current` (with the guard's decision) to capture.json before deleting the flow log
  return finishCapture(current, deps, {
    settleTimeoutMs: options.settleTimeoutMs,
    waitForSettle: true,
    reason,
    // after an early stop, a further Ctrl-C skips analysis; after the budget (or the cap), the first one ends the wait
    settleSignal: reason === 'interrupted' ? options.skipSignal : options.stopSignal,
    skipSignal: options.skipSignal,
  });
}
