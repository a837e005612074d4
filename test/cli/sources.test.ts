import { describe, expect, it } from 'vitest';
import { operandsAfterDashDash, splitSourcesAndExpression } from '../../src/cli/sources.js';

const existing = new Set(['capture/', 'a.log', 'b.log.gz', 'tcp', 'host']);
const isSource = (arg: string) => arg === '-' || arg.startsWith('s3://') || arg.startsWith('logs:') || existing.has(arg);
const split = (args: string[], afterDashDash = 0, read?: string[]) => splitSourcesAndExpression(args, { afterDashDash, isSource, read });

describe('telling sources from the filter expression', () => {
  it('takes leading sources, then everything from the first other word as the expression', () => {
    expect(split(['capture/', 'port', '5432'])).toEqual({ sources: ['capture/'], expression: 'port 5432' });
    expect(split(['a.log', 'b.log.gz', '-', 's3://bucket/p/', 'logs:/group', 'tcp[tcpflags] & tcp-syn != 0'])).toEqual({
      sources: ['a.log', 'b.log.gz', '-', 's3://bucket/p/', 'logs:/group'],
      expression: 'tcp[tcpflags] & tcp-syn != 0',
    });
    expect(split(['a.log'])).toEqual({ sources: ['a.log'], expression: '' });
    // once the expression has started, a word that is also a file stays in the expression
    expect(split(['a.log', 'port', '80', 'and', 'a.log'])).toEqual({ sources: ['a.log'], expression: 'port 80 and a.log' });
  });

  it('refuses a source named like a filter word, and says how to write it', () => {
    expect(() => split(['tcp', 'port', '80'])).toThrow('"tcp" is both a file here and a filter word; write ./tcp for the file, or put -- before the filter expression');
  });

  it('-- and -r make the split explicit', () => {
    expect(split(['tcp', 'host', 'port', '80'], 2)).toEqual({ sources: ['tcp', 'host'], expression: 'port 80' });
    expect(split(['port', '80'], 0, ['tcp'])).toEqual({ sources: ['tcp'], expression: 'port 80' });
    expect(operandsAfterDashDash(['show', 'a.log', '--', 'port', '80'])).toBe(2);
    expect(operandsAfterDashDash(['show', 'a.log', 'port', '80'])).toBe(0);
  });
});
