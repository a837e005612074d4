/*
 * FNV-1a (32-bit), the one hash flowdump shows or keeps: connection ids (of the key text), the
 * interface id's hash in a fact row, Athena table names. Its twin is fnv1a() in
 * assembly/line-scanner.ts, which hashes the interface id as it scans a line
 * (test/format/line-scanner.test.ts compares the two).
 */

export const FNV_OFFSET = 0x811c9dc5;

/** One step: `hash` with one more byte (or UTF-16 code unit); an unsigned 32-bit number. */
export function fnvByte(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193) >>> 0;
}

/** FNV-1a over the UTF-16 code units of `text`, from `hash` (the same as over its bytes for ASCII). */
export function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = fnvByte(hash, text.charCodeAt(i));
  return hash;
}

/** FNV-1a over bytes [start, end), from the offset basis. */
export function fnv1aBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let k = start; k < end; k++) hash = fnvByte(hash, bytes[k]);
  return hash;
}

/** FNV-1a over the decimal digits of a non-negative integer, as String(value) writes them. */
export function fnvDecimal(hash: number, value: number): number {
  let divisor = 1;
  while (divisor * 10 <= value) divisor *= 10;
  for (; divisor >= 1; divisor /= 10) {
    const digit = Math.floor(value / divisor);
    hash = fnvByte(hash, 48 + digit);
    value -= digit * divisor;
  }
  return hash;
}

/** FNV-1a over the dotted-quad text of an IPv4 value, as formatIpv4() writes it. */
export function fnvIpv4(hash: number, value: number): number {
  hash = fnvDecimal(hash, (value >>> 24) & 255);
  hash = fnvDecimal(fnvByte(hash, 46), (value >>> 16) & 255);
  hash = fnvDecimal(fnvByte(hash, 46), (value >>> 8) & 255);
  return fnvDecimal(fnvByte(hash, 46), value & 255);
}
