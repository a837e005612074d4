import type { ConnectionIndex } from '../../src/analyze/connection-index.js';
import { canonicalPort, ipv4Value } from '../../src/format/values.js';

/*
 * Ways into a ConnectionIndex that only tests need: the analyzer interns keys in bulk, inside
 * the WebAssembly table (connection-table.wasm), never one at a time from TypeScript.
 */

/**
 * The id of the connection between (address0, port0) and (address1, port1), side 0 first,
 * given as canonical IPv4 values and ports 0–65535; a new id if it was not seen before.
 */
export function internPacked(index: ConnectionIndex, address0: number, port0: number, address1: number, port1: number): number {
  return index.table.internWords(address0 | 0, address1 | 0, (port0 << 16) | port1);
}

/** The id of a connection whose key is not packable; a new id if it was not seen before. */
export function internText(index: ConnectionIndex, key: string): number {
  return index.table.internText(index.textIndex(key));
}

/** Whether the id's key is packed (its words in keyWords()), rather than kept as text. */
export function isPacked(index: ConnectionIndex, id: number): boolean {
  const bits = index.textKeyBits();
  return bits === undefined || (bits[id >> 5] & (1 << (id & 31))) === 0;
}

/** The id of a key given as text ("ip0 port0 ip1 port1", as connectionKey() writes it), or -1. */
export function findConnection(index: ConnectionIndex, key: string): number {
  const parts = key.split(' ');
  if (parts.length === 4) {
    const a0 = ipv4Value(parts[0]);
    const p0 = canonicalPort(parts[1]);
    const a1 = ipv4Value(parts[2]);
    const p1 = canonicalPort(parts[3]);
    if (a0 >= 0 && p0 >= 0 && a1 >= 0 && p1 >= 0) return index.table.findWords(a0 | 0, a1 | 0, (p0 << 16) | p1);
  }
  // (a text the index did not know gets a text index, and no id)
  return index.table.textId(index.textIndex(key));
}
