import { isKnownField } from './fields.js';
import { compileFormat, type CompiledFormat } from './compiled.js';
import type { LogFormat } from './template.js';

/** Where a line came from, for messages a user can act on. */
export interface Where {
  source: string;
  line: number;
}

/** What the reader emits, synchronously, for each line. */
export interface RecordSink {
  /** A well-formed record. The view is reused for the next line: copy what you keep. */
  record(view: RecordView): void;
  malformed(where: Where, reason: string, text: string): void;
  header?(format: CompiledFormat, where: Where): void;
  warning?(message: string): void;
}

const MAX_TOKENS = 256;
const NaNValue = Number.NaN;

/**
 * One parsed line, reused across lines to keep the hot loop free of allocation.
 * Token i spans text[starts[i], ends[i]); `nums[i]` holds the value of numeric
 * fields (NaN for `-`). `-` and empty values read as undefined.
 */
export class RecordView {
  text = '';
  count = 0;
  readonly starts = new Int32Array(MAX_TOKENS);
  readonly ends = new Int32Array(MAX_TOKENS);
  readonly nums = new Float64Array(MAX_TOKENS);
  format!: CompiledFormat;
  source = '';
  line = 0;

  /** The field's text, or undefined for `-` / empty / absent (index -1). */
  str(index: number): string | undefined {
    if (index < 0) return undefined;
    const start = this.starts[index];
    const end = this.ends[index];
    if (end === start || (end - start === 1 && this.text.charCodeAt(start) === 45)) return undefined;
    return this.text.substring(start, end);
  }

  /** The numeric field's value, NaN for `-` or absent. Only numeric fields are parsed. */
  num(index: number): number {
    return index < 0 ? NaNValue : this.nums[index];
  }

  /** True when both fields hold the same text (no allocation). */
  same(a: number, b: number): boolean {
    const length = this.ends[a] - this.starts[a];
    if (length !== this.ends[b] - this.starts[b]) return false;
    const text = this.text;
    const sa = this.starts[a];
    const sb = this.starts[b];
    for (let i = 0; i < length; i++) if (text.charCodeAt(sa + i) !== text.charCodeAt(sb + i)) return false;
    return true;
  }

  /** True when the field is absent or holds `-` (or nothing). */
  missing(index: number): boolean {
    if (index < 0) return true;
    const start = this.starts[index];
    const end = this.ends[index];
    return end === start || (end - start === 1 && this.text.charCodeAt(start) === 45);
  }

  /** The whole line as written (for messages and `show`). */
  lineText(): string {
    return this.count === 0 ? '' : this.text.substring(this.starts[0], this.ends[this.count - 1]);
  }

  /** A plain object of the record: numbers for the catalog's integer fields, `-` fields left out. */
  toRecord(): FlowRecord {
    const record: FlowRecord = {};
    const fields = this.format.fields;
    const numeric = this.format.numericPositions;
    for (let i = 0; i < fields.length; i++) {
      const value = this.str(i);
      if (value === undefined) continue;
      record[fields[i]] = value;
    }
    for (let k = 0; k < numeric.length; k++) {
      const index = numeric[k];
      const value = this.nums[index];
      if (!Number.isNaN(value)) record[fields[index]] = value;
    }
    // Integer fields the analyzer does not validate (traffic-path, packets-lost-*) are typed when they are digits.
    const otherInt = this.format.otherIntPositions;
    for (let k = 0; k < otherInt.length; k++) {
      const name = fields[otherInt[k]];
      const value = record[name];
      if (typeof value === 'string' && /^\d+$/.test(value)) record[name] = Number(value);
    }
    return record;
  }
}

/** A record as plain data, keyed by AWS field name; `-` values are absent. */
export type FlowRecord = Record<string, string | number>;

export interface LineReaderOptions {
  /** format used until a header line says otherwise: --log-format, the flow log's LogFormat, or the default */
  format: LogFormat;
  /** whether the format was given explicitly (a differing header then earns a warning) */
  explicit?: boolean;
}

/**
 * Turns text into records following DESIGN.md §3 "Reading": whitespace-separated
 * fields, header lines (which may repeat mid-input) set the format for what follows,
 * blank lines are skipped, everything else is a record or a malformed line.
 * Also accepts Security Lake / Athena CSV (a `,` header with `_` names) and
 * JSON-wrapped lines (`{"message": …}` or a CloudWatch Logs subscription envelope).
 */
export class FlowLineReader {
  private readonly view = new RecordView();
  private readonly base: CompiledFormat;
  private readonly explicit: boolean;
  private current: CompiledFormat;
  private carry = '';
  private warned = new Set<string>();
  /** lines seen in the current source */
  lineNo = 0;
  /** records (well-formed or malformed) seen in the current source */
  recordsInSource = 0;

  constructor(private readonly sink: RecordSink, options: LineReaderOptions) {
    this.base = compileFormat(options.format);
    this.explicit = options.explicit ?? false;
    this.current = this.base;
  }

  /** Starts a new source (file, object, stream): line numbers and format reset. */
  startSource(name: string): void {
    this.view.source = name;
    this.lineNo = 0;
    this.recordsInSource = 0;
    this.carry = '';
    this.current = this.base;
  }

  push(chunk: string): void {
    const text = this.carry.length > 0 ? this.carry + chunk : chunk;
    let pos = 0;
    for (;;) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      this.lineNo++;
      this.processLine(text, pos, nl);
      pos = nl + 1;
    }
    this.carry = pos === 0 ? text : text.slice(pos);
  }

  /** Ends the current source: a last line without a newline still counts. */
  endSource(): void {
    if (this.carry.length > 0) {
      const text = this.carry;
      this.carry = '';
      this.lineNo++;
      this.processLine(text, 0, text.length);
    }
  }

  /** Processes one complete line (no newline). */
  pushLine(line: string): void {
    this.lineNo++;
    this.processLine(line, 0, line.length);
  }

  private processLine(text: string, start: number, end: number): void {
    if (end > start && text.charCodeAt(end - 1) === 13) end--; // \r\n
    const view = this.view;
    const format = this.current;
    const count = format.csv ? tokenizeCsv(text, start, end, view) : tokenize(text, start, end, view);
    if (count === 0) return; // blank line
    view.text = text;
    view.line = this.lineNo;
    const first = text.charCodeAt(view.starts[0]);
    if (first >= 97 && first <= 122 && this.tryHeader(text, count)) return;
    if (first === 123 /* { */ && this.tryJson(text, start, end)) return;

    this.recordsInSource++;
    const expected = format.fields.length;
    let n = count;
    if (n > expected && text.charCodeAt(view.starts[expected]) === 35 /* # */) n = expected; // trailing comment
    if (n !== expected) {
      this.malformed(`expected ${expected} fields (${format.origin === 'header' ? 'from the header' : `${format.origin} format`}), found ${count}`, text, start, end);
      return;
    }
    view.count = n;
    view.format = format;
    const numeric = format.numericPositions;
    for (let k = 0; k < numeric.length; k++) {
      const index = numeric[k];
      const value = parseNumber(text, view.starts[index], view.ends[index]);
      if (value === -1) {
        this.malformed(`${format.fields[index]} is "${text.substring(view.starts[index], view.ends[index])}", not a number or -`, text, start, end);
        return;
      }
      view.nums[index] = value;
    }
    const address = format.addressPositions;
    for (let k = 0; k < address.length; k++) {
      const index = address[k];
      if (!isAddress(text, view.starts[index], view.ends[index])) {
        this.malformed(`${format.fields[index]} is "${text.substring(view.starts[index], view.ends[index])}", not an IP address or -`, text, start, end);
        return;
      }
    }
    this.sink.record(view);
  }

  private malformed(reason: string, text: string, start: number, end: number): void {
    this.sink.malformed({ source: this.view.source, line: this.lineNo }, reason, text.substring(start, Math.min(end, start + 300)));
  }

  /** A line whose tokens all look like field names and include a known one sets the format. */
  private tryHeader(text: string, count: number): boolean {
    const view = this.view;
    let names: string[];
    let csv = false;
    if (count === 1 && text.substring(view.starts[0], view.ends[0]).includes(',')) {
      names = text.substring(view.starts[0], view.ends[0]).split(',');
      if (!names.every((name) => /^[a-z][a-z0-9_-]*$/.test(name))) return false;
      names = names.map((name) => name.replace(/_/g, '-'));
      csv = true;
    } else {
      names = [];
      for (let i = 0; i < count; i++) {
        if (!looksLikeFieldName(text, view.starts[i], view.ends[i])) return false;
        names.push(text.substring(view.starts[i], view.ends[i]));
      }
    }
    if (!names.some((name) => isKnownField(name))) return false;
    const format = compileFormat({ fields: names, origin: 'header' }, csv);
    if (this.explicit && format.key !== this.base.key && !this.warned.has(format.key)) {
      this.warned.add(format.key);
      this.sink.warning?.(`${view.source}:${this.lineNo}: the header line's format differs from --log-format; the header wins for the lines after it`);
    }
    if (format.unknownFields.length > 0 && !this.warned.has(`unknown:${format.key}`)) {
      this.warned.add(`unknown:${format.key}`);
      this.sink.warning?.(`${view.source}:${this.lineNo}: header names field(s) flowdump does not know (${format.unknownFields.join(', ')}); they are read as text`);
    }
    this.current = format;
    this.sink.header?.(format, { source: view.source, line: this.lineNo });
    return true;
  }

  /** `{"message": "<record>"}` lines and CloudWatch Logs subscription envelopes. */
  private tryJson(text: string, start: number, end: number): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.substring(start, end));
    } catch {
      return false; // not JSON: falls through to a malformed record
    }
    const messages: string[] = [];
    if (parsed && typeof parsed === 'object') {
      const object = parsed as { message?: unknown; logEvents?: unknown };
      if (typeof object.message === 'string') messages.push(object.message);
      if (Array.isArray(object.logEvents)) {
        for (const event of object.logEvents) {
          if (event && typeof (event as { message?: unknown }).message === 'string') messages.push((event as { message: string }).message);
        }
      }
    }
    if (messages.length === 0) return false;
    const line = this.lineNo;
    for (const message of messages) {
      this.lineNo = line; // every message of the envelope reports the envelope's line
      this.processLine(message, 0, message.length);
    }
    return true;
  }
}

/** Splits on runs of spaces and tabs; returns the token count (capped). */
function tokenize(text: string, start: number, end: number, view: RecordView): number {
  const starts = view.starts;
  const ends = view.ends;
  let count = 0;
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    while (c === 32 || c === 9) {
      if (++i >= end) return count;
      c = text.charCodeAt(i);
    }
    const tokenStart = i;
    while (i < end) {
      c = text.charCodeAt(i);
      if (c === 32 || c === 9) break;
      i++;
    }
    if (count < MAX_TOKENS) {
      starts[count] = tokenStart;
      ends[count] = i;
    }
    count++;
  }
  return count;
}

/** Splits on commas (CSV exported from Athena / Security Lake, no quoting). */
function tokenizeCsv(text: string, start: number, end: number, view: RecordView): number {
  if (end <= start) return 0;
  let count = 0;
  let tokenStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || text.charCodeAt(i) === 44) {
      if (count < MAX_TOKENS) {
        view.starts[count] = tokenStart;
        view.ends[count] = i;
      }
      count++;
      tokenStart = i + 1;
    }
  }
  return count;
}

/** Digits → value; `-` or empty → NaN; anything else → -1 (malformed). */
function parseNumber(text: string, start: number, end: number): number {
  if (end === start) return NaNValue;
  if (end - start === 1 && text.charCodeAt(start) === 45) return NaNValue;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** IPv4 dotted quad or IPv6 (hex, colons, optional embedded IPv4), or `-`. */
function isAddress(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length === 0 || (length === 1 && text.charCodeAt(start) === 45)) return true;
  let dots = 0;
  let colons = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  if (colons >= 2) return true;
  if (colons === 0 && dots === 3) {
    // dotted quad: digits only
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c !== 46 && (c < 48 || c > 57)) return false;
    }
    return true;
  }
  return false;
}

function looksLikeFieldName(text: string, start: number, end: number): boolean {
  const first = text.charCodeAt(start);
  if (first < 97 || first > 122) return false;
  for (let i = start + 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
  }
  return true;
}
