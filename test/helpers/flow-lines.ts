/**
 * Builders for small, readable flow-log inputs in tests. Every line they write is ours
 * (made-up addresses in the documentation ranges), in the `handshake` preset's field order.
 */
import { analyzeSources, type AnalyzeOptions } from '../../src/analyze/run.js';
import type { Source } from '../../src/analyze/sources.js';
import type { Summary } from '../../src/analyze/summary.js';

export const HANDSHAKE_FIELDS =
  'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';

/** 2026-01-15 10:00:00 UTC: the start of every made-up capture. */
export const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) / 1000;

export interface FlowOptions {
  eni?: string;
  direction?: string;
  pktSrc?: string;
  pktDst?: string;
  protocol?: number | '-';
  packets?: number | '-';
  bytes?: number | '-';
  /** seconds after T0 */
  at?: number;
  /** window length in seconds */
  length?: number;
  action?: string;
  status?: string;
}

/** "10.0.0.1:443" or "[2001:db8::1]:443" → address and port. */
export function splitEndpoint(text: string): { address: string; port: string } {
  const match = /^\[(.+)\]:(.+)$/.exec(text) ?? /^(.+):([^:]+)$/.exec(text);
  if (!match) throw new Error(`test bug: "${text}" is not address:port`);
  return { address: match[1], port: match[2] };
}

/** One TCP record from `src` to `dst` with `flags` (a number or '-'). */
export function tcp(src: string, dst: string, flags: number | string, options: FlowOptions = {}): string {
  const s = splitEndpoint(src);
  const d = splitEndpoint(dst);
  const at = T0 + (options.at ?? 0);
  return [
    5,
    options.eni ?? 'eni-0aaaaaaaaaaaaaaa1',
    options.direction ?? '-',
    s.address,
    s.port,
    d.address,
    d.port,
    options.pktSrc ?? s.address,
    options.pktDst ?? d.address,
    options.protocol ?? 6,
    flags,
    options.packets ?? 1,
    options.bytes ?? 60,
    at,
    at + (options.length ?? 10),
    options.action ?? 'ACCEPT',
    options.status ?? 'OK',
  ].join(' ');
}

/** A NODATA or SKIPDATA record of one interface for the window starting `at` seconds after T0. */
export function statusLine(status: 'NODATA' | 'SKIPDATA', at: number, eni = 'eni-0aaaaaaaaaaaaaaa1', length = 59): string {
  return ['5', eni, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', T0 + at, T0 + at + length, '-', status].join(' ');
}

/** A Source over a string (no file system). */
export function textSource(name: string, text: string | Uint8Array): Source {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return {
    name,
    size: bytes.length,
    async *bytes() {
      yield bytes;
    },
  };
}

/** Analyzes lines under the handshake header (unless `header` is false) and returns the summary. */
export async function analyzeLines(lines: readonly string[], options: AnalyzeOptions & { header?: string | false } = {}): Promise<Summary> {
  const header = options.header === undefined ? HANDSHAKE_FIELDS : options.header;
  const text = `${header === false ? '' : `${header}\n`}${lines.join('\n')}\n`;
  return analyzeText(text, options);
}

export async function analyzeText(text: string, options: AnalyzeOptions = {}, name = 'test.log'): Promise<Summary> {
  const { summary } = await analyzeSources([textSource(name, text)], options);
  return summary;
}

/** The five classes of a summary, for one-line assertions. */
export function classes(summary: Summary): Record<string, number> {
  const { established, refused, unanswered, rejected, midstream, reset, closed, connections } = summary.tcp;
  return { connections, established, refused, unanswered, rejected, midstream, reset, closed };
}
