// The line reader's hot loop, compiled to WebAssembly (AssemblyScript: TypeScript syntax, wasm types).
//
// Why: tokenizing every byte of hundreds of MB is most of `flowdump analyze`'s work, and a byte loop
// in JavaScript costs ~2 ns a byte on our machines; the same loop in WebAssembly about half
// (docs/performance.md). This file does exactly what `scanLineJs()` in src/format/line-reader.ts does
// (the reference, kept beside it; test/format/line-scanner.test.ts runs both on generated lines and
// compares every output), and nothing else: headers, JSON-wrapped lines, CSV and messages stay in
// JavaScript. Built by `npm run build` into dist/format/line-scanner.wasm; loaded by
// src/format/wasm-scanner.ts.
//
// Memory: the static areas below (the outputs of one line), then the input window, which the
// JavaScript side fills with chunks and grows when a line does not fit.

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
/** The results of scanLine() besides its return value, as int32: see the STATUS_* offsets. */
const STATUS = memory.data(16, 16);
const STATUS_COUNT = 0; // tokens on the line
const STATUS_BAD_NUMBER = 4; // the first number field that is not a number or `-`, or -1
const STATUS_BAD_ADDRESS = 8; // the first address field that is not an address or `-`, or -1
const STATUS_HASH = 12; // FNV-1a of the token at `hashAt` (0 when the line is shorter)

/** Fields of the current format (at most MAX_TOKENS); the token whose bytes are hashed, or -1. */
let expected: i32 = 0;
let hashAt: i32 = -1;

export function startsAt(): usize { return STARTS; }
export function endsAt(): usize { return ENDS; }
export function numsAt(): usize { return NUMS; }
export function ipv4sAt(): usize { return IPV4S; }
export function kindsAt(): usize { return KINDS; }
export function statusAt(): usize { return STATUS; }
/** Where the input window starts (after the static data, 64-byte aligned). */
export function inputAt(): usize { return (__heap_base + 63) & ~63; }

/** Sets the current format: its field count (kinds already written at KINDS) and the field to hash. */
export function setFormat(fields: i32, hashField: i32): void {
  expected = fields < MAX_TOKENS ? fields : MAX_TOKENS;
  hashAt = hashField < MAX_TOKENS ? hashField : -1; // a token whose position is not kept is not hashed
}

/*
 * Blanks and newlines are found 64 bytes at a time with SIMD compares, as bit masks (bit k:
 * byte blockAt + k); tokens are then found with count-trailing-zeros, not byte by byte. A byte
 * loop pays a mispredicted branch at the end of every token (17 a record); this pays one about
 * every 64 bytes. Bits at and past `limit` count as newline and non-blank: the scan stops there.
 * Reading up to 64 bytes past `limit` is safe: the JavaScript side keeps that much memory beyond
 * any data it passes (SLACK in src/format/line-scanner.ts).
 */
let blockAt: i32 = 0;
let blankBits: u64 = 0; // spaces and tabs
let endBits: u64 = 0; // spaces, tabs, the newline byte, and past the limit

// @ts-ignore: decorator
@inline
function loadBlock(at: i32, limit: i32, newline: i32): void {
  const space = i8x16.splat(32);
  const tab = i8x16.splat(9);
  // without a newline byte (a line given whole) the newline compare finds the blanks again
  const nl = i8x16.splat(<i8>(newline < 0 ? 32 : newline));
  let blanks: u64 = 0;
  let ends: u64 = 0;
  for (let k = 0; k < 64; k += 16) {
    const v = v128.load(at + k);
    const b = v128.or(i8x16.eq(v, space), i8x16.eq(v, tab));
    blanks |= <u64>i8x16.bitmask(b) << k;
    ends |= <u64>i8x16.bitmask(v128.or(b, i8x16.eq(v, nl))) << k;
  }
  const valid = limit - at;
  if (valid < 64) {
    const past: u64 = valid <= 0 ? ~(<u64>0) : ~(<u64>0) << <u64>valid;
    blanks &= ~past;
    ends |= past;
  }
  blockAt = at;
  blankBits = blanks;
  endBits = ends;
}

/** The first byte at or after `p` that is not a blank (limit if none before it). */
// @ts-ignore: decorator
@inline
function skipBlanks(p: i32, limit: i32, newline: i32): i32 {
  while (true) {
    let offset = p - blockAt;
    if (<u32>offset >= 64) {
      loadBlock(p, limit, newline);
      offset = 0;
    }
    const rest = ~blankBits >> <u64>offset;
    if (rest != 0) return p + <i32>ctz(rest);
    p = blockAt + 64;
  }
}

/** The first blank or newline byte after `p` (limit if none before it). */
// @ts-ignore: decorator
@inline
function tokenEnd(p: i32, limit: i32, newline: i32): i32 {
  while (true) {
    let offset = p - blockAt;
    if (<u32>offset >= 64) {
      loadBlock(p, limit, newline);
      offset = 0;
    }
    const rest = endBits >> <u64>offset;
    if (rest != 0) return p + <i32>ctz(rest);
    p = blockAt + 64;
  }
}

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
  let hash: u32 = 0;
  let count: i32 = 0;
  let tokenStart: i32 = -1;
  let i: i32 = start;
  blockAt = start - 1000; // no block loaded (limits and newline differ from call to call)
  while (true) {
    tokenStart = skipBlanks(i, limit, newline);
    if (tokenStart >= limit) {
      finish(count, badNumber, badAddress, hash);
      return newline < 0 ? limit : -1;
    }
    if (<i32>load<u8>(tokenStart) == newline) {
      i = tokenStart;
      break;
    }
    i = tokenEnd(tokenStart + 1, limit, newline);
    const kind: u8 = count < expected ? load<u8>(KINDS + count) : 0;
    if (kind == FIELD_NUMBER) {
      const value = readNumber(tokenStart, i);
      if (value >= 0 || isNaN(value)) store<f64>(NUMS + (count << 3), value);
      else if (badNumber < 0) badNumber = count;
    } else if (kind == FIELD_ADDRESS) {
      const value = readAddress(tokenStart, i);
      if (value != INVALID_ADDRESS) store<f64>(IPV4S + (count << 3), value);
      else if (badAddress < 0) badAddress = count;
    } else if (count == hashAt) {
      hash = fnv1a(tokenStart, i);
    }
    if (count < MAX_TOKENS) {
      store<i32>(STARTS + (count << 2), tokenStart);
      store<i32>(ENDS + (count << 2), i);
    }
    count++;
    if (i >= limit) {
      if (newline >= 0) {
        finish(count, badNumber, badAddress, hash);
        return -1;
      }
      break;
    }
    if (<i32>load<u8>(i) == newline) break;
    i++; // a blank
  }
  // `i` is the end of the line. A `\r` just before the newline is the last byte of the last
  // token: cut it, and read that token again without it (only CRLF input pays for this).
  if (newline >= 0 && count > 0 && load<u8>(i - 1) == 13) {
    const last = count - 1;
    if (tokenStart == i - 1) {
      count--; // the token was the `\r` alone
      if (last == hashAt) hash = 0;
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
        hash = fnv1a(tokenStart, i - 1);
      }
    }
  }
  finish(count, badNumber, badAddress, hash);
  return i;
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
function finish(count: i32, badNumber: i32, badAddress: i32, hash: u32): void {
  store<i32>(STATUS + STATUS_COUNT, count);
  store<i32>(STATUS + STATUS_BAD_NUMBER, badNumber);
  store<i32>(STATUS + STATUS_BAD_ADDRESS, badAddress);
  store<u32>(STATUS + STATUS_HASH, hash);
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

function fnv1a(start: i32, end: i32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = start; i < end; i++) h = (h ^ <u32>load<u8>(i)) * 0x01000193;
  return h;
}
