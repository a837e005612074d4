import { describe, expect, it } from 'vitest';
import { actualCost } from '../../src/cost/actual.js';
import { decideGuard, GUARD_TIMING, type DeliveryObservation, type GuardDecision } from '../../src/cost/guard.js';
import { loadPriceTable, type Destination } from '../../src/cost/pricing.js';

/**
 * The guard against simulated deliveries on a fake clock (minutes from the start):
 * traffic generates `perMinute(m)` bytes in minute m; S3 delivers each 5-minute batch
 * 10 minutes after it ends (CloudWatch Logs: each minute 5 minutes later); a deleted flow
 * log records 2 more minutes. The guard is asked once a minute; on `stop` the run ends and
 * the final bill is what was generated until the stop delay ran out.
 */
const prices = loadPriceTable();
const MiB = 2 ** 20;
const START = Date.UTC(2026, 10, 30, 8, 0, 0);
const at = (minute: number) => new Date(START + minute * 60_000);

interface Scenario {
  destination: Destination;
  perMinute: (minute: number) => number;
  durationMinutes: number;
  maxCostUsd: number;
  /** batch index → extra delivery delay in minutes (S3 only) */
  late?: Record<number, number>;
  expectedBytesPerSecond?: number;
}

interface Run {
  stoppedAt?: number;
  finalBytes: number;
  finalUsd: number;
  capBytes: number;
  largestBatchBytes: number;
  decisions: Array<{ minute: number; decision: GuardDecision }>;
}

const cost = (destination: Destination, bytes: number) => actualCost({ deliveredBytes: bytes, destination, region: 'us-east-1', prices, retentionHours: 1 }).usd;

function simulate(scenario: Scenario): Run {
  const timing = GUARD_TIMING[scenario.destination];
  const batchMinutes = timing.batchSeconds / 60;
  const lagMinutes = timing.deliveryLagSeconds / 60;
  const stopDelayMinutes = timing.stopDelaySeconds / 60;
  const generated = (untilMinute: number) => {
    let sum = 0;
    for (let m = 0; m < untilMinute; m++) sum += scenario.perMinute(m);
    return sum;
  };
  const deliveredAt = (minute: number) => {
    // batches of generated data, each delivered lag minutes after it ends (plus any lateness)
    let sum = 0;
    for (let batch = 0; batch * batchMinutes < minute; batch++) {
      const due = (batch + 1) * batchMinutes + lagMinutes + (scenario.late?.[batch] ?? 0);
      if (due > minute) continue;
      for (let m = batch * batchMinutes; m < (batch + 1) * batchMinutes; m++) sum += scenario.perMinute(m);
    }
    return sum;
  };
  let largestBatchBytes = 0;
  for (let batch = 0; batch * batchMinutes < scenario.durationMinutes; batch++) {
    let sum = 0;
    for (let m = batch * batchMinutes; m < (batch + 1) * batchMinutes; m++) sum += scenario.perMinute(m);
    largestBatchBytes = Math.max(largestBatchBytes, sum);
  }
  const observations: DeliveryObservation[] = [];
  const decisions: Run['decisions'] = [];
  let stoppedAt: number | undefined;
  for (let minute = 1; minute <= scenario.durationMinutes; minute++) {
    observations.push({ at: at(minute), deliveredBytes: deliveredAt(minute) });
    const decision = decideGuard({
      startedAt: at(0),
      endsAt: at(scenario.durationMinutes),
      maxCostUsd: scenario.maxCostUsd,
      now: at(minute),
      observations,
      destination: scenario.destination,
      region: 'us-east-1',
      prices,
      expectedBytesPerSecond: scenario.expectedBytesPerSecond,
    });
    decisions.push({ minute, decision });
    if (decision.action === 'stop') {
      stoppedAt = minute;
      break;
    }
  }
  const finalBytes = generated(stoppedAt === undefined ? scenario.durationMinutes : stoppedAt + stopDelayMinutes);
  // the cap in bytes, for "how far past it" (cost is monotonic in bytes)
  let capBytes = 0;
  while (cost(scenario.destination, capBytes + MiB) <= scenario.maxCostUsd) capBytes += MiB;
  return { stoppedAt, finalBytes, finalUsd: cost(scenario.destination, finalBytes), capBytes, largestBatchBytes, decisions };
}

describe('decideGuard on a fake clock', () => {
  it('steady traffic to S3: stops before the cap, and not much earlier than it must', () => {
    // 100 MiB/min for an hour would cost ~$1.46; the cap is $0.50 (~2 GiB)
    const run = simulate({ destination: 's3', perMinute: () => 100 * MiB, durationMinutes: 60, maxCostUsd: 0.5 });
    expect(run.stoppedAt).toBe(18);
    expect(run.finalUsd).toBeLessThanOrEqual(0.5);
    expect(run.finalUsd).toBeGreaterThan(0.9 * 0.5);
    // nothing was delivered for the first 15 minutes (first batch: minutes 0–5, 10 minutes late)
    expect(run.decisions[0].decision).toMatchObject({ action: 'continue', rateSource: 'none', deliveredBytes: 0 });
    expect(run.decisions[0].decision.reason).toBe('nothing delivered yet (S3 delivers ~10 minutes late) and no expected rate given: no projection yet');
    const last = run.decisions.at(-1)!.decision;
    expect(last.reason).toMatch(/^stopping before --max-cost \$0\.50: \$0\.12 delivered, and with the observed rate/);
    expect(last.bytesPerSecond).toBeCloseTo((100 * MiB) / 60, 6);
  });

  it('steady traffic: while it continues, it projects the end of the budget and when the cap will be reached', () => {
    const run = simulate({ destination: 's3', perMinute: () => 100 * MiB, durationMinutes: 60, maxCostUsd: 0.5 });
    const atFifteen = run.decisions.find((entry) => entry.minute === 15)!.decision;
    expect(atFifteen.action).toBe('continue');
    // 62 minutes of traffic (the hour plus the stop delay) at 100 MiB/min
    expect(atFifteen.projectedUsdAtEnd).toBeCloseTo(cost('s3', 62 * 100 * MiB), 6);
    // 2,048 MiB of cap at 100 MiB/min, less the 2-minute stop delay: a little before minute 18.5
    expect(atFifteen.projectedCapAt!.getTime()).toBeGreaterThan(at(18).getTime());
    expect(atFifteen.projectedCapAt!.getTime()).toBeLessThan(at(19).getTime());
    expect(atFifteen.reason).toMatch(/would reach the cap at 08:18 UTC and will be stopped just before$/);
    // in flight at minute 15: minutes 5–15 generated but not delivered
    expect(atFifteen.inFlightBytes).toBe(10 * 100 * MiB);
  });

  it('bursty traffic: a burst seen late still stops it within one S3 batch of the cap', () => {
    // 20 MiB/min, with 300 MiB/min in minutes 20–24
    const perMinute = (m: number) => (m >= 20 && m < 25 ? 300 : 20) * MiB;
    const run = simulate({ destination: 's3', perMinute, durationMinutes: 90, maxCostUsd: 0.5 });
    expect(run.stoppedAt).toBe(35); // the minute the burst's batch lands
    expect(run.finalBytes).toBeGreaterThan(run.capBytes); // the burst was in flight: it cannot be helped...
    expect(run.finalBytes - run.capBytes).toBeLessThanOrEqual(run.largestBatchBytes); // ...but it is at most one batch past
    expect(run.decisions.at(-1)!.decision.action).toBe('stop');
  });

  it('a late batch: the hole does not make the guard optimistic by more than that batch', () => {
    // steady 100 MiB/min; the batch of minutes 30–35 arrives 20 minutes late
    const run = simulate({ destination: 's3', perMinute: () => 100 * MiB, durationMinutes: 120, maxCostUsd: 1.5, late: { 6: 20 } });
    expect(run.stoppedAt).toBeDefined();
    expect(run.finalBytes - run.capBytes).toBeLessThanOrEqual(run.largestBatchBytes);
    // and the same traffic without the late batch stops under the cap
    const onTime = simulate({ destination: 's3', perMinute: () => 100 * MiB, durationMinutes: 120, maxCostUsd: 1.5 });
    expect(onTime.finalUsd).toBeLessThanOrEqual(1.5);
    expect(run.stoppedAt!).toBeLessThanOrEqual(onTime.stoppedAt! + 5);
  });

  it('CloudWatch Logs (IncomingBytes, ~5 minutes late): steady traffic stops under the cap', () => {
    const run = simulate({ destination: 'cloudwatch-logs', perMinute: () => 50 * MiB, durationMinutes: 60, maxCostUsd: 0.5 });
    expect(run.stoppedAt).toBeDefined();
    expect(run.finalUsd).toBeLessThanOrEqual(0.5);
    expect(run.finalUsd).toBeGreaterThan(0.85 * 0.5);
  });

  it('traffic that never reaches the cap runs to the end of its budget', () => {
    const run = simulate({ destination: 's3', perMinute: () => 1 * MiB, durationMinutes: 30, maxCostUsd: 0.5 });
    expect(run.stoppedAt).toBeUndefined();
    expect(run.decisions.at(-1)!.decision.action).toBe('continue');
    expect(run.decisions.at(-1)!.decision.reason).toMatch(/projected by the end of the capture \(cap \$0\.50\)$/);
  });

  it('before anything is delivered, an expected rate (the estimate) can stop it in time', () => {
    // 300 MiB/min would pass $0.50 at ~7 minutes, long before S3's first batch lands at 15
    const run = simulate({ destination: 's3', perMinute: () => 300 * MiB, durationMinutes: 60, maxCostUsd: 0.5, expectedBytesPerSecond: (300 * MiB) / 60 });
    expect(run.stoppedAt).toBe(4);
    expect(run.decisions.at(-1)!.decision.rateSource).toBe('expected');
    expect(run.decisions.at(-1)!.decision.reason).toMatch(/with the expected rate/);
    expect(run.finalUsd).toBeLessThanOrEqual(0.5);
  });

  it('stops at once when what was delivered already passed the cap', () => {
    const decision = decideGuard({
      startedAt: at(0),
      endsAt: at(60),
      maxCostUsd: 0.1,
      now: at(20),
      observations: [{ at: at(15), deliveredBytes: 2 * 2 ** 30 }],
      destination: 's3',
      region: 'us-east-1',
      prices,
    });
    expect(decision.action).toBe('stop');
    expect(decision.spentUsd).toBeGreaterThanOrEqual(0.5);
    expect(decision.reason).toBe('delivered data already cost $0.50, at or past --max-cost $0.10: stopping now');
  });

  it('ignores observations from the future (a clock that went backwards)', () => {
    const decision = decideGuard({
      startedAt: at(0),
      endsAt: at(60),
      maxCostUsd: 0.5,
      now: at(10),
      observations: [{ at: at(20), deliveredBytes: 10 * 2 ** 30 }],
      destination: 's3',
      region: 'us-east-1',
      prices,
    });
    expect(decision).toMatchObject({ action: 'continue', deliveredBytes: 0, rateSource: 'none' });
  });
});
