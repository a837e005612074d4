import { ipv4Value } from '../format/values.js';

/**
 * Addresses for filters. An expression's addresses are checked with node:net (`isIP`) when it is
 * parsed; IPv4 values come from ipv4Value() in src/format/values.ts, the one parser of IPv4 text,
 * so an expression and a record read `10.0.0.1` alike and neither reads `010.0.0.1` as IPv4.
 * IPv6 is parsed here into four words, once per expression and per record that needs it.
 */

/** A dotted quad of octets 0–255 where one is written with a leading zero (`010.0.0.1`, `10.0.0.01`). */
export function isLeadingZeroQuad(text: string): boolean {
  const octets = text.split('.');
  return octets.length === 4 && octets.every((octet) => /^[0-9]{1,3}$/.test(octet) && Number(octet) <= 255) && octets.some((octet) => octet.length > 1 && octet[0] === '0');
}

/**
 * IPv6 text (with `::` and an optional trailing dotted quad) → four 32-bit words in
 * `out`; false when the text is not IPv6. Writes nothing on failure.
 */
export function parseIpv6(text: string, out: Uint32Array | number[], start = 0, end = text.length): boolean {
  const groups: number[] = [];
  let gap = -1;
  let i = start;
  if (end - start < 2) return false;
  if (text.charCodeAt(i) === 58 /* : */) {
    if (text.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
    if (i === end) {
      for (let k = 0; k < 4; k++) out[k] = 0;
      return true;
    }
  }
  while (i < end) {
    // a dotted quad may end the address
    let j = i;
    let hex = 0;
    let length = 0;
    let dotted = false;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === 58) break;
      if (c === 46) dotted = true;
      j++;
    }
    if (dotted) {
      if (j !== end || groups.length > 6) return false;
      const v4 = ipv4Value(text.slice(i, j));
      if (v4 < 0) return false;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      i = j;
      break;
    }
    for (let k = i; k < j; k++) {
      const c = text.charCodeAt(k);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else return false;
      hex = hex * 16 + d;
      length++;
    }
    if (length === 0 || length > 4) return false;
    groups.push(hex);
    if (groups.length > 8) return false;
    i = j;
    if (i === end) break;
    // at a colon
    i++;
    if (i < end && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second ::
      gap = groups.length;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  let full: number[];
  if (gap >= 0) {
    if (groups.length > 7) return false;
    full = [...groups.slice(0, gap), ...new Array<number>(8 - groups.length).fill(0), ...groups.slice(gap)];
  } else {
    if (groups.length !== 8) return false;
    full = groups;
  }
  for (let k = 0; k < 4; k++) out[k] = (full[2 * k] * 65536 + full[2 * k + 1]) >>> 0;
  return true;
}

/** Whether `value` (IPv4 as one word, IPv6 as four) lies in the block of the given prefix. */
export function inPrefix(value: ArrayLike<number>, words: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let k = 0; k < words.length && bits > 0; k++) {
    const take = Math.min(32, bits);
    const mask = take === 32 ? 0xffffffff : (~0 << (32 - take)) >>> 0;
    if (((value[k] & mask) >>> 0) !== ((words[k] & mask) >>> 0)) return false;
    bits -= take;
  }
  return true;
}
