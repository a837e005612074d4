import { FIELD_ADDRESS, FIELD_NUMBER } from '../../src/format/compiled.js';
import { NOT_IPV4, parseAddress, parseNumber, INVALID_ADDRESS } from '../../src/format/line-reader.js';

/*
 * The reference semantics of the line scanner: the JavaScript `scanLine()` the line reader used
 * before its hot loop moved to WebAssembly (assembly/line-scanner.ts), unchanged but for taking
 * its state as arguments. test/format/line-scanner.test.ts runs both on generated lines and
 * chunkings and requires the same results.
 */

const MAX_TOKENS = 256;
const NaNValue = Number.NaN;

/** What scanLine() writes (the RecordView's arrays and the reader's bad-field indexes). */
export interface ScanResult {
  count: number;
  badNumber: number;
  badAddress: number;
  starts: Int32Array;
  ends: Int32Array;
  nums: Float64Array;
  ipv4s: Float64Array;
}

/**
 * The hot loop. Splits a line on runs of spaces and tabs from `start`, up to `limit` or the
 * first `newline` byte (10 while scanning a chunk: finding the line's end in the same pass
 * saves a pass over every byte; -1 for a line given whole), and parses the number and address
 * fields of the current format as it goes (a second pass over them cost as much again).
 * Sets view.count (positions kept for the first MAX_TOKENS tokens), view.nums and
 * badNumber/badAddress (the first field, in field order, that parseNumber()/parseAddress()
 * would reject). Returns the newline's index, `limit` for a whole line, or -1 when `limit`
 * came first (the line continues in the next chunk). A `\r` before the newline is not part
 * of the line.
 */
export function scanLineReference(bytes: Uint8Array, start: number, limit: number, newline: number, kinds: Uint8Array, view: ScanResult): number {
  const starts = view.starts;
  const ends = view.ends;
  const nums = view.nums;
  const ipv4s = view.ipv4s;
  const expected = kinds.length < MAX_TOKENS ? kinds.length : MAX_TOKENS;
  let badNumber = -1;
  let badAddress = -1;
  let count = 0;
  let tokenStart = -1;
  let i = start;
  let c = 0;
  for (;;) {
    // blanks
    for (;;) {
      if (i >= limit) {
        view.count = count;
        view.badNumber = badNumber;
        view.badAddress = badAddress;
        return newline < 0 ? limit : -1;
      }
      c = bytes[i];
      if (c !== 32 && c !== 9) break;
      i++;
    }
    if (c === newline) break;
    tokenStart = i;
    const kind = count < expected ? kinds[count] : 0;
    if (kind === FIELD_NUMBER) {
      // digits → value, as parseNumber()
      let value = 0;
      let digitsOnly = true;
      for (;;) {
        const digit = c - 48;
        if (digit >= 0 && digit <= 9) value = value * 10 + digit;
        else digitsOnly = false;
        if (++i >= limit) break;
        c = bytes[i];
        if (c <= 32 && (c === 32 || c === 9 || c === newline)) break; // one test for most bytes
      }
      if (digitsOnly) nums[count] = value;
      else if (i - tokenStart === 1 && bytes[tokenStart] === 45) nums[count] = NaNValue;
      else if (badNumber < 0) badNumber = count;
    } else if (kind === FIELD_ADDRESS) {
      // the checks of parseAddress() and canonicalIpv4(), in one pass
      let dots = 0;
      let colons = 0;
      let letters = false;
      let other = false;
      let value = 0;
      let octet = 0;
      let digits = 0;
      let canonical = true;
      for (;;) {
        if (c >= 48 && c <= 57) {
          if (digits === 1 && octet === 0) canonical = false; // a leading zero
          octet = octet * 10 + (c - 48);
          digits++;
        } else if (c === 46) {
          dots++;
          if (digits === 0 || octet > 255) canonical = false;
          value = value * 256 + octet;
          octet = 0;
          digits = 0;
        } else if (c === 58) colons++;
        else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) letters = true;
        else other = true;
        if (++i >= limit) break;
        c = bytes[i];
        if (c <= 32 && (c === 32 || c === 9 || c === newline)) break; // one test for most bytes
      }
      if (other) {
        if (i - tokenStart === 1 && bytes[tokenStart] === 45) ipv4s[count] = NOT_IPV4;
        else if (badAddress < 0) badAddress = count;
      } else if (colons >= 2) ipv4s[count] = NOT_IPV4;
      else if (colons === 0 && dots === 3 && !letters) ipv4s[count] = canonical && digits > 0 && octet <= 255 ? value * 256 + octet : NOT_IPV4;
      else if (badAddress < 0) badAddress = count;
    } else {
      for (;;) {
        if (++i >= limit) break;
        c = bytes[i];
        if (c <= 32 && (c === 32 || c === 9 || c === newline)) break; // one test for most bytes
      }
    }
    if (count < MAX_TOKENS) {
      starts[count] = tokenStart;
      ends[count] = i;
    }
    count++;
    if (i >= limit) {
      if (newline >= 0) return -1;
      break;
    }
    if (c === newline) break;
  }
  // `i` is the end of the line. A `\r` just before the newline is the last byte of the last
  // token: cut it, and read that token again without it (only rare CRLF input pays for this).
  if (newline >= 0 && count > 0 && bytes[i - 1] === 13) {
    const last = count - 1;
    if (tokenStart === i - 1) count--; // the token was the `\r` alone
    else if (last < MAX_TOKENS) {
      ends[last] = i - 1;
      if (last < expected && kinds[last] === FIELD_NUMBER) {
        const value = parseNumber(bytes, tokenStart, i - 1);
        if (value !== -1) {
          nums[last] = value;
          if (badNumber === last) badNumber = -1;
        }
      } else if (last < expected && kinds[last] === FIELD_ADDRESS) {
        const value = parseAddress(bytes, tokenStart, i - 1);
        if (value !== INVALID_ADDRESS) {
          ipv4s[last] = value;
          if (badAddress === last) badAddress = -1;
        }
      }
    }
  }
  view.count = count;
  view.badNumber = badNumber;
  view.badAddress = badAddress;
  return i;
}
