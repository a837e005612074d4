import { describe, expect, it } from 'vitest';
import { fnv1a, fnv1aBytes, FNV_OFFSET, fnvDecimal, fnvIpv4 } from '../src/hash.js';

describe('FNV-1a (src/hash.ts)', () => {
  it('gives the published 32-bit test vectors, over text and over bytes alike', () => {
    // from the FNV reference test suite (fnv1a32 of "", "a", "foobar")
    for (const [text, hash] of [['', 0x811c9dc5], ['a', 0xe40c292c], ['foobar', 0xbf9cf968]] as const) {
      expect(fnv1a(FNV_OFFSET, text)).toBe(hash);
      const bytes = Buffer.from(`xx${text}yy`);
      expect(fnv1aBytes(bytes, 2, 2 + text.length)).toBe(hash);
    }
  });

  it('hashes a number or an IPv4 value as the hash of its text, without making it', () => {
    for (const value of [0, 7, 10, 65535, 1_000_000]) expect(fnvDecimal(FNV_OFFSET, value)).toBe(fnv1a(FNV_OFFSET, String(value)));
    for (const [text, value] of [['0.0.0.0', 0], ['10.0.1.200', 0x0a0001c8], ['255.255.255.255', 0xffffffff]] as const) {
      expect(fnvIpv4(FNV_OFFSET, value)).toBe(fnv1a(FNV_OFFSET, text));
    }
  });
});
