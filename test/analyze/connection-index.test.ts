import { describe, expect, it } from 'vitest';
import { ConnectionIndex } from '../../src/analyze/connection-index.js';
import { connectionId } from '../../src/analyze/fold.js';
import { ipv4Value } from '../../src/format/line-reader.js';
import { findConnection, internPacked, internText, isPacked } from '../helpers/connection-index.js';

/** A connection key as connectionKey() writes it, from its four parts. */
const key = (a: string, p: number | string, b: string, q: number | string) => `${a} ${p} ${b} ${q}`;

describe('ConnectionIndex', () => {
  it('numbers connections in order of first appearance, packed and text keys alike', () => {
    const index = new ConnectionIndex();
    expect(internPacked(index, ipv4Value('10.0.0.1'), 40000, ipv4Value('10.0.0.2'), 443)).toBe(0);
    expect(internText(index, key('2001:db8::1', 40000, '2001:db8::2', 443))).toBe(1);
    expect(internPacked(index, ipv4Value('10.0.0.3'), 5, ipv4Value('10.0.0.4'), 6)).toBe(2);
    expect(internPacked(index, ipv4Value('10.0.0.1'), 40000, ipv4Value('10.0.0.2'), 443)).toBe(0);
    expect(internText(index, key('2001:db8::1', 40000, '2001:db8::2', 443))).toBe(1);
    expect(index.size).toBe(3);
  });

  it('gives back the exact key text, and finds an id by it', () => {
    const index = new ConnectionIndex();
    const packed = [
      ['0.0.0.0', 0, '255.255.255.255', 65535],
      ['10.0.0.9', 40000, '10.0.0.10', 80],
      ['192.168.1.1', 1, '192.168.1.1', 2],
    ] as const;
    for (const [a, p, b, q] of packed) internPacked(index, ipv4Value(a), p, ipv4Value(b), q);
    // keys a packed form cannot write back exactly keep their text
    const texts = [key('010.0.0.1', 80, '10.0.0.2', 443), key('10.0.0.1', '080', '10.0.0.2', 443), key('10.0.0.1', '-', '10.0.0.2', 443), key('::ffff:10.0.0.1', 1, 'fe80::1', 2)];
    for (const text of texts) internText(index, text);
    const all = [...packed.map(([a, p, b, q]) => key(a, p, b, q)), ...texts];
    all.forEach((text, id) => {
      expect(index.keyText(id)).toBe(text);
      expect(findConnection(index, text)).toBe(id);
      expect(isPacked(index, id)).toBe(id < packed.length);
    });
    expect(findConnection(index, key('10.0.0.9', 40000, '10.0.0.10', 81))).toBe(-1);
    expect(findConnection(index, key('010.0.0.9', 40000, '10.0.0.10', 80))).toBe(-1);
  });

  it('hashes a key as connectionId() hashes its text (ids in reports)', () => {
    const index = new ConnectionIndex();
    const texts = [key('1.2.3.4', 0, '5.6.7.8', 9), key('10.100.200.255', 65535, '172.16.0.1', 10000), key('2001:db8::1', 443, '2001:db8::2', 50000)];
    internPacked(index, ipv4Value('1.2.3.4'), 0, ipv4Value('5.6.7.8'), 9);
    internPacked(index, ipv4Value('10.100.200.255'), 65535, ipv4Value('172.16.0.1'), 10000);
    internText(index, texts[2]);
    texts.forEach((text, id) => expect(index.keyHash(id).toString(16).padStart(8, '0')).toBe(connectionId(text)));
  });

  it('keeps every id through the table growing (100 000 connections)', () => {
    const index = new ConnectionIndex();
    const n = 100_000;
    for (let k = 0; k < n; k++) expect(internPacked(index, (0x0a000000 + k) >>> 0, k % 65536, 0xc0a80001, 443)).toBe(k);
    for (let k = 0; k < n; k += 997) {
      expect(internPacked(index, (0x0a000000 + k) >>> 0, k % 65536, 0xc0a80001, 443)).toBe(k);
      expect(index.packedAddress(k, 0)).toBe((0x0a000000 + k) >>> 0);
      expect(index.packedPort(k, 0)).toBe(k % 65536);
      expect(index.packedPort(k, 1)).toBe(443);
    }
    expect(index.size).toBe(n);
  });
});

describe('ipv4Value', () => {
  it('reads canonical dotted quads only: other spellings are distinct texts, so distinct keys', () => {
    expect(ipv4Value('10.0.0.1')).toBe(0x0a000001);
    expect(ipv4Value('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4Value('0.0.0.0')).toBe(0);
    for (const text of ['010.0.0.1', '10.0.0.01', '256.0.0.1', '1..2.3', '1.2.3', '1.2.3.4.5', '::1', '-', '', '1.2.3.4 ', '１.2.3.4']) {
      expect(ipv4Value(text)).toBe(-1);
    }
  });
});
