import { describe, expect, test } from 'vitest';
import { formatDuration, parseCaptureDuration, parseDuration } from '../src/duration.js';
import { UsageError } from '../src/errors.js';

const MIN = 60_000;

function thrown(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    return error as UsageError;
  }
  throw new Error('expected a throw');
}

describe('one duration parser for every flag (milliseconds)', () => {
  test('90s, 15m, 2h and 1h30m; upper case and spaces around are fine', () => {
    expect(parseDuration('90s', '--for')).toBe(90_000);
    expect(parseDuration('15m', '--for')).toBe(15 * MIN);
    expect(parseDuration('2h', '--for')).toBe(120 * MIN);
    expect(parseDuration('1h30m', '--for')).toBe(90 * MIN);
    expect(parseDuration(' 1H5M30S ', '--for')).toBe(65 * MIN + 30_000);
  });

  test('anything else is one sentence naming the flag, exit code 2', () => {
    for (const text of ['5 minutes', '15', '', 'm', '30m1h', '1.5h', '-5m']) {
      const error = thrown(() => parseDuration(text, '--settle-timeout'));
      expect(error).toBeInstanceOf(UsageError);
      expect(error.exitCode).toBe(2);
      expect(error.message).toBe(`--settle-timeout must be a duration like 90s, 15m, 2h or 1h30m, not "${text}"`);
    }
  });

  test('zero only where the flag allows it (--settle-timeout 0s: do not wait for late data)', () => {
    expect(thrown(() => parseDuration('0m', '--for')).message).toBe('--for must be longer than zero, not "0m"');
    expect(parseDuration('0s', '--settle-timeout', { allowZero: true })).toBe(0);
    expect(parseDuration('0m', '--settle-timeout', { allowZero: true })).toBe(0);
  });

  test('a capture is one minute at least, and above 24h only with --force', () => {
    expect(parseCaptureDuration('1m', false)).toBe(MIN);
    expect(thrown(() => parseCaptureDuration('30s', false)).message).toBe('--for 30s is too short; the minimum is 1m');
    expect(thrown(() => parseCaptureDuration('25h', false)).message).toMatch(/^--for 25h is longer than 24h; add --force/);
    expect(parseCaptureDuration('24h', false)).toBe(24 * 60 * MIN);
    expect(parseCaptureDuration('25h', true)).toBe(25 * 60 * MIN);
  });

  test('formats back the way it reads, to the second', () => {
    expect(formatDuration(90 * MIN)).toBe('1h30m');
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_601_000)).toBe('1h1s');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(-5)).toBe('0s');
    for (const text of ['90s', '15m', '2h', '1h30m', '1h5m30s']) expect(formatDuration(parseDuration(text, '--for'))).toBe(text === '90s' ? '1m30s' : text);
  });
});

describe('how long ago (--since/--until): the same parser, with days', () => {
  const now = new Date('2026-05-01T12:00:00Z');

  test('2h, 90m, 1d and 1d12h count back from now; an ISO time is taken as it is', async () => {
    const { parseTimeFlag } = await import('../src/analyze/aws-sources.js');
    expect(parseTimeFlag('2h', '--since', now)).toBe(now.getTime() - 120 * MIN);
    expect(parseTimeFlag('90m', '--since', now)).toBe(now.getTime() - 90 * MIN);
    expect(parseTimeFlag('1d', '--since', now)).toBe(now.getTime() - 24 * 60 * MIN);
    expect(parseTimeFlag('1d12h', '--since', now)).toBe(now.getTime() - 36 * 60 * MIN);
    expect(parseTimeFlag('2026-05-01T10:00:00Z', '--until', now)).toBe(Date.parse('2026-05-01T10:00:00Z'));
    expect(() => parseTimeFlag('yesterday', '--since', now)).toThrow('--since "yesterday" is neither a time (2026-05-01T12:00:00Z) nor a duration ago (90m, 2h, 1d)');
  });

  test('days are for how long ago only: a capture flag still refuses them', () => {
    expect(thrown(() => parseDuration('1d', '--for')).message).toBe('--for must be a duration like 90s, 15m, 2h or 1h30m, not "1d"');
  });
});
