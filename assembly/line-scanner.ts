// The line reader's hot loop, compiled to WebAssembly (AssemblyScript: TypeScript syntax, wasm types).
//
// Why: tokenizing every byte of hundreds of MB is most of `flowdump analyze`'s work, and a byte loop
// in JavaScript costs ~2 ns a byte on our machines; the same loop in WebAssembly about half
// (docs/performance.md). This file does exactly what the JavaScript reference in
// test/helpers/scan-line-reference.ts does (test/format/line-scanner.test.ts runs both on generated
// lines and compares every output), and nothing else: headers, JSON-wrapped lines, CSV and messages
// stay in JavaScript. Built by `npm run build` into dist/format/line-scanner.wasm; loaded by
// src/format/line-scanner.ts. Where it sits in `analyze`: docs/architecture.md.
//
// Memory: the static areas below (the outputs of one line), then the input window, which the
// JavaScript side fills with chunks and grows when a line does not fit.

import { toInt32 } from './js-numbers';
import {
  FACT_BYTES,
  FACT_END,
  FACT_KEY,
  FACT_META,
  FACT_PACKETS,
  FACT_START,
  HOP_ROW,
  META_FLAGS_SHIFT,
  META_FOCUSED,
  META_IFACE_SHIFT,
  META_NO_FLAGS,
  META_REJECTED,
  META_SIDE,
  OTHER_ROW,
  PF_ACTION,
  PF_BYTES,
  PF_DSTADDR,
  PF_DSTPORT,
  PF_END,
  PF_INTERFACE_ID,
  PF_LOG_STATUS,
  PF_PACKETS,
  PF_PKT_DSTADDR,
  PF_PKT_SRCADDR,
  PF_PROTOCOL,
  PF_SRCADDR,
  PF_SRCPORT,
  PF_START,
  PF_TCP_FLAGS,
  PLAIN_FIELDS,
  PS_HOPS,
  PS_LINE_END,
  PS_LINES,
  PS_MAX_END,
  PS_MIN_START,
  PS_OTHER_PROTOCOLS,
  PS_OTHERS,
  PS_REASON,
  PS_TCP,
  PS_TEXT_KEYS,
  STATUS_BAD_ADDRESS,
  STATUS_BAD_NUMBER,
  STATUS_COUNT,
  STATUS_HASH,
  STATUS_ID,
  TCP_FACTS,
} from '../src/layout';

/** Tokens whose positions are kept (a line may have more: they are counted only). */
const MAX_TOKENS: i32 = 256;
const FIELD_NUMBER: u8 = 1;
const FIELD_ADDRESS: u8 = 2;
/** ipv4s[i] of an address field that is not a canonical dotted quad (IPv6, `-`, `010.0.0.1`). */
const NOT_IPV4: f64 = -1;
/** parseAddress() of a value that is not an address. */
const INVALID_ADDRESS: f64 = -2;

/** Token i spans input bytes [starts[i], ends[i]). */
const STARTS = memory.data(MAX_TOKENS * 4, 16);
const ENDS = memory.data(MAX_TOKENS * 4, 16);
/** The value of a number field (NaN for `-`). */
const NUMS = memory.data(MAX_TOKENS * 8, 16);
/** The IPv4 value of an address field, or NOT_IPV4. */
const IPV4S = memory.data(MAX_TOKENS * 8, 16);
/** How each field of the current format is read: 0 text, FIELD_NUMBER, FIELD_ADDRESS (set by JavaScript). */
const KINDS = memory.data(MAX_TOKENS, 16);
/**
 * For an address field that usually repeats an earlier one (pkt-srcaddr and srcaddr): 1 + that
 * field's position, else 0 (set by JavaScript with KINDS). When the bytes are the same, the
 * earlier field's value is taken instead of parsing them again.
 */
const PARTNERS = memory.data(MAX_TOKENS, 16);
/** The results of scanLine() besides its return value, as int32: see the STATUS_* offsets. */
const STATUS = memory.data(32, 16);
// STATUS_COUNT: tokens on the line; STATUS_BAD_NUMBER: the first number field that is not a number
// or `-`, or -1; STATUS_BAD_ADDRESS: the first address field that is not an address or `-`, or -1;
// STATUS_HASH: FNV-1a of the token at `hashAt` (0 when the line is shorter); STATUS_ID: the number
// of the token at `hashAt` among the distinct values seen (see idOf()), or -1. Int32 indexes, in
// src/layout.ts.

/*
 * Distinct values of the hashed field (interface ids: a few thousand in any capture), numbered
 * 0, 1, 2, … as first seen, so that the analyzer recognizes one it has seen by its number
 * instead of comparing its bytes in JavaScript (~60 ns a record). An open-addressing table of
 * (hash, number + 1), the values' bytes in an arena. Values longer than MAX_ID_LENGTH, or past
 * MAX_IDS or a full arena, get no number (-1): the analyzer then reads their text.
 */
const MAX_IDS: i32 = 1 << 14;
const ID_SLOTS: i32 = 1 << 15;
const MAX_ID_LENGTH: i32 = 128;
const ARENA_BYTES: i32 = 1 << 18;
const ID_TABLE = memory.data(ID_SLOTS * 8, 16);
const ID_OFFSETS = memory.data(MAX_IDS * 4, 16);
const ID_LENGTHS = memory.data(MAX_IDS * 4, 16);
/** FNV-1a of each numbered value (worked out once, when it is first seen) */
const ID_FNV = memory.data(MAX_IDS * 4, 16);
const ARENA = memory.data(ARENA_BYTES, 16);
let ids: i32 = 0;
let arenaUsed: i32 = 0;

/** Fields of the current format (at most MAX_TOKENS); the token whose bytes are hashed, or -1. */
let expected: i32 = 0;
let hashAt: i32 = -1;

export function startsAt(): usize { return STARTS; }
export function endsAt(): usize { return ENDS; }
export function numsAt(): usize { return NUMS; }
export function ipv4sAt(): usize { return IPV4S; }
export function kindsAt(): usize { return KINDS; }
export function partnersAt(): usize { return PARTNERS; }
export function statusAt(): usize { return STATUS; }
/** Where the input window starts (after the static data, 64-byte aligned). */
export function inputAt(): usize { return (__heap_base + 63) & ~63; }

/** Sets the current format: its field count (kinds already written at KINDS) and the field to hash. */
export function setFormat(fields: i32, hashField: i32): void {
  expected = fields < MAX_TOKENS ? fields : MAX_TOKENS;
  hashAt = hashField < MAX_TOKENS ? hashField : -1; // a token whose position is not kept is not hashed
}

/*
 * Tokens are found 64 bytes at a time: SIMD compares give bit masks of the blanks and newlines of
 * a block (bit k: byte base + k), and from them masks of where tokens start (a non-blank after a
 * blank) and end (a blank after a non-blank); the tokens are then read off those masks with
 * count-trailing-zeros, in one loop whose state stays in locals. A byte loop pays a mispredicted
 * branch at the end of every token (17 a record); this pays about one a block. Bits at and past
 * `limit` count as a stop, like a newline. Reading up to 64 bytes past `limit` is safe: the
 * JavaScript side keeps that much memory beyond any data it passes (SLACK in
 * src/format/line-scanner.ts).
 */

/**
 * Splits the line starting at `start` on runs of spaces and tabs, up to `limit` or the first
 * `newline` byte (10 while scanning a chunk; -1 for a line given whole), and parses the number
 * and address fields of the current format as it goes. Returns the newline's index, `limit` for a
 * whole line, or -1 when `limit` came first (the line continues in the next chunk). A `\r` before
 * the newline is not part of the line. The exact contract of the JavaScript scanLine() it replaced
 * (test/helpers/scan-line-reference.ts).
 */
export function scanLine(start: i32, limit: i32, newline: i32): i32 {
  let badNumber: i32 = -1;
  let badAddress: i32 = -1;
  let hashStart: i32 = 0;
  let hashEnd: i32 = -1; // no token hashed
  let count: i32 = 0;
  let tokenStart: i32 = -1; // of the last token
  let pending: i32 = -1; // start of a token that goes on into the next block
  let before: u64 = 1; // bit 0: the byte before this block is a separator (the line's start counts as one)
  const space = i8x16.splat(32);
  const tab = i8x16.splat(9);
  const nl = i8x16.splat(<i8>newline);
  let base = start;
  let i: i32 = 0; // where the line ends
  while (true) {
    let blanks: u64 = 0;
    let newlines: u64 = 0;
    for (let k = 0; k < 64; k += 16) {
      const v = v128.load(base + k);
      blanks |= <u64>i8x16.bitmask(v128.or(i8x16.eq(v, space), i8x16.eq(v, tab))) << k;
      newlines |= <u64>i8x16.bitmask(i8x16.eq(v, nl)) << k;
    }
    if (newline < 0) newlines = 0; // a line given whole: a newline byte in it is an ordinary byte
    const valid = limit - base;
    let stops = newlines;
    if (valid < 64) {
      const past: u64 = valid <= 0 ? ~(<u64>0) : ~(<u64>0) << <u64>valid;
      blanks &= ~past;
      stops |= past;
    }
    const separators = blanks | stops;
    const stop = stops & (0 - stops); // the first stop of the block, or 0
    const line = stop == 0 ? ~(<u64>0) : stop - 1; // the bits of this line before it
    let starts = ~separators & ((separators << 1) | before) & line;
    let ends = separators & ((~separators << 1) | (before ^ 1)) & (line | stop);
    before = separators >> 63;
    while (ends != 0) {
      // a token ends here: it started at `pending` (an earlier block) or at the next start
      let from: i32;
      if (pending >= 0) {
        from = pending;
        pending = -1;
      } else {
        from = base + <i32>ctz(starts);
        starts &= starts - 1;
      }
      const to = base + <i32>ctz(ends);
      ends &= ends - 1;
      const kind: u8 = count < expected ? load<u8>(KINDS + count) : 0;
      if (kind == FIELD_NUMBER) {
        const value = readNumber(from, to);
        if (value >= 0 || isNaN(value)) store<f64>(NUMS + (count << 3), value);
        else if (badNumber < 0) badNumber = count;
      } else if (kind == FIELD_ADDRESS) {
        // the same bytes as its partner, a valid address read earlier on this line (no invalid one
        // so far): the same value
        const partner = <i32>load<u8>(PARTNERS + count) - 1;
        if (partner >= 0 && badAddress < 0 && sameToken(partner, from, to)) {
          store<f64>(IPV4S + (count << 3), load<f64>(IPV4S + (partner << 3)));
        } else {
          const value = readAddress(from, to);
          if (value != INVALID_ADDRESS) store<f64>(IPV4S + (count << 3), value);
          else if (badAddress < 0) badAddress = count;
        }
      } else if (count == hashAt) {
        hashStart = from;
        hashEnd = to;
      }
      if (count < MAX_TOKENS) {
        store<i32>(STARTS + (count << 2), from);
        store<i32>(ENDS + (count << 2), to);
      }
      tokenStart = from;
      count++;
    }
    if (starts != 0) pending = base + <i32>ctz(starts); // (at most one start is left: its token goes on)
    if (stop != 0) {
      i = base + <i32>ctz(stop);
      if (i >= limit) {
        if (newline >= 0) return -1; // the line continues in the next chunk: read it again then
        i = limit;
      }
      break;
    }
    base += 64;
  }
  // `i` is the end of the line. A `\r` just before the newline is the last byte of the last
  // token: cut it, and read that token again without it (only CRLF input pays for this).
  if (newline >= 0 && count > 0 && load<u8>(i - 1) == 13) {
    const last = count - 1;
    if (tokenStart == i - 1) {
      count--; // the token was the `\r` alone
      if (last == hashAt) hashEnd = -1;
    } else if (last < MAX_TOKENS) {
      store<i32>(ENDS + (last << 2), i - 1);
      const kind: u8 = last < expected ? load<u8>(KINDS + last) : 0;
      if (kind == FIELD_NUMBER) {
        const value = parseNumber(tokenStart, i - 1);
        if (value != -1) {
          store<f64>(NUMS + (last << 3), value);
          if (badNumber == last) badNumber = -1;
        }
      } else if (kind == FIELD_ADDRESS) {
        const value = parseAddress(tokenStart, i - 1);
        if (value != INVALID_ADDRESS) {
          store<f64>(IPV4S + (last << 3), value);
          if (badAddress == last) badAddress = -1;
        }
      } else if (last == hashAt) {
        hashEnd = i - 1;
      }
    }
  }
  finish(count, badNumber, badAddress, hashStart, hashEnd);
  return i;
}

/** Whether token `field` of this line (kept: field < MAX_TOKENS) has the bytes [from, to), up to 16 of them. */
// @ts-ignore: decorator
@inline
function sameToken(field: i32, from: i32, to: i32): bool {
  const start = load<i32>(STARTS + (field << 2));
  const length = to - from;
  if (load<i32>(ENDS + (field << 2)) - start != length || length > 16) return false;
  const differ = ~i8x16.bitmask(i8x16.eq(v128.load(start), v128.load(from))) & lowBits(length);
  return differ == 0;
}

/** Bits 0..n-1 set (n <= 16). */
// @ts-ignore: decorator
@inline
function lowBits(n: i32): i32 {
  return (1 << n) - 1;
}

/** A whole token [start, end) of a number field: its value, NaN for `-`, -1 when it is not a number. As parseNumber(). */
// @ts-ignore: decorator
@inline
function readNumber(start: i32, end: i32): f64 {
  const length = end - start;
  if (length > 15) return parseNumber(start, end);
  const v = v128.load(start);
  const digits = i8x16.sub(v, i8x16.splat(48));
  const isDigit = i8x16.bitmask(i8x16.le_u(digits, i8x16.splat(9)));
  const want = lowBits(length);
  if ((isDigit & want) != want) return length == 1 && load<u8>(start) == 45 ? NaN : -1;
  // SWAR: the digits as 8-byte groups, first digit in the lowest byte; shifted up so that the
  // missing leading digits are zeros.
  if (length <= 8) return <f64>swar8(i64x2.extract_lane(digits, 0) << (<u64>(8 - length) << 3));
  const high = swar8(i64x2.extract_lane(digits, 0) << (<u64>(16 - length) << 3));
  const low = swar8(load<u64>(start + length - 8) - 0x3030303030303030);
  return <f64>(high * 100000000 + low);
}

/** The value of 8 decimal digits (bytes 0–9, the first in the lowest byte). */
// @ts-ignore: decorator
@inline
function swar8(v: u64): u64 {
  v = (v * 10 + (v >> 8)) & 0x00ff00ff00ff00ff;
  v = (v * 100 + (v >> 16)) & 0x0000ffff0000ffff;
  return (v * 10000 + (v >> 32)) & 0xffffffff;
}

/**
 * A whole token [start, end) of an address field: the IPv4 value of a canonical dotted quad,
 * NOT_IPV4 for any other valid address or `-`, INVALID_ADDRESS otherwise. As parseAddress().
 */
// @ts-ignore: decorator
@inline
function readAddress(start: i32, end: i32): f64 {
  const length = end - start;
  if (length > 16) return parseAddress(start, end);
  const v = v128.load(start);
  const want = lowBits(length);
  const digit = i8x16.bitmask(i8x16.le_u(i8x16.sub(v, i8x16.splat(48)), i8x16.splat(9))) & want;
  const dot = i8x16.bitmask(i8x16.eq(v, i8x16.splat(46))) & want;
  const colon = i8x16.bitmask(i8x16.eq(v, i8x16.splat(58))) & want;
  const letter = i8x16.bitmask(i8x16.le_u(i8x16.sub(v128.or(v, i8x16.splat(32)), i8x16.splat(97)), i8x16.splat(5))) & want;
  if ((digit | dot | colon | letter) != want) return length == 1 && load<u8>(start) == 45 ? NOT_IPV4 : INVALID_ADDRESS;
  if (popcnt(colon) >= 2) return NOT_IPV4;
  if (colon != 0 || letter != 0 || popcnt(dot) != 3) return INVALID_ADDRESS;
  // four runs of digits between the dots: canonical when each is 1–3 digits, without a leading zero, at most 255
  const d1 = ctz(dot);
  const rest = dot & (dot - 1);
  const d2 = ctz(rest);
  const d3 = ctz(rest & (rest - 1));
  const o0 = octet(start, d1);
  const o1 = octet(start + d1 + 1, d2 - d1 - 1);
  const o2 = octet(start + d2 + 1, d3 - d2 - 1);
  const o3 = octet(start + d3 + 1, length - d3 - 1);
  if ((o0 | o1 | o2 | o3) > 255) return NOT_IPV4;
  return <f64>((<u32>o0 << 24) | (<u32>o1 << 16) | (<u32>o2 << 8) | <u32>o3);
}

/** A run of `length` digits at `at`: its value when it is 1–3 digits without a leading zero, else 256. */
// @ts-ignore: decorator
@inline
function octet(at: i32, length: i32): i32 {
  if (<u32>(length - 1) > 2) return 256;
  // the digits in the high bytes of a 32-bit word, the first one highest
  const v = (load<u32>(at) - 0x30303030) << (<u32>(4 - length) << 3);
  const first = (v >> (<u32>(4 - length) << 3)) & 0xff;
  if (length > 1 && first == 0) return 256; // a leading zero
  return <i32>(((v >> 8) & 0xff) * 100 + ((v >> 16) & 0xff) * 10 + (v >> 24));
}

// @ts-ignore: decorator
@inline
function finish(count: i32, badNumber: i32, badAddress: i32, hashStart: i32, hashEnd: i32): void {
  store<i32>(STATUS + (STATUS_COUNT << 2), count);
  store<i32>(STATUS + (STATUS_BAD_NUMBER << 2), badNumber);
  store<i32>(STATUS + (STATUS_BAD_ADDRESS << 2), badAddress);
  if (hashEnd < 0) {
    store<u32>(STATUS + (STATUS_HASH << 2), 0);
    store<i32>(STATUS + (STATUS_ID << 2), -1);
  } else {
    const id = idOf(hashStart, hashEnd);
    store<i32>(STATUS + (STATUS_ID << 2), id);
    store<u32>(STATUS + (STATUS_HASH << 2), id >= 0 ? load<u32>(ID_FNV + (id << 2)) : fnv1a(hashStart, hashEnd));
  }
}

/**
 * The number of the value [start, end) among the distinct values seen (a new one if unseen), or
 * -1. The table is keyed by a quick hash of 8 bytes at a time (FNV-1a, which the analyzer keeps,
 * takes a multiplication a byte: it is worked out once per value, in ID_FNV).
 */
function idOf(start: i32, end: i32): i32 {
  const length = end - start;
  if (length > MAX_ID_LENGTH) return -1;
  const hash = quickHash(start, length);
  let slot = <i32>hash & (ID_SLOTS - 1);
  while (true) {
    const at = ID_TABLE + (slot << 3);
    const entry = load<i32>(at, 4);
    if (entry == 0) break;
    if (load<u32>(at) == hash) {
      const id = entry - 1;
      if (load<i32>(ID_LENGTHS + (id << 2)) == length && sameBytes(ARENA + load<i32>(ID_OFFSETS + (id << 2)), start, length)) return id;
    }
    slot = (slot + 1) & (ID_SLOTS - 1);
  }
  if (ids >= MAX_IDS || arenaUsed + length > ARENA_BYTES) return -1;
  const id = ids++;
  memory.copy(ARENA + arenaUsed, start, length);
  store<i32>(ID_OFFSETS + (id << 2), arenaUsed);
  store<i32>(ID_LENGTHS + (id << 2), length);
  store<u32>(ID_FNV + (id << 2), fnv1a(start, end));
  arenaUsed += length;
  const at = ID_TABLE + (slot << 3);
  store<u32>(at, hash);
  store<i32>(at, id + 1, 4);
  return id;
}

/** A hash of `length` bytes at `at`, 8 at a time (reads up to 7 bytes past them: there is slack). */
// @ts-ignore: decorator
@inline
function quickHash(at: i32, length: i32): u32 {
  let h: u64 = <u64>length * 0x9e3779b97f4a7c15;
  let k = 0;
  for (; k + 8 <= length; k += 8) h = (h ^ load<u64>(at + k)) * 0xff51afd7ed558ccd;
  if (k < length) h = (h ^ (load<u64>(at + k) & ((<u64>1 << (<u64>(length - k) << 3)) - 1))) * 0xff51afd7ed558ccd;
  return <u32>(h ^ (h >> 32));
}

function sameBytes(a: usize, b: usize, length: i32): bool {
  let k = 0;
  for (; k + 8 <= length; k += 8) if (load<u64>(a + k) != load<u64>(b + k)) return false;
  for (; k < length; k++) if (load<u8>(a + k) != load<u8>(b + k)) return false;
  return true;
}

/** The value of a run of digits, accumulated in doubles exactly as JavaScript does (past 2^53 it rounds). */
function parseDigits(start: i32, end: i32): f64 {
  let value: f64 = 0;
  for (let i = start; i < end; i++) value = value * 10 + <f64>(load<u8>(i) - 48);
  return value;
}

/** Digits → value; `-` or empty → NaN; anything else → -1 (malformed). */
function parseNumber(start: i32, end: i32): f64 {
  if (end == start) return NaN;
  if (end - start == 1 && load<u8>(start) == 45) return NaN;
  for (let i = start; i < end; i++) {
    if (<u32>(load<u8>(i) - 48) > 9) return -1;
  }
  return parseDigits(start, end);
}

/** IPv4 value of a canonical dotted quad, NOT_IPV4 for any other valid address or `-`, INVALID_ADDRESS otherwise. */
function parseAddress(start: i32, end: i32): f64 {
  const length = end - start;
  if (length == 0 || (length == 1 && load<u8>(start) == 45)) return NOT_IPV4;
  let dots = 0;
  let colons = 0;
  let letters = false;
  for (let i = start; i < end; i++) {
    const c: i32 = load<u8>(i);
    if (c == 46) dots++;
    else if (c == 58) colons++;
    else if (<u32>(c - 48) <= 9) continue;
    else if (<u32>((c | 32) - 97) <= 5) letters = true;
    else return INVALID_ADDRESS;
  }
  if (colons >= 2) return NOT_IPV4;
  if (colons == 0 && dots == 3 && !letters) return canonicalIpv4(start, end);
  return INVALID_ADDRESS;
}

/** A dotted quad of digits → its value if written canonically (0–255, no leading zeros), else NOT_IPV4. */
function canonicalIpv4(start: i32, end: i32): f64 {
  let value: u32 = 0;
  let octet: u32 = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    if (i == end || load<u8>(i) == 46) {
      if (digits == 0 || octet > 255) return NOT_IPV4;
      value = (value << 8) + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (digits == 1 && octet == 0) return NOT_IPV4; // a leading zero
    octet = octet > 255 ? 256 : octet * 10 + <u32>(load<u8>(i) - 48);
    digits++;
  }
  return <f64>value;
}

/** FNV-1a of bytes [start, end): the twin of fnv1aBytes() in src/hash.ts (test/format/line-scanner.test.ts). */
function fnv1a(start: i32, end: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = start; i < end; i++) h = (h ^ <u32>load<u8>(i)) * 0x01000193;
  return h;
}

// ---------------------------------------------------------------------------------------------
// The analyzer's fast path: "plain" records, tallied here instead of one by one in JavaScript.
//
// After the JavaScript side has read one record of a format through its usual path, the analyzer
// (RecordTally.plainFields() in src/analyze/record-tally.ts) may give the positions of the fields
// it reads; readRecords() then reads line after line and, for each line that is a plain record,
// does here what RecordTally.record() would do with it:
//  * a TCP record: its "TCP facts" row (FACT_* in record-tally.ts: packed connection key; side,
//    flags, action, focus and interface hash in one number; packets, bytes, times), for the
//    connection table;
//  * a UDP or ICMP record: a row of protocol, packets, bytes and action, which RecordTally adds up
//    in order (sums of doubles depend on their order);
//  * any other protocol: a count;
//  * and for a record of any protocol that shows a NAT hop (packet and interface addresses both
//    canonical IPv4 and different): a row of the interface-level addresses where they differ,
//    which RecordTally notes as hops in order.
// A plain record is one whose outcome needs nothing else from JavaScript: well-formed (the field
// count of the format, no bad number or address, not a header or JSON line), log-status neither
// NODATA nor SKIPDATA, an interface id RecordTally has already noted (NOTED), and packet and
// interface addresses that tell whether there is a NAT hop (both canonical IPv4, one absent or
// `-`, or the same text). A TCP key that does not pack (IPv6, `-`, other spellings) is written as
// text for JavaScript (textKey()). Any other line stops readRecords(),
// which hands it to JavaScript (REASON_SLOW): the line reader then reads it as before, after
// handing over the rows so far, so everything reaches the analyzer in input order.
// test/analyze/plain-records.test.ts compares summaries with and without this path.
// ---------------------------------------------------------------------------------------------

/** Rows of each kind before readRecords() stops to have them handed over (REASON_FULL). */
const MAX_ROWS: i32 = 4096;
// TCP_FACTS and FACT_* (a TCP record's row), OTHER_ROW (protocol, packets, bytes, rejected) and
// HOP_ROW: src/layout.ts, shared with TypeScript.
const FACTS = memory.data(MAX_ROWS * TCP_FACTS * 8, 16);
const OTHERS = memory.data(MAX_ROWS * OTHER_ROW * 8, 16);
/** NAT hops: per record that shows one, the interface-level source and destination address where each differs, else -1 */
const HOPS = memory.data(MAX_ROWS * HOP_ROW * 8, 16);
/** The text keys of TCP rows (textKey()): their bytes, and which rows have one */
const KEY_TEXT_BYTES: i32 = 1 << 19;
const KEY_TEXT = memory.data(KEY_TEXT_BYTES, 16);
const TEXT_ROWS = memory.data(MAX_ROWS * 4, 16);
/** the text of an absent field */
const DASH: i32 = <i32>memory.data<u8>([45]);
/** 1 for each interface id number RecordTally has noted (written by JavaScript) */
const NOTED = memory.data(MAX_IDS, 16);
/** The rank of each octet's decimal text among "0"…"255" as strings sort (written by JavaScript; see ipv4TextOrder()) */
const RANK = memory.data(256, 16);
/**
 * Results of readRecords() (PS_* in src/layout.ts), as int32: PS_REASON; PS_LINE_END (REASON_SLOW:
 * where the line handed to JavaScript ends, its newline); PS_LINES (lines read here, records and
 * blank lines, by the last call); PS_TCP, PS_OTHERS, PS_HOPS (rows in FACTS, OTHERS, HOPS);
 * PS_OTHER_PROTOCOLS (records of other protocols); PS_TEXT_KEYS (rows with a text key,
 * TEXT_ROWS); and as f64, the batch's earliest start (PS_MIN_START) and latest end (PS_MAX_END).
 */
const PLAIN_STATUS = memory.data(64, 16);
const REASON_MORE: i32 = 0; // the input ends (an unfinished line waits for more)
const REASON_SLOW: i32 = 1;
const REASON_FULL: i32 = 2;

let plain = false;
let tcpRows: i32 = 0;
let otherRows: i32 = 0;
let otherProtocols: i32 = 0;
let hopRows: i32 = 0;
let textRows: i32 = 0;
let keyTextUsed: i32 = 0;
let minStart: f64 = Infinity;
let maxEnd: f64 = -Infinity;

export function factsAt(): usize { return FACTS; }
export function othersAt(): usize { return OTHERS; }
export function hopsAt(): usize { return HOPS; }
export function keyTextAt(): usize { return KEY_TEXT; }
export function textRowsAt(): usize { return TEXT_ROWS; }
export function notedAt(): usize { return NOTED; }
export function rankAt(): usize { return RANK; }
export function plainStatusAt(): usize { return PLAIN_STATUS; }
export function maxRows(): i32 { return MAX_ROWS; }

/** Turns the fast path off (for the current format). */
export function plainOff(): void {
  plain = false;
}

/** The positions of the fields the fast path reads (-1: absent), PLAIN_FIELDS int32s at PF_* (written by JavaScript). */
const PLAIN_FIELD_AT = memory.data(PLAIN_FIELDS * 4, 16);
export function plainFieldsAt(): usize { return PLAIN_FIELD_AT; }

/** The position of the fast path's field PF_* `slot` in the current format (-1: absent). */
// @ts-ignore: decorator
@inline
function fieldAt(slot: i32): i32 {
  return load<i32>(PLAIN_FIELD_AT + (slot << 2));
}

/** Turns the fast path on for the current format, with the positions at plainFieldsAt(). */
export function plainOn(): void {
  // fields past MAX_TOKENS have no position kept: such formats stay on the JavaScript path
  let last = -1;
  for (let slot = 0; slot < PLAIN_FIELDS; slot++) last = max(last, fieldAt(slot));
  plain = fieldAt(PF_LOG_STATUS) >= 0 && fieldAt(PF_PROTOCOL) >= 0 && last < MAX_TOKENS;
}

/** Empties the rows (JavaScript has taken them). */
export function clearRows(): void {
  tcpRows = 0;
  otherRows = 0;
  otherProtocols = 0;
  hopRows = 0;
  textRows = 0;
  keyTextUsed = 0;
  minStart = Infinity;
  maxEnd = -Infinity;
  store<i32>(PLAIN_STATUS + (PS_HOPS << 2), 0);
  store<i32>(PLAIN_STATUS + (PS_TEXT_KEYS << 2), 0);
  store<i32>(PLAIN_STATUS + (PS_TCP << 2), 0);
  store<i32>(PLAIN_STATUS + (PS_OTHERS << 2), 0);
  store<i32>(PLAIN_STATUS + (PS_OTHER_PROTOCOLS << 2), 0);
  store<f64>(PLAIN_STATUS + (PS_MIN_START << 3), minStart);
  store<f64>(PLAIN_STATUS + (PS_MAX_END << 3), maxEnd);
}

/**
 * Reads the lines from `start` up to `limit` (newline-terminated, as scanLine() with newline 10),
 * tallying plain records and skipping blank lines, until a line needs JavaScript (REASON_SLOW:
 * its scan results are in place, it ends at PS_LINE_END, and the return value is its start), the
 * rows are full (REASON_FULL) or the input ends (REASON_MORE: the return value is where the
 * unfinished line starts, or `limit`).
 */
export function readRecords(start: i32, limit: i32): i32 {
  let pos = start;
  let lines = 0;
  let reason = REASON_MORE;
  while (pos < limit) {
    if (tcpRows == MAX_ROWS || otherRows == MAX_ROWS || hopRows == MAX_ROWS) {
      reason = REASON_FULL;
      break;
    }
    const nl = scanLine(pos, limit, 10);
    if (nl < 0) break;
    if (load<i32>(STATUS + (STATUS_COUNT << 2)) != 0 && !plainRecord()) {
      reason = REASON_SLOW;
      store<i32>(PLAIN_STATUS + (PS_LINE_END << 2), nl);
      break;
    }
    lines++;
    pos = nl + 1;
  }
  store<i32>(PLAIN_STATUS + (PS_REASON << 2), reason);
  store<i32>(PLAIN_STATUS + (PS_LINES << 2), lines);
  store<i32>(PLAIN_STATUS + (PS_TCP << 2), tcpRows);
  store<i32>(PLAIN_STATUS + (PS_OTHERS << 2), otherRows);
  store<i32>(PLAIN_STATUS + (PS_OTHER_PROTOCOLS << 2), otherProtocols);
  store<i32>(PLAIN_STATUS + (PS_HOPS << 2), hopRows);
  store<i32>(PLAIN_STATUS + (PS_TEXT_KEYS << 2), textRows);
  store<f64>(PLAIN_STATUS + (PS_MIN_START << 3), minStart);
  store<f64>(PLAIN_STATUS + (PS_MAX_END << 3), maxEnd);
  return pos;
}

// @ts-ignore: decorator
@inline
function tokenStartOf(field: i32): i32 {
  return load<i32>(STARTS + (field << 2));
}

// @ts-ignore: decorator
@inline
function tokenLength(field: i32): i32 {
  return load<i32>(ENDS + (field << 2)) - load<i32>(STARTS + (field << 2));
}

/** The first byte of the field, or -1 when absent (as RecordView.code()). */
// @ts-ignore: decorator
@inline
function codeOf(field: i32): i32 {
  return field < 0 ? -1 : <i32>load<u8>(tokenStartOf(field));
}

/** The field is `-` (tokens are never empty). */
// @ts-ignore: decorator
@inline
function isDash(field: i32): bool {
  return tokenLength(field) == 1 && load<u8>(tokenStartOf(field)) == 45;
}

// @ts-ignore: decorator
@inline
function numberOf(field: i32): f64 {
  return field < 0 ? NaN : load<f64>(NUMS + (field << 3));
}

// @ts-ignore: decorator
@inline
function ipv4Of(field: i32): f64 {
  return field < 0 ? NOT_IPV4 : load<f64>(IPV4S + (field << 3));
}

/** hopVia() when JavaScript must compare the two fields' texts (IPv6, other spellings). */
const HOP_UNKNOWN: f64 = -2;

/**
 * A NAT hop between the packet-level and the interface-level field (record-tally.ts
 * differentAddresses()): the interface-level address (its IPv4 value) when both are canonical
 * IPv4 and differ, -1 when there is none, HOP_UNKNOWN when this path cannot tell.
 */
// @ts-ignore: decorator
@inline
function hopVia(packet: i32, iface: i32): f64 {
  if (packet < 0 || iface < 0) return -1;
  const a = ipv4Of(packet);
  const b = ipv4Of(iface);
  if (a >= 0 && b >= 0) return a == b ? -1 : b;
  if (isDash(packet) || isDash(iface)) return -1;
  // other spellings (IPv6): the same text is no hop; a different one is left to JavaScript
  return a < 0 && b < 0 && tokenLength(packet) == tokenLength(iface) && sameBytes(tokenStartOf(packet), tokenStartOf(iface), tokenLength(packet)) ? -1 : HOP_UNKNOWN;
}

/** The order of two byte strings (for ASCII text, the order of JavaScript's string comparison): <0, 0, >0. */
function compareText(a: i32, aLength: i32, b: i32, bLength: i32): i32 {
  const length = aLength < bLength ? aLength : bLength;
  for (let k = 0; k < length; k++) {
    const x = <i32>load<u8>(a + k);
    const y = <i32>load<u8>(b + k);
    if (x != y) return x - y;
  }
  return aLength - bLength;
}

/** A port field's value when written canonically, else -1: the twin of canonicalPortOf() in src/format/values.ts. */
// @ts-ignore: decorator
@inline
function canonicalPort(field: i32): i32 {
  if (field < 0) return -1;
  const value = numberOf(field);
  if (!(value <= 65535)) return -1;
  if (tokenLength(field) > 1 && load<u8>(tokenStartOf(field)) == 48) return -1; // a leading zero
  return <i32>value;
}

/** The field a connection key takes an address from: the packet-level one unless absent or `-` (record-tally.ts tcpRecord()). */
// @ts-ignore: decorator
@inline
function keyField(packet: i32, iface: i32): i32 {
  return packet >= 0 && !isDash(packet) ? packet : iface;
}

/** The address (IPv4 value, or NOT_IPV4) a connection key uses. */
// @ts-ignore: decorator
@inline
function keyAddress(packet: i32, iface: i32): f64 {
  return ipv4Of(keyField(packet, iface));
}

/** A number that orders canonical IPv4 addresses as their texts sort (ipv4TextOrder() in src/format/line-reader.ts). */
// @ts-ignore: decorator
@inline
function textOrder(ip: u32): u32 {
  return (<u32>load<u8>(RANK + (ip >> 24)) << 24) | (<u32>load<u8>(RANK + ((ip >> 16) & 255)) << 16) | (<u32>load<u8>(RANK + ((ip >> 8) & 255)) << 8) | <u32>load<u8>(RANK + (ip & 255));
}

/**
 * The connection key of the TCP record just scanned as connectionKey() in record-tally.ts writes
 * it ("ip0 port0 ip1 port1", side 0 first; `-` for an absent field), into KEY_TEXT, with NaN,
 * its offset and its length in the row's key numbers and the row in TEXT_ROWS (JavaScript makes
 * the string). Returns the side that sent the record, or -1 when the text does not fit (the
 * record is then left to JavaScript).
 */
function textKey(row: usize): i32 {
  const src = keyField(fieldAt(PF_PKT_SRCADDR), fieldAt(PF_SRCADDR));
  const dst = keyField(fieldAt(PF_PKT_DSTADDR), fieldAt(PF_DSTADDR));
  const srcAt = src < 0 ? DASH : tokenStartOf(src);
  const srcLength = src < 0 ? 1 : tokenLength(src);
  const dstAt = dst < 0 ? DASH : tokenStartOf(dst);
  const dstLength = dst < 0 ? 1 : tokenLength(dst);
  const srcPort = fieldAt(PF_SRCPORT);
  const dstPort = fieldAt(PF_DSTPORT);
  const srcPortAt = srcPort < 0 ? DASH : tokenStartOf(srcPort);
  const srcPortLength = srcPort < 0 ? 1 : tokenLength(srcPort);
  const dstPortAt = dstPort < 0 ? DASH : tokenStartOf(dstPort);
  const dstPortLength = dstPort < 0 ? 1 : tokenLength(dstPort);
  let side: i32;
  const order = compareText(srcAt, srcLength, dstAt, dstLength);
  if (order != 0) {
    side = order < 0 ? 0 : 1;
  } else {
    // comparePorts(): a port that is `-` or absent counts as -1
    const a = numberOf(srcPort);
    const b = numberOf(dstPort);
    side = (isNaN(a) ? -1 : a) - (isNaN(b) ? -1 : b) <= 0 ? 0 : 1;
  }
  const length = srcLength + srcPortLength + dstLength + dstPortLength + 3;
  if (keyTextUsed + length > KEY_TEXT_BYTES || textRows == MAX_ROWS) return -1;
  let at: i32 = <i32>KEY_TEXT + keyTextUsed;
  at = appendText(at, side == 0 ? srcAt : dstAt, side == 0 ? srcLength : dstLength, true);
  at = appendText(at, side == 0 ? srcPortAt : dstPortAt, side == 0 ? srcPortLength : dstPortLength, true);
  at = appendText(at, side == 0 ? dstAt : srcAt, side == 0 ? dstLength : srcLength, true);
  appendText(at, side == 0 ? dstPortAt : srcPortAt, side == 0 ? dstPortLength : srcPortLength, false);
  store<f64>(row + (FACT_KEY << 3), NaN);
  store<f64>(row + ((FACT_KEY + 1) << 3), <f64>keyTextUsed);
  store<f64>(row + ((FACT_KEY + 2) << 3), <f64>length);
  store<i32>(TEXT_ROWS + (textRows << 2), tcpRows);
  textRows++;
  keyTextUsed += length;
  return side;
}

/** Copies `length` bytes from `from` to `at`, and a space after them if `space`; returns where the next text goes. */
// @ts-ignore: decorator
@inline
function appendText(at: i32, from: i32, length: i32, space: bool): i32 {
  memory.copy(at, from, length);
  if (space) store<u8>(at + length, 32);
  return at + length + (space ? 1 : 0);
}

/** The line just scanned: tallied here when it is a plain record (true), else left for JavaScript (false). */
function plainRecord(): bool {
  if (!plain) return false;
  if (load<i32>(STATUS + (STATUS_COUNT << 2)) != expected) return false; // incl. a trailing # comment
  if (load<i32>(STATUS + (STATUS_BAD_NUMBER << 2)) >= 0 || load<i32>(STATUS + (STATUS_BAD_ADDRESS << 2)) >= 0) return false;
  const first = <i32>load<u8>(tokenStartOf(0));
  if (<u32>(first - 97) <= 25 || first == 123) return false; // a header, or a JSON line (a-z, {)
  const status = codeOf(fieldAt(PF_LOG_STATUS));
  // the twin of logStatusOfCode() in src/format/log-status.ts: N is NODATA, S is SKIPDATA, any other first byte OK
  if (status == 78 || status == 83) return false; // NODATA and SKIPDATA records are tallied in JavaScript
  if (fieldAt(PF_INTERFACE_ID) >= 0) {
    const id = load<i32>(STATUS + (STATUS_ID << 2));
    if (id < 0 || load<u8>(NOTED + id) == 0) return false;
  }
  const viaSrc = hopVia(fieldAt(PF_PKT_SRCADDR), fieldAt(PF_SRCADDR));
  const viaDst = hopVia(fieldAt(PF_PKT_DSTADDR), fieldAt(PF_DSTADDR));
  if (viaSrc == HOP_UNKNOWN || viaDst == HOP_UNKNOWN) return false;
  const protocol = numberOf(fieldAt(PF_PROTOCOL));
  const packets = numberOf(fieldAt(PF_PACKETS));
  const bytes = numberOf(fieldAt(PF_BYTES));
  const start = numberOf(fieldAt(PF_START));
  const end = numberOf(fieldAt(PF_END));
  const rejected: f64 = codeOf(fieldAt(PF_ACTION)) == 82 ? 1 : 0; // R
  if (protocol == 6) {
    const srcIp = keyAddress(fieldAt(PF_PKT_SRCADDR), fieldAt(PF_SRCADDR));
    const dstIp = keyAddress(fieldAt(PF_PKT_DSTADDR), fieldAt(PF_DSTADDR));
    const srcPort = canonicalPort(fieldAt(PF_SRCPORT));
    const dstPort = canonicalPort(fieldAt(PF_DSTPORT));
    if (tcpRows == MAX_ROWS) return false;
    const row = FACTS + tcpRows * (TCP_FACTS * 8);
    let side: i32;
    if (srcIp < 0 || dstIp < 0 || srcPort < 0 || dstPort < 0) {
      // a text key (IPv6, `-`, other spellings)
      side = textKey(row);
      if (side < 0) return false;
    } else {
      const src = <u32>srcIp;
      const dst = <u32>dstIp;
      // side 0: the address whose text sorts first, then the lower port
      const srcOrder = textOrder(src);
      const dstOrder = textOrder(dst);
      side = srcOrder < dstOrder || (srcOrder == dstOrder && srcPort <= dstPort) ? 0 : 1;
      store<f64>(row + (FACT_KEY << 3), <f64><i32>(side == 0 ? src : dst));
      store<f64>(row + ((FACT_KEY + 1) << 3), <f64><i32>(side == 0 ? dst : src));
      store<f64>(row + ((FACT_KEY + 2) << 3), <f64>(side == 0 ? (srcPort << 16) | dstPort : (dstPort << 16) | srcPort));
    }
    const flags = numberOf(fieldAt(PF_TCP_FLAGS));
    const flagBits: i64 = isNaN(flags) ? <i64>META_NO_FLAGS : <i64>(toInt32(flags) & (META_NO_FLAGS - 1));
    const iface: i64 = fieldAt(PF_INTERFACE_ID) >= 0 ? <i64>load<u32>(STATUS + (STATUS_HASH << 2)) : 0;
    store<f64>(row + (FACT_META << 3), <f64>((iface << META_IFACE_SHIFT) | (flagBits << META_FLAGS_SHIFT) | <i64>side * META_SIDE | <i64>rejected * META_REJECTED | META_FOCUSED));
    store<f64>(row + (FACT_PACKETS << 3), packets);
    store<f64>(row + (FACT_BYTES << 3), bytes);
    store<f64>(row + (FACT_START << 3), start);
    store<f64>(row + (FACT_END << 3), end);
    tcpRows++;
  } else if (protocol == 17 || protocol == 1 || protocol == 58) {
    const row = OTHERS + otherRows * (OTHER_ROW * 8);
    store<f64>(row, protocol);
    store<f64>(row, packets, 8);
    store<f64>(row, bytes, 16);
    store<f64>(row, rejected, 24);
    otherRows++;
  } else {
    otherProtocols++;
  }
  if (viaSrc >= 0 || viaDst >= 0) {
    const row = HOPS + hopRows * (HOP_ROW * 8);
    store<f64>(row, viaSrc);
    store<f64>(row, viaDst, 8);
    hopRows++;
  }
  if (start < minStart) minStart = start;
  if (end > maxEnd) maxEnd = end;
  return true;
}

// The shared layout as this module was built with it: every constant of src/layout.ts, exported
// as a WebAssembly global (test/layout.test.ts compares each with the value TypeScript sees).
export * from '../src/layout';
