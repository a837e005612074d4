import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  findOverlap,
  formatLocal,
  iterateWindows,
  parseCount,
  parseUntil,
  planWindows,
  seriesOf,
  validateTimeZone,
  zoneTransitions,
  type CaptureWindow,
} from '../../src/schedule/windows.js';

const MIN = 60_000;

function take(options: Parameters<typeof iterateWindows>[0], n: number): CaptureWindow[] {
  const out: CaptureWindow[] = [];
  for (const window of iterateWindows(options)) {
    out.push(window);
    if (out.length === n) break;
  }
  return out;
}

function thrown(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('office-hours windows in a time zone', () => {
  it('reads the cron in the zone and crosses a weekend with a DST change', () => {
    // Friday 2026-03-27 17:00 in Berlin (CET); Europe moves to CEST on Sunday the 29th.
    const plan = planWindows({ cron: '*/30 9-18 * * 1-5', tz: 'Europe/Berlin', durationMs: 5 * MIN, from: new Date('2026-03-27T16:00:00Z'), count: 5 });
    expect(plan.windows.map((w) => w.startLocal)).toEqual([
      '2026-03-27T17:30:00+01:00',
      '2026-03-27T18:00:00+01:00',
      '2026-03-27T18:30:00+01:00',
      '2026-03-30T09:00:00+02:00',
      '2026-03-30T09:30:00+02:00',
    ]);
    expect(plan.windows[3]).toMatchObject({ index: 4, start: '2026-03-30T07:00:00.000Z', end: '2026-03-30T07:05:00.000Z', endLocal: '2026-03-30T09:05:00+02:00' });
    expect(plan.bounded).toBe(true);
    expect(plan.checked.windows).toBe(5);
  });

  it('the same cron fires at different instants in different zones', () => {
    const from = new Date('2026-06-01T00:00:00Z');
    const at = (tz: string) => take({ cron: '0 9 * * *', tz, durationMs: 5 * MIN, from }, 1)[0].start;
    expect(at('UTC')).toBe('2026-06-01T09:00:00.000Z');
    expect(at('Europe/Berlin')).toBe('2026-06-01T07:00:00.000Z');
    expect(at('America/New_York')).toBe('2026-06-01T13:00:00.000Z');
    expect(at('Asia/Kolkata')).toBe('2026-06-01T03:30:00.000Z');
  });

  it('starts strictly after now: a window already in progress is not replayed', () => {
    const windows = take({ cron: '*/30 * * * *', tz: 'UTC', durationMs: 5 * MIN, from: new Date('2026-06-01T09:02:00Z') }, 2);
    expect(windows.map((w) => w.start)).toEqual(['2026-06-01T09:30:00.000Z', '2026-06-01T10:00:00.000Z']);
  });
});

describe('DST: spring forward (a local time that does not exist)', () => {
  it('Europe/Berlin 02:30 on 2026-03-29 runs once, at 03:30 CEST', () => {
    const windows = take({ cron: '30 2 * * *', tz: 'Europe/Berlin', durationMs: 5 * MIN, from: new Date('2026-03-28T12:00:00Z') }, 2);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-03-29T03:30:00+02:00', '2026-03-30T02:30:00+02:00']);
    expect(windows[0].start).toBe('2026-03-29T01:30:00.000Z');
  });

  it('America/New_York 02:30 on 2026-03-08 runs once, at 03:30 EDT', () => {
    const windows = take({ cron: '30 2 * * *', tz: 'America/New_York', durationMs: 5 * MIN, from: new Date('2026-03-07T12:00:00Z') }, 2);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-03-08T03:30:00-04:00', '2026-03-09T02:30:00-04:00']);
  });

  it('a start in the gap that lands on another start of the cron is one window, not two', () => {
    // 02:00 and 02:30 do not exist; they would move onto 03:00 and 03:30, which the cron names too
    const windows = take({ cron: '0,30 2-3 * * *', tz: 'America/New_York', durationMs: 30 * MIN, from: new Date('2026-03-08T05:00:00Z') }, 3);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-03-08T03:00:00-04:00', '2026-03-08T03:30:00-04:00', '2026-03-09T02:00:00-04:00']);
  });

  it('a window that spans the jump lasts its real duration', () => {
    const [window] = take({ cron: '45 1 * * *', tz: 'Europe/Berlin', durationMs: 30 * MIN, from: new Date('2026-03-28T12:00:00Z') }, 1);
    expect(window).toMatchObject({ start: '2026-03-29T00:45:00.000Z', end: '2026-03-29T01:15:00.000Z', startLocal: '2026-03-29T01:45:00+01:00', endLocal: '2026-03-29T03:15:00+02:00' });
  });
});

describe('DST: fall back (a local time that happens twice)', () => {
  it('America/New_York 01:30 on 2026-11-01 runs once, at its first occurrence (EDT)', () => {
    const windows = take({ cron: '30 1 * * *', tz: 'America/New_York', durationMs: 5 * MIN, from: new Date('2026-10-31T12:00:00Z') }, 2);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-11-01T01:30:00-04:00', '2026-11-02T01:30:00-05:00']);
  });

  it('Europe/Berlin 02:30 on 2026-10-25 runs once, at 02:30 CEST', () => {
    const windows = take({ cron: '30 2 * * *', tz: 'Europe/Berlin', durationMs: 5 * MIN, from: new Date('2026-10-24T12:00:00Z') }, 2);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-10-25T02:30:00+02:00', '2026-10-26T02:30:00+01:00']);
  });

  it('the repeated hour gives no second pass, even for an every-30-minutes cron', () => {
    const windows = take({ cron: '*/30 1 * * *', tz: 'America/New_York', durationMs: 5 * MIN, from: new Date('2026-11-01T04:00:00Z') }, 3);
    expect(windows.map((w) => w.startLocal)).toEqual(['2026-11-01T01:00:00-04:00', '2026-11-01T01:30:00-04:00', '2026-11-02T01:00:00-05:00']);
  });

  it('finds the zone transitions to the minute', () => {
    const changes = zoneTransitions('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'));
    expect(changes.map((d) => d.toISOString())).toEqual(['2026-03-29T01:00:00.000Z', '2026-10-25T01:00:00.000Z']);
    expect(zoneTransitions('UTC', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2027-01-01T00:00:00Z'))).toEqual([]);
  });
});

describe('overlapping windows are refused with the reason', () => {
  it('an irregular cron: 15-minute windows at :00 and :10', () => {
    const error = thrown(() => planWindows({ cron: '0,10 * * * *', tz: 'UTC', durationMs: 15 * MIN, from: new Date('2026-06-01T08:59:00Z') }));
    expect(error.message).toBe(
      'capture windows would overlap: window 1 (Mon 2026-06-01 09:00 +00:00 for 15m) is still running when window 2 starts (Mon 2026-06-01 09:10 +00:00), only 10m later; shorten --for to 10m or less, or space out --cron "0,10 * * * *"',
    );
    expect(error.code).toBe('windows-overlap');
  });

  it('a window longer than the cron interval', () => {
    const error = thrown(() => planWindows({ cron: '*/30 9-18 * * 1-5', tz: 'Europe/Berlin', durationMs: 45 * MIN, from: new Date('2026-06-01T05:00:00Z') }));
    expect(error.message).toContain('window 1 (Mon 2026-06-01 09:00 +02:00 for 45m) is still running when window 2 starts (Mon 2026-06-01 09:30 +02:00), only 30m later');
  });

  it('back-to-back windows (--for equal to the interval) are fine', () => {
    const plan = planWindows({ cron: '*/30 * * * *', tz: 'UTC', durationMs: 30 * MIN, from: new Date('2026-06-01T00:00:00Z'), count: 4 });
    expect(findOverlap(plan.windows)).toBeUndefined();
    expect(plan.windows[0].end).toBe(plan.windows[1].start);
  });

  it('an overlap that only a DST change creates, months ahead, is found', () => {
    // 01:00, 01:50, 03:00, 03:50: gaps of 50 and 70 minutes — except on 2026-03-08 in New York,
    // where 01:50 EST is followed 10 real minutes later by 03:00 EDT.
    const options = { cron: '0,50 1,3 * * *', tz: 'America/New_York', durationMs: 15 * MIN, from: new Date('2026-01-10T12:00:00Z') };
    const error = thrown(() => planWindows(options));
    expect(error.message).toContain('the window (Sun 2026-03-08 01:50 -05:00 for 15m) is still running when the next one starts (Sun 2026-03-08 03:00 -04:00), only 10m later');
    // the same cron in UTC has no such night
    expect(planWindows({ ...options, tz: 'UTC' }).checked.dstChanges).toEqual([]);
  });

  it('a bounded series that ends before the DST night is accepted', () => {
    const plan = planWindows({ cron: '0,50 1,3 * * *', tz: 'America/New_York', durationMs: 15 * MIN, from: new Date('2026-01-10T12:00:00Z'), until: parseUntil('2026-02-01', 'America/New_York') });
    expect(plan.bounded).toBe(true);
    expect(plan.windows).toHaveLength(10);
  });
});

describe('--until and --count', () => {
  const office = { cron: '*/30 9-18 * * 1-5', tz: 'Europe/Berlin', durationMs: 5 * MIN, from: new Date('2026-05-04T05:00:00Z') };

  it('--until a date runs through the end of that day in the zone', () => {
    const until = parseUntil('2026-05-08', 'Europe/Berlin');
    expect(until.toISOString()).toBe('2026-05-08T22:00:00.000Z');
    const all = [...iterateWindows({ ...office, until })];
    expect(all).toHaveLength(5 * 20); // Mon–Fri, 09:00 … 18:30
    expect(all.at(-1)?.startLocal).toBe('2026-05-08T18:30:00+02:00');
    const plan = planWindows({ ...office, until });
    expect(plan.windows).toHaveLength(10);
    expect(plan.checked.windows).toBe(100);
  });

  it('--until a local time excludes windows starting at or after it', () => {
    const until = parseUntil('2026-05-04T10:00', 'Europe/Berlin');
    expect([...iterateWindows({ ...office, until })].map((w) => w.startLocal)).toEqual(['2026-05-04T09:00:00+02:00', '2026-05-04T09:30:00+02:00']);
  });

  it('--until with an explicit offset is an absolute instant', () => {
    expect(parseUntil('2026-05-04T10:00Z', 'Europe/Berlin').toISOString()).toBe('2026-05-04T10:00:00.000Z');
    expect(parseUntil('2026-05-04T10:00:00-04:00', 'Europe/Berlin').toISOString()).toBe('2026-05-04T14:00:00.000Z');
  });

  it('--count limits the series and the plan lists it whole', () => {
    const plan = planWindows({ ...office, count: 3 });
    expect(plan.windows.map((w) => w.index)).toEqual([1, 2, 3]);
    expect([...iterateWindows(seriesOf(plan))]).toEqual(plan.windows);
  });

  it('an unbounded series lists a preview and says how far it was checked', () => {
    const plan = planWindows({ ...office, preview: 4 });
    expect(plan.bounded).toBe(false);
    expect(plan.windows).toHaveLength(4);
    expect(plan.checked.windows).toBeGreaterThanOrEqual(50);
    expect(Date.parse(plan.checked.through ?? '') - office.from.getTime()).toBeGreaterThanOrEqual(8 * 86_400_000);
    expect(plan.checked.dstChanges).toEqual(['2026-10-25T01:00:00.000Z', '2027-03-28T01:00:00.000Z']);
  });

  it('bad values are usage errors that name the flag', () => {
    expect(thrown(() => parseUntil('next friday', 'UTC')).message).toBe('--until must be a date (2026-05-08) or a local time (2026-05-08T18:00), not "next friday"');
    expect(thrown(() => parseUntil('2026-02-30T10:00', 'UTC')).message).toBe('--until "2026-02-30T10:00" is not a valid date or time');
    expect(thrown(() => planWindows({ ...office, until: new Date('2026-05-01T00:00:00Z') })).message).toMatch(/^--until 2026-05-01T02:00:00\+02:00 is not in the future/);
    expect(thrown(() => parseCount('0')).message).toBe('--count must be a positive whole number, not "0"');
    expect(thrown(() => parseCount('2.5')).message).toBe('--count must be a positive whole number, not "2.5"');
    expect(thrown(() => parseCount('100000')).message).toContain('more windows than flowdump plans at once');
    expect(thrown(() => planWindows({ ...office, until: parseUntil('2026-05-04T08:00', 'Europe/Berlin') })).message).toContain('has no window before --until');
  });
});

describe('inputs', () => {
  it('an unknown time zone is a usage error', () => {
    expect(thrown(() => validateTimeZone('Mars/Olympus_Mons')).message).toBe(
      '--tz "Mars/Olympus_Mons" is not a time zone name; use an IANA name such as Europe/Berlin, America/New_York or UTC',
    );
    expect(thrown(() => planWindows({ cron: '0 9 * * *', tz: 'Nowhere/Town', durationMs: 5 * MIN, from: new Date() })).message).toContain('--tz "Nowhere/Town"');
    expect(validateTimeZone('UTC')).toBe('UTC');
  });

  it('a cron needs five fields and valid values', () => {
    expect(thrown(() => planWindows({ cron: '*/30 9-18 * *', tz: 'UTC', durationMs: 5 * MIN, from: new Date() })).message).toContain('--cron needs 5 fields');
    expect(thrown(() => planWindows({ cron: '0 25 * * *', tz: 'UTC', durationMs: 5 * MIN, from: new Date() })).message).toMatch(/^--cron "0 25 \* \* \*" is not a cron expression: /);
    expect(planWindows({ cron: '@daily', tz: 'UTC', durationMs: 5 * MIN, from: new Date('2026-06-01T12:00:00Z'), count: 1 }).windows[0].start).toBe('2026-06-02T00:00:00.000Z');
  });

  it('windows are at least a minute long', () => {
    expect(thrown(() => planWindows({ cron: '0 9 * * *', tz: 'UTC', durationMs: 30_000, from: new Date() })).message).toContain('--for must be at least 1m');
  });

  it('formats local times for people', () => {
    expect(formatLocal('2026-03-30T07:00:00Z', 'Europe/Berlin')).toBe('Mon 2026-03-30 09:00 +02:00');
    expect(formatLocal('2026-03-30T07:00:00Z', 'Asia/Kolkata')).toBe('Mon 2026-03-30 12:30 +05:30');
  });
});
