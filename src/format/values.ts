import { OCTET_TEXT_RANK } from './line-scanner.js';

// The values of a flow-log field as the reader reads them from bytes: numbers, and IPv4
// addresses as 32-bit values (the canonical dotted quad only; anything else is read as text).

const NaNValue = Number.NaN;

/** `RecordView.ipv4()` of an address field that is not a canonical dotted quad (IPv6, `-`, `010.0.0.1`). */
export const NOT_IPV4 = -1;
export const INVALID_ADDRESS = -2;
/** Digits → value; `-` or empty → NaN; anything else → -1 (malformed). */
export function parseNumber(bytes: Uint8Array, start: number, end: number): number {
  if (end === start) return NaNValue;
  if (end - start === 1 && bytes[start] === 45) return NaNValue;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = bytes[i] - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * IPv4 dotted quad or IPv6 (hex, colons, optional embedded IPv4), or `-`: returns the IPv4 value
 * when the address is a canonical dotted quad (the analyzer keys connections by it), NOT_IPV4
 * for any other valid value, INVALID_ADDRESS when it is not an address.
 */
export function parseAddress(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || (length === 1 && bytes[start] === 45)) return NOT_IPV4;
  let dots = 0;
  let colons = 0;
  let letters = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === 46) dots++;
    else if (c === 58) colons++;
    else if (c >= 48 && c <= 57) continue;
    else if ((c >= 97 && c <= 102) || (c >= 65 && c <= 70)) letters = true;
    else return INVALID_ADDRESS;
  }
  if (colons >= 2) return NOT_IPV4;
  if (colons === 0 && dots === 3 && !letters) return canonicalIpv4(bytes, start, end);
  return INVALID_ADDRESS;
}

/** A dotted quad of digits → its value if written canonically (0–255, no leading zeros), else NOT_IPV4. */
function canonicalIpv4(bytes: Uint8Array, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    if (i === end || bytes[i] === 46) {
      if (digits === 0 || octet > 255) return NOT_IPV4;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      continue;
    }
    if (digits === 1 && octet === 0) return NOT_IPV4; // a leading zero
    octet = octet * 10 + (bytes[i] - 48);
    digits++;
  }
  return value;
}

/**
 * A number that orders canonical IPv4 addresses as their dotted-quad texts sort as strings:
 * texts compare octet by octet, an octet's digits as a string ("1" < "10" < "2"; the `.` after
 * a shorter octet sorts before any digit), so the rank of each octet's text stands for it.
 */
export function ipv4TextOrder(ip: number): number {
  return OCTET_TEXT_RANK[ip >>> 24] * 16_777_216 + OCTET_TEXT_RANK[(ip >>> 16) & 255] * 65_536 + OCTET_TEXT_RANK[(ip >>> 8) & 255] * 256 + OCTET_TEXT_RANK[ip & 255];
}

/** The canonical text of an IPv4 value (the inverse of canonicalIpv4). */
export function formatIpv4(value: number): string {
  return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}


/** The value of an IPv4 address given as text when written canonically, else NOT_IPV4. */
export function ipv4Value(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  const value = parseAddress(bytes, 0, bytes.length);
  return value >= 0 ? value : NOT_IPV4;
}

/**
 * A port's value when written canonically (0–65535 without a leading zero: what a connection
 * key's text shows), else -1. `value` is the field's number (NaN for `-`), `first` its first byte
 * and `length` its length in bytes. The scanner's twin is canonicalPort() in
 * assembly/line-scanner.ts (test/analyze/plain-records.test.ts).
 */
export function canonicalPortOf(value: number, first: number, length: number): number {
  if (!(value >= 0 && value <= 65535)) return -1;
  if (length > 1 && first === 48) return -1; // a leading zero
  return value;
}

/** canonicalPortOf() of a port given as text (a key's port: digits, or `-`). */
export function canonicalPort(text: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) return -1;
  return canonicalPortOf(Number(text), text.charCodeAt(0), text.length);
}
