import { UsageError } from '../errors.js';
import { DEFAULT_FIELDS, FIELDS, isKnownField } from './fields.js';

/** Where a format came from; a header in the data wins over the others. */
export type FormatOrigin = 'default' | 'header' | 'template' | 'preset' | 'parquet' | 'flow-log';

export interface LogFormat {
  readonly fields: readonly string[];
  readonly origin: FormatOrigin;
}

export function defaultFormat(): LogFormat {
  return { fields: DEFAULT_FIELDS, origin: 'default' };
}

/** `${a} ${b}` — the form CreateFlowLogs takes. */
export function toTemplate(fields: readonly string[]): string {
  return fields.map((name) => `\${${name}}`).join(' ');
}

const TOKEN = /^\$\{([^}]*)\}$/;

/**
 * Parses a `${field}` template (or a bare list of field names, as in a header line).
 * An unknown field is a UsageError naming the closest valid ones.
 */
export function parseLogFormat(template: string, origin: FormatOrigin = 'template', where = '--log-format'): LogFormat {
  const tokens = template.trim().split(/\s+/).filter((token) => token.length > 0);
  if (tokens.length === 0) {
    throw new UsageError(`${where} is empty; give at least one field, e.g. '\${srcaddr} \${dstaddr} \${tcp-flags}'`, { code: 'format-empty' });
  }
  const fields: string[] = [];
  for (const token of tokens) {
    const match = TOKEN.exec(token);
    const name = (match ? match[1] : token).trim();
    if (!isKnownField(name)) {
      const near = closestFields(name);
      const hint = near.length > 0 ? `did you mean ${near.map((n) => `\${${n}}`).join(', ')}?` : 'see the field list in flowdump analyze --help';
      throw new UsageError(`unknown field "${name}" in ${where}: ${hint}`, { code: 'format-unknown-field', details: { field: name, suggestions: near } });
    }
    if (fields.includes(name)) {
      throw new UsageError(`field "${name}" appears twice in ${where}; list each field once`, { code: 'format-duplicate-field' });
    }
    fields.push(name);
  }
  return { fields, origin };
}

/** Up to three catalog fields nearest to `name` by edit distance (or containing it). */
export function closestFields(name: string, limit = 3): string[] {
  const lower = name.toLowerCase().replace(/_/g, '-');
  const scored = FIELDS.map((spec) => {
    let score = editDistance(lower, spec.name);
    if (spec.name.includes(lower) || lower.includes(spec.name)) score = Math.min(score, 1);
    return { name: spec.name, score };
  });
  const threshold = Math.max(2, Math.ceil(lower.length / 3));
  return scored
    .filter((entry) => entry.score <= threshold)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, limit)
    .map((entry) => entry.name);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length];
}

/** Version a record in this format would carry: the highest version among its fields. */
export function formatVersion(fields: readonly string[]): number {
  let version = 2;
  for (const name of fields) {
    const spec = FIELDS.find((candidate) => candidate.name === name);
    if (spec && !spec.tgw && spec.version > version) version = spec.version;
  }
  return version;
}
