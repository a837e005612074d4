import { isKnownField } from './fields.js';
import { compileFormat, type CompiledFormat } from './compiled.js';
import { LineScanner, MAX_TOKENS, SLACK, FACT_ROW, PS_HOPS, PS_LINE_END, PS_LINES, PS_MAX_END, PS_MIN_START, PS_OTHER_PROTOCOLS, PS_OTHERS, PS_REASON, PS_TCP, PS_TEXT_KEYS, REASON_FULL, REASON_MORE, type ScannerViews, STATUS_BAD_ADDRESS, STATUS_BAD_NUMBER, STATUS_COUNT, STATUS_HASH, STATUS_ID } from './line-scanner.js';
import { RecordView } from './record-view.js';
import type { LogFormat } from './template.js';
import { INVALID_ADDRESS, parseAddress, parseNumber } from './values.js';
import { fnv1aBytes } from '../hash.js';
import type { PlainFields } from './plain-fields.js';

// the record view and the field values live in their own files; taken from here too
export { RecordView } from './record-view.js';
export { formatIpv4, INVALID_ADDRESS, ipv4TextOrder, ipv4Value, NOT_IPV4, parseAddress, parseNumber } from './values.js';

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
  /**
   * The analyzer's fast path (docs/performance.md): asked after the first record of each format
   * has gone through record(), it may give the positions of the fields it reads; the reader's
   * scanner then tallies "plain" records itself (see the end of assembly/line-scanner.ts) and
   * hands them over in bulk to plainRecords(), in input order with the records that still come
   * one by one. Undefined: every record comes through record().
   */
  plainFields?(format: CompiledFormat): PlainFields | undefined;
  plainRecords?(batch: PlainBatch): void;
}

// the positions of the fields the fast path reads: derived from their slots in src/layout.ts
export type { PlainFields } from './plain-fields.js';

/**
 * Plain records the scanner has read since the last batch, all of one format, in input order
 * within each kind. Its arrays are the scanner's memory: read them before returning.
 */
export interface PlainBatch {
  format: CompiledFormat;
  /** TCP records: `tcp` rows of TCP facts (TCP_FACTS numbers, FACT_* in src/analyze/record-tally.ts) */
  facts: Float64Array;
  tcp: number;
  /** UDP and ICMP records: `udpIcmp` rows of OTHER_ROW numbers: protocol, packets, bytes, rejected (1/0) */
  others: Float64Array;
  udpIcmp: number;
  /** records of any other protocol (counted only) */
  otherProtocols: number;
  /**
   * records (of any protocol) that show a NAT hop, in input order: `hopRecords` rows of HOP_ROW
   * numbers, the interface-level source and destination address (IPv4 values) where each differs
   * from the packet-level one, else -1
   */
  hops: Float64Array;
  hopRecords: number;
  /** the TCP rows whose connection key is not packed, as [row, key text] (connectionKey()'s text) */
  textKeys: readonly [number, string][];
  /** the earliest start and latest end of all of them (±Infinity when none has one) */
  minStart: number;
  maxEnd: number;
}

const NO_TEXT_KEYS: readonly [number, string][] = [];

export type { FlowRecord } from './record-view.js';

export interface LineReaderOptions {
  /** format used until a header line says otherwise: --log-format, the flow log's LogFormat, or the default */
  format: LogFormat;
  /** whether the format was given explicitly (a differing header then earns a warning) */
  explicit?: boolean;
}

/**
 * Turns text into records as docs/analyzer.md "Reading" states it: whitespace-separated
 * fields, header lines (which may repeat mid-input) set the format for what follows,
 * blank lines are skipped, everything else is a record or a malformed line.
 * Also accepts Security Lake / Athena CSV (a `,` header with `_` names) and
 * JSON-wrapped lines (`{"message": …}` or a CloudWatch Logs subscription envelope).
 *
 * Input is bytes (UTF-8), pushed in chunks of any size; strings are accepted too.
 *
 * Lines are tokenized by a WebAssembly scanner (src/format/line-scanner.ts): chunks are copied
 * into its memory, an "input window", where the unfinished line at the end of one chunk is
 * moved to the front and the next chunk appended, so a line split between chunks is read like
 * any other. Lines given whole (pushLine, the messages of a JSON-wrapped line, a last line
 * without a newline) are copied after the window's data and read there.
 */
export class FlowLineReader {
  private readonly view = new RecordView();
  private readonly base: CompiledFormat;
  private readonly explicit: boolean;
  private current: CompiledFormat;
  private readonly scanner = new LineScanner();
  /** the scanner's memory as bytes (view.bytes), and its results (see STATUS_*) */
  private memory!: Buffer;
  private status!: Int32Array;
  private kinds!: Uint8Array;
  private views!: ScannerViews;
  /** the fast path: the format it is on for (scanner.plainOn), or undefined; whether to ask the sink after the next record */
  private plainFormat: CompiledFormat | undefined;
  private askPlain = false;
  /** the input window: [window, window + capacity) of the scanner's memory */
  private readonly window: number;
  private capacity = INITIAL_WINDOW;
  /** bytes at the start of the window that are the beginning of a line the next chunk finishes */
  private tail = 0;
  /** end of the window's data being read (lines given whole are copied after it) */
  private dataEnd: number;
  /** a UTF-16 high surrogate that ended a pushed string, kept for the next string */
  private pendingSurrogate = '';
  private warned = new Set<string>();
  /** set after each line is scanned: the first number / address field that is not valid, or -1 */
  private badNumber = -1;
  private badAddress = -1;
  /** lines seen in the current source */
  lineNo = 0;
  /** records (well-formed or malformed) seen in the current source */
  recordsInSource = 0;

  constructor(private readonly sink: RecordSink, options: LineReaderOptions) {
    this.base = compileFormat(options.format);
    this.explicit = options.explicit ?? false;
    this.window = this.scanner.inputAt;
    this.dataEnd = this.window;
    this.scanner.ensure(this.window + this.capacity + SCRATCH);
    this.takeViews();
    this.current = this.base;
    this.setFormat(this.base);
  }

  /** Starts a new source (file, object, stream): line numbers and format reset. */
  startSource(name: string): void {
    this.view.source = name;
    this.lineNo = 0;
    this.recordsInSource = 0;
    this.tail = 0;
    this.dataEnd = this.window;
    this.pendingSurrogate = '';
    this.setFormat(this.base);
  }

  /** Reads the complete lines of a chunk; the tail after its last newline waits for the next chunk. */
  push(chunk: Uint8Array | string): void {
    const bytes = typeof chunk === 'string' ? this.encode(chunk) : chunk;
    const length = bytes.length;
    let offset = 0;
    while (offset < length) {
      // a line longer than the window: a bigger window
      if (this.tail === this.capacity) this.growWindow(this.capacity * 2);
      const at = this.window + this.tail;
      const n = Math.min(length - offset, this.capacity - this.tail);
      this.memory.set(offset === 0 && n === length ? bytes : bytes.subarray(offset, offset + n), at);
      offset += n;
      const end = at + n;
      // an unfinished line waits for its newline: looking for it in the new bytes only keeps a
      // very long line from being scanned again with every chunk
      if (this.tail > 0 && this.memory.subarray(at, end).indexOf(10) < 0) {
        this.tail += n;
        this.dataEnd = end;
        continue;
      }
      this.dataEnd = end;
      const pos = this.readLines(this.window, end);
      // the unfinished last line moves to the front of the window
      if (pos < end && pos > this.window) this.memory.copyWithin(this.window, pos, end);
      this.tail = end - pos;
      this.dataEnd = this.window + this.tail;
    }
    // nothing waits in the scanner between calls (a source may end here, read or not)
    this.flushPlain();
  }

  /** Ends the current source: a last line without a newline still counts. */
  endSource(): void {
    if (this.pendingSurrogate) {
      const lone = Buffer.from(this.pendingSurrogate, 'utf8');
      this.pendingSurrogate = '';
      this.push(lone);
    }
    if (this.tail > 0) {
      const end = this.window + this.tail;
      this.tail = 0;
      this.lineNo++;
      this.readLine(this.window, end);
      this.dataEnd = this.window;
    }
  }

  /** Processes one complete line (no newline). */
  pushLine(line: string): void {
    this.lineNo++;
    const length = Buffer.byteLength(line, 'utf8');
    const at = this.scratch(length);
    this.memory.write(line, at, length, 'utf8');
    this.readLine(at, at + length);
  }

  /** Strings are read as their UTF-8 bytes; a surrogate pair split between two strings is kept whole. */
  private encode(chunk: string): Buffer {
    let text = this.pendingSurrogate + chunk;
    this.pendingSurrogate = '';
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.pendingSurrogate = text.slice(-1);
      text = text.slice(0, -1);
    }
    return Buffer.from(text, 'utf8');
  }

  /**
   * The hot loop: reads every complete line of the scanner's memory in [pos, length),
   * tokenizing and finding the newline in the same pass over the bytes; returns where the
   * unfinished last line starts.
   */
  private readLines(pos: number, length: number): number {
    const scanLine = this.scanner.scanLine;
    while (pos < length) {
      if (this.plainFormat !== undefined) {
        pos = this.readPlain(pos, length);
        if (pos < 0) return -pos - 1;
        continue;
      }
      if (this.current.csv) {
        const nl = this.memory.indexOf(10, pos);
        if (nl < 0 || nl >= length) return pos;
        this.lineNo++;
        this.readLine(pos, nl);
        pos = nl + 1;
        continue;
      }
      const nl = scanLine(pos, length, 10);
      if (nl < 0) return pos;
      this.lineNo++;
      this.scanned();
      // (processLine() may grow the memory: this.memory is read again for each line)
      this.processLine(pos, nl > pos && this.memory[nl - 1] === 13 ? nl - 1 : nl);
      pos = nl + 1;
    }
    return pos;
  }

  /**
   * The fast path: the scanner reads lines from `pos` and tallies plain records itself, up to a
   * line it leaves to JavaScript, which is then read here as any other. Returns where to go on
   * (the fast path may have been turned off by that line: a header), or, as -1 - pos, where
   * the input ended (an unfinished line starts there).
   */
  private readPlain(pos: number, length: number): number {
    const at = this.scanner.readRecords(pos, length);
    const plainStatus = this.views.plainStatus;
    this.lineNo += plainStatus[PS_LINES];
    const reason = plainStatus[PS_REASON];
    if (reason === REASON_MORE) return -at - 1;
    this.flushPlain();
    if (reason === REASON_FULL) return at;
    // REASON_SLOW: the scanner's results for the line are in place
    const nl = plainStatus[PS_LINE_END];
    this.lineNo++;
    this.scanned();
    this.processLine(at, nl > at && this.memory[nl - 1] === 13 ? nl - 1 : nl);
    return nl + 1;
  }

  /** Hands the plain records the scanner has tallied to the sink. */
  private flushPlain(): void {
    const format = this.plainFormat;
    if (format === undefined) return;
    const plainStatus = this.views.plainStatus;
    const tcp = plainStatus[PS_TCP];
    const udpIcmp = plainStatus[PS_OTHERS];
    const otherProtocols = plainStatus[PS_OTHER_PROTOCOLS];
    if (tcp + udpIcmp + otherProtocols === 0) return;
    this.recordsInSource += tcp + udpIcmp + otherProtocols;
    const times = this.views.plainTimes;
    (this.sink.plainRecords as (batch: PlainBatch) => void)({
      format,
      facts: this.views.facts,
      tcp,
      others: this.views.others,
      udpIcmp,
      otherProtocols,
      hops: this.views.hops,
      hopRecords: plainStatus[PS_HOPS],
      textKeys: this.textKeys(plainStatus[PS_TEXT_KEYS]),
      minStart: times[PS_MIN_START],
      maxEnd: times[PS_MAX_END],
    });
    this.scanner.clearRows();
  }

  /** The text keys of the scanner's rows (see PlainBatch.textKeys). */
  private textKeys(count: number): readonly [number, string][] {
    if (count === 0) return NO_TEXT_KEYS;
    const { textRows, facts, keyTextAt } = this.views;
    const keys: [number, string][] = [];
    for (let k = 0; k < count; k++) {
      const row = textRows[k];
      const at = keyTextAt + facts[row * FACT_ROW + 1];
      // (the key's fields are addresses and numbers: ASCII)
      keys.push([row, this.memory.toString('latin1', at, at + facts[row * FACT_ROW + 2])]);
    }
    return keys;
  }

  /** After the first record of the current format: the fast path, if the sink wants it. */
  private startPlain(format: CompiledFormat): void {
    this.askPlain = false;
    const sink = this.sink;
    if (format.csv || format.fields.length > MAX_TOKENS || !sink.plainFields || !sink.plainRecords) return;
    const p = sink.plainFields(format);
    if (p === undefined) return;
    this.scanner.plainOn(p);
    this.plainFormat = format;
  }

  /** Takes the scanner's results for the line just scanned. */
  private scanned(): void {
    const status = this.status;
    this.view.count = status[STATUS_COUNT];
    this.view.idHash = status[STATUS_HASH];
    this.view.idNumber = status[STATUS_ID];
    this.badNumber = status[STATUS_BAD_NUMBER];
    this.badAddress = status[STATUS_BAD_ADDRESS];
  }

  /** Reads one line given whole, at [start, end) of the scanner's memory (no newline search: a `\n` inside it is an ordinary byte). */
  private readLine(start: number, end: number): void {
    if (end > start && this.memory[end - 1] === 13) end--; // \r\n
    if (this.current.csv) tokenizeCsv(this.memory, start, end, this.view);
    else {
      this.scanner.scanLine(start, end, -1);
      this.scanned();
    }
    this.processLine(start, end);
  }

  /** A tokenized line (view.count tokens; `end` excludes the newline and a `\r` before it). */
  private processLine(start: number, end: number): void {
    const view = this.view;
    const count = view.count;
    if (count === 0) return; // blank line
    const format = this.current;
    const bytes = this.memory;
    view.bytes = bytes;
    view.line = this.lineNo;
    const first = bytes[view.starts[0]];
    if (first >= 97 && first <= 122 && this.tryHeader(bytes, count)) return;
    if (first === 123 /* { */ && this.tryJson(bytes, start, end)) return;

    this.recordsInSource++;
    const expected = format.fields.length;
    let n = count;
    if (n > expected && bytes[view.starts[expected]] === 35 /* # */) n = expected; // trailing comment
    if (n !== expected) {
      this.malformed(`expected ${expected} fields (${format.origin === 'header' ? 'from the header' : `${format.origin} format`}), found ${count}`, bytes, start, end);
      return;
    }
    view.count = n;
    view.format = format;
    if (format.csv) this.validateCsv(bytes, format);
    if (this.badNumber >= 0) {
      const index = this.badNumber;
      this.malformed(`${format.fields[index]} is "${bytes.toString('utf8', view.starts[index], view.ends[index])}", not a number or -`, bytes, start, end);
      return;
    }
    if (this.badAddress >= 0) {
      const index = this.badAddress;
      this.malformed(`${format.fields[index]} is "${bytes.toString('utf8', view.starts[index], view.ends[index])}", not an IP address or -`, bytes, start, end);
      return;
    }
    this.sink.record(view);
    if (this.askPlain && format === this.current) this.startPlain(format);
  }

  /** The current format, and the scanner told how to read its fields. */
  private setFormat(format: CompiledFormat): void {
    this.flushPlain();
    this.plainFormat = undefined;
    this.scanner.plainOff();
    this.askPlain = true;
    this.current = format;
    const kinds = format.kinds;
    const fields = kinds.length < MAX_TOKENS ? kinds.length : MAX_TOKENS;
    this.kinds.set(fields === kinds.length ? kinds : kinds.subarray(0, fields));
    this.views.partners.set(fields === kinds.length ? format.partners : format.partners.subarray(0, fields));
    this.scanner.setFormat(fields, format.pos.get('interface-id') ?? -1);
  }

  /** Room for `length` bytes after the window's data (growing the memory if need be); returns where. */
  private scratch(length: number): number {
    const at = this.dataEnd;
    if (at + length + SLACK > this.memory.length) {
      this.scanner.ensure(at + length + SCRATCH);
      this.takeViews();
    }
    return at;
  }

  private growWindow(capacity: number): void {
    this.scanner.ensure(this.window + capacity + SCRATCH);
    this.capacity = capacity;
    this.takeViews();
  }

  /** (Again) the typed views of the scanner's memory: growing it detaches the old ones. */
  private takeViews(): void {
    const views = this.scanner.views();
    this.views = views;
    this.view.idNoted = views.noted;
    this.memory = views.bytes;
    this.status = views.status;
    this.kinds = views.kinds;
    const view = this.view;
    view.starts = views.starts;
    view.ends = views.ends;
    view.nums = views.nums;
    view.ipv4s = views.ipv4s;
    view.bytes = views.bytes;
  }

  /** CSV lines are validated after splitting, field by field, in the order scanLine() reports. */
  private validateCsv(bytes: Uint8Array, format: CompiledFormat): void {
    const view = this.view;
    this.badNumber = -1;
    this.badAddress = -1;
    const iface = format.pos.get('interface-id');
    view.idHash = iface === undefined ? 0 : fnv1aBytes(bytes, view.starts[iface], view.ends[iface]) | 0;
    view.idNumber = -1;
    const numeric = format.numericPositions;
    for (let k = 0; k < numeric.length; k++) {
      const index = numeric[k];
      const value = parseNumber(bytes, view.starts[index], view.ends[index]);
      if (value === -1) {
        this.badNumber = index;
        return;
      }
      view.nums[index] = value;
    }
    const address = format.addressPositions;
    for (let k = 0; k < address.length; k++) {
      const index = address[k];
      const value = parseAddress(bytes, view.starts[index], view.ends[index]);
      if (value === INVALID_ADDRESS) {
        this.badAddress = index;
        return;
      }
      view.ipv4s[index] = value;
    }
  }

  private malformed(reason: string, bytes: Buffer, start: number, end: number): void {
    // the first 300 characters (not bytes) of the line, as the text reader showed them
    this.sink.malformed({ source: this.view.source, line: this.lineNo }, reason, bytes.toString('utf8', start, end).substring(0, 300));
  }

  /** A line whose tokens all look like field names and include a known one sets the format. */
  private tryHeader(bytes: Buffer, count: number): boolean {
    const view = this.view;
    let names: string[];
    let csv = false;
    const comma = count === 1 ? bytes.indexOf(44 /* , */, view.starts[0]) : -1;
    if (comma >= 0 && comma < view.ends[0]) {
      names = bytes.toString('utf8', view.starts[0], view.ends[0]).split(',');
      if (!names.every((name) => /^[a-z][a-z0-9_-]*$/.test(name))) return false;
      names = names.map((name) => name.replace(/_/g, '-'));
      csv = true;
    } else {
      names = [];
      for (let i = 0; i < count; i++) {
        if (!looksLikeFieldName(bytes, view.starts[i], view.ends[i])) return false;
        names.push(bytes.toString('latin1', view.starts[i], view.ends[i])); // checked ASCII above
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
    this.setFormat(format);
    this.sink.header?.(format, { source: view.source, line: this.lineNo });
    return true;
  }

  /** `{"message": "<record>"}` lines and CloudWatch Logs subscription envelopes. */
  private tryJson(bytes: Buffer, start: number, end: number): boolean {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8', start, end));
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
      // after the window's data (the envelope's own bytes are no longer needed: it was parsed)
      const length = Buffer.byteLength(message, 'utf8');
      const at = this.scratch(length);
      this.memory.write(message, at, length, 'utf8');
      this.readLine(at, at + length);
    }
    return true;
  }
}

/** The input window's first size; it doubles for a line that does not fit. */
const INITIAL_WINDOW = 1 << 20;
/** Room after the window for a line given whole (more is made when one needs it). */
const SCRATCH = 1 << 16;

/** Splits on commas (CSV exported from Athena / Security Lake, no quoting). */
function tokenizeCsv(bytes: Uint8Array, start: number, end: number, view: RecordView): void {
  if (end <= start) {
    view.count = 0;
    return;
  }
  let count = 0;
  let tokenStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || bytes[i] === 44) {
      if (count < MAX_TOKENS) {
        view.starts[count] = tokenStart;
        view.ends[count] = i;
      }
      count++;
      tokenStart = i + 1;
    }
  }
  view.count = count;
}

function looksLikeFieldName(bytes: Uint8Array, start: number, end: number): boolean {
  const first = bytes[start];
  if (first < 97 || first > 122) return false;
  for (let i = start + 1; i < end; i++) {
    const c = bytes[i];
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) return false;
  }
  return true;
}
