import { describe, expect, it } from 'vitest';
import { paint, useColor, type CliIo } from '../../src/cli/io.js';

const io = (env: Record<string, string>, isTTY: boolean): CliIo => ({
  stdout: { write: () => true, isTTY },
  stderr: { write: () => true, isTTY },
  stdin: (async function* () {})(),
  env,
});

describe('colour', () => {
  it('only on a TTY', () => {
    expect(useColor(io({}, true))).toBe(true);
    expect(useColor(io({}, false))).toBe(false);
  });

  it('NO_COLOR (any non-empty value) turns it off, even with FORCE_COLOR; TERM=dumb too', () => {
    expect(useColor(io({ NO_COLOR: '1' }, true))).toBe(false);
    expect(useColor(io({ NO_COLOR: '1', FORCE_COLOR: '1' }, true))).toBe(false);
    expect(useColor(io({ NO_COLOR: '' }, true))).toBe(true);
    expect(useColor(io({ TERM: 'dumb' }, true))).toBe(false);
  });

  it('FORCE_COLOR turns it on without a TTY, FORCE_COLOR=0 does not', () => {
    expect(useColor(io({ FORCE_COLOR: '1' }, false))).toBe(true);
    expect(useColor(io({ FORCE_COLOR: '0' }, false))).toBe(false);
  });

  it('paint wraps text in SGR codes only when enabled', () => {
    expect(paint(true).red('x')).toBe('\u001b[31mx\u001b[39m');
    expect(paint(false).red('x')).toBe('x');
  });
});
