import { finishCapture, storeFor, type CaptureDeps, type FinishResult } from './lifecycle.js';
import type { CaptureManifest } from './manifest.js';

export interface RunOptions {
  settleTimeoutMs: number;
  /** aborted by the first Ctrl-C / SIGTERM: stop now (the flow log is deleted, the rest goes on) */
  stopSignal: AbortSignal;
  /** aborted by the second: skip analysis and cleaning (the flow log is still deleted) */
  skipSignal: AbortSignal;
  /** how often the live line refreshes (default 30 s) */
  pollMs?: number;
}

/**
 * The foreground capture: a live line until the budget (or Ctrl-C), then finish
 * (stop → settle → analyze → clean). The flow log is deleted on every path out of here
 * except a SIGKILL, which the sweep and the safety net cover.
 */
export async function runCapture(manifest: CaptureManifest, deps: CaptureDeps, options: RunOptions): Promise<FinishResult> {
  const store = storeFor(manifest, deps);
  const expiresAt = Date.parse(manifest.expiresAt);
  const pollMs = options.pollMs ?? 30_000;
  let reason = 'time budget reached';
  for (;;) {
    if (options.stopSignal.aborted) {
      reason = 'interrupted';
      break;
    }
    const left = expiresAt - deps.clock.now().getTime();
    if (left <= 0) break;
    try {
      const delivered = await store.delivered();
      deps.reporter.event({
        type: 'progress',
        id: manifest.id,
        timeLeftSeconds: left / 1000,
        objects: delivered.objects,
        bytes: delivered.bytes,
        costSoFar: deps.costModel.actual({ bytes: delivered.bytes, destination: manifest.destination.type, fileFormat: manifest.fileFormat }),
      });
    } catch (error) {
      // a failed progress read must never end a capture early
      deps.reporter.event({ type: 'warning', id: manifest.id, message: `could not read delivery progress: ${(error as Error)?.message}` });
    }
    await deps.clock.sleep(Math.min(pollMs, left), options.stopSignal);
  }
  return finishCapture(manifest, deps, {
    settleTimeoutMs: options.settleTimeoutMs,
    waitForSettle: true,
    reason,
    // after an early stop, a further Ctrl-C skips analysis; after the budget, the first one ends the wait
    settleSignal: reason === 'interrupted' ? options.skipSignal : options.stopSignal,
    skipSignal: options.skipSignal,
  });
}
