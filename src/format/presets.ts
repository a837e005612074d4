import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { templatePath } from '../paths.js';
import { fieldSpec } from './fields.js';
import { parseLogFormat, type LogFormat } from './template.js';

export interface FormatPreset {
  name: string;
  description: string;
  template: string;
  format: LogFormat;
  /** typical bytes per text record, newline included */
  bytesPerRecord: number;
}

interface PresetFile {
  default: string;
  presets: Record<string, { description: string; format: string }>;
}

let cache: { defaultName: string; presets: FormatPreset[] } | undefined;

function load(): { defaultName: string; presets: FormatPreset[] } {
  if (cache) return cache;
  const file = JSON.parse(readFileSync(templatePath('log-formats.json'), 'utf8')) as PresetFile;
  const presets = Object.entries(file.presets).map(([name, preset]) => {
    const format = parseLogFormat(preset.format, 'preset', `preset "${name}"`);
    return { name, description: preset.description, template: preset.format, format, bytesPerRecord: typicalRecordBytes(format.fields) };
  });
  cache = { defaultName: file.default, presets };
  return cache;
}

export function listPresets(): FormatPreset[] {
  return load().presets;
}

export function defaultPresetName(): string {
  return load().defaultName;
}

export function findPreset(name: string): FormatPreset {
  const preset = load().presets.find((candidate) => candidate.name === name);
  if (!preset) {
    const names = load().presets.map((candidate) => candidate.name).join(', ');
    throw new UsageError(`unknown format preset "${name}"; use one of: ${names}, or a '\${field} …' template`, { code: 'format-unknown-preset' });
  }
  return preset;
}

/**
 * A format given on the command line: a preset name or a `${field}` template.
 */
export function resolveFormat(value: string, where = '--format'): LogFormat {
  if (value.includes('${') || /\s/.test(value.trim())) return parseLogFormat(value, 'template', where);
  return findPreset(value).format;
}

/**
 * Typical size of one text record in this format (IPv4, single-digit counts),
 * from the fields' typical widths plus one separator each (the last one is the newline).
 */
export function typicalRecordBytes(fields: readonly string[]): number {
  let total = 0;
  for (const name of fields) total += (fieldSpec(name)?.width ?? 8) + 1;
  return total;
}
