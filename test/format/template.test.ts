import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { DEFAULT_FIELDS } from '../../src/format/fields.js';
import { closestFields, defaultFormat, formatVersion, parseLogFormat, toTemplate } from '../../src/format/template.js';

function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('${field} templates', () => {
  it('parses a CreateFlowLogs-style template into fields in order', () => {
    const format = parseLogFormat('${version} ${srcaddr} ${dstaddr} ${tcp-flags}');
    expect(format.fields).toEqual(['version', 'srcaddr', 'dstaddr', 'tcp-flags']);
    expect(format.origin).toBe('template');
  });

  it('accepts bare field names (as a header line writes them) and extra whitespace', () => {
    expect(parseLogFormat('  version\tinterface-id   srcaddr dstaddr ').fields).toEqual(['version', 'interface-id', 'srcaddr', 'dstaddr']);
    expect(parseLogFormat('${version} interface-id').fields).toEqual(['version', 'interface-id']);
  });

  it('round-trips through toTemplate', () => {
    const template = toTemplate(DEFAULT_FIELDS);
    expect(template.startsWith('${version} ${account-id} ${interface-id}')).toBe(true);
    expect(parseLogFormat(template).fields).toEqual(DEFAULT_FIELDS);
  });

  it('an unknown field is a usage error (exit 2) that names the closest valid fields', () => {
    const error = usageErrorOf(() => parseLogFormat('${version} ${tcp-flag} ${srcaddr}'));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.code).toBe('format-unknown-field');
    expect(error.message).toContain('"tcp-flag"');
    expect(error.message).toContain('--log-format');
    expect(error.message).toContain('${tcp-flags}');
    expect(error.details).toMatchObject({ field: 'tcp-flag' });
    expect((error.details?.suggestions as string[])[0]).toBe('tcp-flags');
  });

  it('suggests pkt-srcaddr for a misspelt packet address and log-status for an underscore name', () => {
    expect(closestFields('pkt-src-addr')).toContain('pkt-srcaddr');
    expect(closestFields('log_status')[0]).toBe('log-status');
    expect(closestFields('dstport')[0]).toBe('dstport');
  });

  it('a name far from every field gets a pointer to the field list instead of a guess', () => {
    const error = usageErrorOf(() => parseLogFormat('${completely-unrelated-thing}', 'template', '--format'));
    expect(error.message).toContain('--format');
    expect(error.message).toContain('flowdump analyze --help');
  });

  it('a duplicate field is a usage error', () => {
    const error = usageErrorOf(() => parseLogFormat('${srcaddr} ${dstaddr} ${srcaddr}'));
    expect(error.code).toBe('format-duplicate-field');
    expect(error.message).toContain('"srcaddr" appears twice');
  });

  it('an empty template is a usage error', () => {
    expect(usageErrorOf(() => parseLogFormat('   ')).code).toBe('format-empty');
  });

  it('the default format is the 14 version-2 fields', () => {
    expect(defaultFormat().fields).toEqual([
      'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
      'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
    ]);
  });

  it('a format carries the highest version among its VPC fields (transit gateway fields excluded)', () => {
    expect(formatVersion(DEFAULT_FIELDS)).toBe(2);
    expect(formatVersion(['srcaddr', 'tcp-flags'])).toBe(3);
    expect(formatVersion(['srcaddr', 'flow-direction'])).toBe(5);
    expect(formatVersion(['srcaddr', 'tgw-id'])).toBe(2);
  });
});
