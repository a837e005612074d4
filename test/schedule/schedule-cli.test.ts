import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/analyze/summary.js';
import { scheduleCommand, type ScheduleCliDeps } from '../../src/cli/commands/schedule.js';
import { createContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import { targetOfWindow } from '../../src/cli/window-capture.js';
import type { RunWindowCapture } from '../../src/schedule/runner.js';
import { memoryIo } from './cli-io.js';
import { FakeTime } from './fake-time.js';
import { windowSummaries } from './summaries.js';

const NOW = '2026-05-04T05:00:00Z'; // Monday 07:00 in Berlin
let dir: string;
let summaries: Summary[];

beforeAll(async () => {
  summaries = await windowSummaries();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowdump-schedule-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const office = ['--cron', '*/30 9-18 * * 1-5', '--for', '5m', '--tz', 'Europe/Berlin'];

describe('flowdump schedule --dry-run', () => {
  it('prints the planned windows in the zone', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'i-0abc', ...office, '--until', '2026-05-08', '--dry-run'], io);
    expect(code).toBe(0);
    const out = io.out();
    expect(out).toContain('flowdump schedule i-0abc: 5m capture windows at "*/30 9-18 * * 1-5" (Europe/Berlin), until Sat 2026-05-09 00:00 +02:00');
    expect(out).toMatch(/^\s+1\s+Mon 2026-05-04 09:00 \+02:00\s+09:05 \+02:00$/m);
    expect(out).toContain('100 windows in all (first 10 shown); none overlap.');
    expect(out).toContain('Dry run: nothing was started.');
    expect(io.err()).toBe('');
  });

  it('--json is one document with the plan and what each window captures', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'i-0abc', ...office, '--count', '3', '--max-cost', '0.25', '--destination', 's3://bucket/flowdump', '--dry-run', '--json'], io);
    expect(code).toBe(0);
    const doc = JSON.parse(io.out());
    expect(doc.schema).toBe('flowdump.schedule-plan/v1');
    expect(doc.capture).toEqual({ target: 'i-0abc', destination: 's3://bucket/flowdump', maxCostUsd: 0.25, keep: false, safetyNet: true });
    expect(doc.plan.windows.map((w: { startLocal: string }) => w.startLocal)).toEqual(['2026-05-04T09:00:00+02:00', '2026-05-04T09:30:00+02:00', '2026-05-04T10:00:00+02:00']);
    expect(doc.plan.checked.complete).toBe(true);
  });

  it('overlapping windows: exit 2 and one sentence, no stack trace', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'i-0abc', '--cron', '0,10 * * * *', '--for', '15m', '--tz', 'UTC', '--dry-run'], io);
    expect(code).toBe(2);
    expect(io.err()).toBe(
      'flowdump: capture windows would overlap: window 2 (Mon 2026-05-04 06:00 +00:00 for 15m) is still running when window 3 starts (Mon 2026-05-04 06:10 +00:00), only 10m later; shorten --for to 10m or less, or space out --cron "0,10 * * * *"\n',
    );
    expect(io.out()).toBe('');
  });

  it('an unknown zone is a usage error; with --json the error is the one document', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'i-0abc', '--cron', '0 9 * * *', '--for', '5m', '--tz', 'Europe/Atlantis', '--dry-run', '--json'], io);
    expect(code).toBe(2);
    expect(JSON.parse(io.out())).toMatchObject({ schema: 'flowdump.error/v1', error: { code: 'usage', exitCode: 2 } });
    expect(io.err()).toContain('--tz "Europe/Atlantis" is not a time zone name');
  });

  it('without --tz the local zone is used (TZ)', async () => {
    const io = memoryIo({ now: NOW, env: { TZ: 'America/New_York' } });
    expect(await main(['schedule', 'i-0abc', '--cron', '0 9 * * *', '--for', '5m', '--count', '1', '--dry-run', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out()).plan).toMatchObject({ tz: 'America/New_York', windows: [{ start: '2026-05-04T13:00:00.000Z' }] });
  });

  it('missing or conflicting flags name the flag', async () => {
    const cases: [string[], string][] = [
      [['schedule', 'i-0abc', '--for', '5m', '--dry-run'], '--cron is required; for example --cron "*/30 9-18 * * 1-5"'],
      [['schedule', 'i-0abc', '--cron', '0 9 * * *', '--dry-run'], '--for is required; for example --for 5m'],
      [['schedule', 'i-0abc', ...office, '--until', '2026-05-08', '--count', '3', '--dry-run'], '--until and --count cannot be combined'],
      [['schedule', '--cron', '0 9 * * *', '--for', '5m', '--dry-run'], 'a target is required'],
      [['schedule', 'i-0abc', ...office, '--max-cost', 'lots', '--dry-run'], '--max-cost "lots" is not an amount in US dollars above zero; write it like 0.50 or 5'],
      [['schedule', 'i-0abc', ...office, '--format', '${nope}', '--dry-run'], 'nope'],
    ];
    for (const [argv, message] of cases) {
      const io = memoryIo({ now: NOW });
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.err()).toContain(message);
      expect(io.err().split('\n').filter(Boolean)).toHaveLength(1);
    }
  });
});

describe('flowdump schedule run', () => {
  it('the real runner opens AWS before the first window: a bad region fails at once, in one sentence, before any wait', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'run', 'i-0abc', ...office, '--count', '2', '--region', 'eu-wset-1'], io);
    expect(code).toBe(2);
    expect(io.err()).toBe('flowdump: unknown AWS region "eu-wset-1" (from --region); use a region code like us-east-1 or eu-west-1\n');
    expect(io.out()).toBe('');
  });

  it('an installed runner restarted after its series ended exits 0 quietly', async () => {
    const io = memoryIo({ now: NOW });
    const code = await main(['schedule', 'run', 'i-0abc', ...office, '--until', '2026-05-01T00:00:00Z'], io);
    expect(code).toBe(0);
    expect(io.err()).toMatch(/^flowdump schedule: the series is over \(--until 2026-05-01T02:00:00\+02:00 is not in the future\); nothing to run\n$/);
  });

  it('with a capture lifecycle plugged into the seam it runs the windows and prints one report', async () => {
    const time = new FakeTime('2026-05-04T06:58:00Z');
    const io = memoryIo({ now: NOW });
    const ctx = createContext(io);
    const seen: { target: string; safetyNet: boolean }[] = [];
    const runCapture: RunWindowCapture = async (window, { signal }) => {
      await time.sleep(Date.parse(window.end) - time.clock.now().getTime(), signal);
      if (window.index === 2) throw new Error('CreateFlowLogs: RequestLimitExceeded');
      return { captureId: `fd-${window.index}`, summary: summaries[window.index - 1] };
    };
    const deps: ScheduleCliDeps = {
      windowCaptureRunner: (_ctx, request) => {
        seen.push({ target: request.target, safetyNet: request.safetyNet });
        return runCapture;
      },
      sleep: time.sleep,
      onInterrupt: () => () => {},
      now: time.clock.now,
    };
    const out = join(dir, 'windows');
    const command = scheduleCommand(ctx, deps);
    await time.drive(command.parseAsync(['run', 'i-0abc', '--cron', '0 7-9 * * *', '--for', '5m', '--tz', 'UTC', '--count', '3', '--out', out], { from: 'user' }));
    expect(seen).toEqual([{ target: 'i-0abc', safetyNet: true }]);
    expect(io.out()).toContain('Schedule report: 3 windows (2 done, 1 failed)');
    expect(io.err()).toContain('window #2 failed: CreateFlowLogs: RequestLimitExceeded (the schedule goes on)');
    expect(io.err()).toContain('window #3 Mon 2026-05-04 09:00 +00:00 started');
    expect(ctx.exitCode).toBe(3);
    const files = (await readdir(out)).sort();
    expect(files).toEqual(['schedule-report.json', 'window-20260504T070000Z.summary.json', 'window-20260504T090000Z.summary.json']);
    const saved = JSON.parse(await readFile(join(out, 'window-20260504T090000Z.summary.json'), 'utf8'));
    expect(saved).toMatchObject({ schema: 'flowdump.summary/v1', scheduleWindow: { index: 3, start: '2026-05-04T09:00:00.000Z', captureId: 'fd-3' } });
    // the saved summaries make the same report again later
    const again = memoryIo({ now: NOW });
    expect(await main(['schedule', 'report', out, '--tz', 'UTC', '--json'], again)).toBe(0);
    expect(JSON.parse(again.out()).rows.map((r: { start: string; failures: number }) => [r.start, r.failures])).toEqual([
      ['2026-05-04T07:00:00.000Z', 0],
      ['2026-05-04T09:00:00.000Z', 2],
    ]);
  });
});

describe('flowdump schedule run: Ctrl-C', () => {
  it('the first stops new windows and ends the running one early (it still finishes); the second skips its analysis', async () => {
    const time = new FakeTime('2026-05-04T06:58:00Z');
    const io = memoryIo({ now: NOW });
    const ctx = createContext(io);
    let interrupt: () => void = () => {};
    let skip: AbortSignal | undefined;
    const seen: { index: number; stoppedEarly: boolean; skipped: boolean }[] = [];
    const deps: ScheduleCliDeps = {
      windowCaptureRunner: (_ctx, _request, options) => {
        skip = options.skipSignal;
        return async (window, { signal }) => {
          await time.sleep(Date.parse(window.end) - time.clock.now().getTime(), signal);
          const stoppedEarly = signal.aborted;
          // "settling": the second Ctrl-C arrives while the window waits for late data
          await time.sleep(10 * 60_000, options.skipSignal);
          seen.push({ index: window.index, stoppedEarly, skipped: options.skipSignal?.aborted === true });
          return { captureId: `fd-${window.index}`, summary: summaries[0] };
        };
      },
      sleep: time.sleep,
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => {};
      },
      now: time.clock.now,
    };
    const command = scheduleCommand(ctx, deps);
    await time.drive(command.parseAsync(['run', 'i-0abc', '--cron', '0 7-9 * * *', '--for', '5m', '--tz', 'UTC', '--count', '3'], { from: 'user' }), [
      { at: '2026-05-04T07:02:00Z', run: () => interrupt() },
      { at: '2026-05-04T07:05:00Z', run: () => interrupt() },
    ]);
    expect(seen).toEqual([{ index: 1, stoppedEarly: true, skipped: true }]);
    expect(skip?.aborted).toBe(true);
    expect(io.err()).toContain('interrupted: no more windows; a running window stops now, settles and writes its summary (press Ctrl-C again to skip its analysis)\n');
    expect(io.err()).toContain('interrupted again: skipping the analysis; flow logs are still deleted\n');
    expect(io.out()).toContain('Schedule report: 1 window (1 done)');
    expect(ctx.exitCode).toBe(130);
  });

  it('window targets are read as start\'s flags would be', () => {
    expect(['i-0abc1234', 'eni-0abc1234', 'subnet-0abc', 'vpc-0abc', '10.0.1.25', 'web-1'].map((text) => targetOfWindow(text).kind)).toEqual(['instance', 'eni', 'subnet', 'vpc', 'ip', 'name']);
  });
});

describe('flowdump schedule install', () => {
  const env = { HOME: '/home/oncall', XDG_STATE_HOME: '/home/oncall/.state' };

  it('--print shows the units and writes nothing', async () => {
    const io = memoryIo({ now: NOW, env });
    const target = join(dir, 'units');
    const code = await main(['schedule', 'install', '--systemd', 'i-0abc', ...office, '--count', '40', '--profile', 'prod', '--dir', target, '--print'], io);
    expect(code).toBe(0);
    expect(existsSync(target)).toBe(false);
    const out = io.out();
    expect(out).toContain(`# ── ${join(target, 'flowdump-schedule-i-0abc.service')}`);
    // --count 40 became the end of the 40th window, so a restarted runner does not count again
    expect(out).toMatch(
      /ExecStart=\S+ \S+flowdump schedule run --cron "\*\/30 9-18 \* \* 1-5" --for 5m --tz Europe\/Berlin --until 2026-05-05T16:35:00Z --profile prod --out \/home\/oncall\/.state\/flowdump\/schedules\/i-0abc i-0abc\n/,
    );
    expect(out).toContain('ExecStart=');
    expect(out).toMatch(/flowdump sweep --profile prod\n/);
    expect(out).toContain('#   systemctl --user enable --now flowdump-schedule-i-0abc.service flowdump-sweep.timer');
  });

  it('writes the crontab file into --dir and will not overwrite it without --force', async () => {
    const args = ['schedule', 'install', '--crontab', 'i-0abc', ...office, '--until', '2026-05-08', '--dir', dir, '--name', 'db-timeouts'];
    const io = memoryIo({ now: NOW, env: { ...env, XDG_STATE_HOME: join(dir, 'state') } });
    expect(await main(args, io)).toBe(0);
    const text = await readFile(join(dir, 'flowdump-schedule-db-timeouts.crontab'), 'utf8');
    expect(text).toMatch(/^\* \* \* \* \* flock -n \S+schedule-db-timeouts.lock .*schedule run --cron '\*\/30 9-18 \* \* 1-5' --for 5m --tz Europe\/Berlin --until 2026-05-08T22:00:00Z .*i-0abc >> \S+schedule-db-timeouts.log 2>&1$/m);
    expect(existsSync(join(dir, 'state', 'flowdump', 'schedules', 'db-timeouts'))).toBe(true);
    expect(io.out()).toContain(`(crontab -l 2>/dev/null; cat ${join(dir, 'flowdump-schedule-db-timeouts.crontab')}) | crontab -`);
    const again = memoryIo({ now: NOW, env });
    expect(await main(args, again)).toBe(2);
    expect(again.err()).toContain('already exists; pass --force to overwrite');
    expect(await main([...args, '--force'], memoryIo({ now: NOW, env }))).toBe(0);
  });

  it('needs exactly one of --systemd and --crontab', async () => {
    const io = memoryIo({ now: NOW, env });
    expect(await main(['schedule', 'install', 'i-0abc', ...office, '--print'], io)).toBe(2);
    expect(io.err()).toContain('--systemd (a user service and timer) or --crontab (crontab lines)');
  });
});

describe('flowdump schedule report', () => {
  async function writeSummaries(): Promise<string[]> {
    const paths: string[] = [];
    for (const [i, summary] of summaries.entries()) {
      const path = join(dir, `day-${3 - i}.json`); // names out of time order on purpose
      await writeFile(path, JSON.stringify(summary));
      paths.push(path);
    }
    return paths;
  }

  it('reads window summaries and shows failures per window, in time order', async () => {
    const paths = await writeSummaries();
    const io = memoryIo({ now: NOW });
    expect(await main(['schedule', 'report', ...paths, '--tz', 'Europe/Berlin'], io)).toBe(0);
    const lines = io.out().split('\n');
    expect(lines[0]).toBe('Schedule report: 3 windows (3 done) — 7 failed handshakes in 2 of 3 windows; worst: #2 Mon 2026-05-04 11:30 +02:00 (5), #3 Mon 2026-05-04 12:00 +02:00 (2)');
    expect(lines.filter((line) => /^\s+\d+\s+Mon/.test(line)).map((line) => line.trim().split(/\s+/)[0])).toEqual(['1', '2', '3']);
  });

  it('--json follows flowdump.schedule-report/v1', async () => {
    const paths = await writeSummaries();
    const io = memoryIo({ now: NOW });
    expect(await main(['schedule', 'report', ...paths, '--json'], io)).toBe(0);
    const report = JSON.parse(io.out());
    expect(report.schema).toBe('flowdump.schedule-report/v1');
    expect(report.totals.failures).toBe(7);
    expect(report.rows[1]).toMatchObject({ refused: 2, unanswered: 3, source: paths[1] });
  });

  it('a file that is not a summary is an input error naming the file', async () => {
    const path = join(dir, 'notes.json');
    await writeFile(path, '{"hello":"world"}');
    const io = memoryIo({ now: NOW });
    expect(await main(['schedule', 'report', path], io)).toBe(4);
    expect(io.err()).toBe(`flowdump: ${path} is not a flowdump summary (schema null, expected "flowdump.summary/v1"); write one with flowdump analyze --json\n`);
    const missing = memoryIo({ now: NOW });
    expect(await main(['schedule', 'report', join(dir, 'nope.json')], missing)).toBe(2);
    expect(missing.err()).toContain('no such file or directory');
  });
});
