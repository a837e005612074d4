import { formatIpv4 } from '../format/line-reader.js';
import { displayEndpoint, endpointOf } from './report-text.js';
import type { Endpoint, PeerRow } from './summary.js';
import { CATEGORIES, classCounts, connectionsOf, ESTABLISHED, failuresOf, MIDSTREAM, REFUSED, REJECTED, resetOf, UNANSWERED, withRoom } from './verdict-codes.js';

/**
 * Peer rows by endpoint, counted by category: canonical IPv4 endpoints by address and port in
 * an open-addressing hash table over one typed array (a report can have tens of thousands of
 * peers), others by their "ip port" text. Rows are numbers in typed arrays until top() (no
 * object a row while connections are counted: see ConnectionTable.countConnections() in fold.ts).
 */
export class PeerRows {
  /** 1 << PEER_SLOT_BITS numbers a slot: row + 1 (0: empty), address (as int32), port, (unused); linear probing, at most half full */
  private slots = new Int32Array(0);
  private numbered = 0;
  /** PEER_ROW numbers a row (PEER_ADDRESS…) */
  private data: Int32Array = new Int32Array(0);
  /** rows made */
  size = 0;
  private readonly texts = new Map<string, number>();
  private readonly textEndpoints = new Map<number, Endpoint>();

  /** `connections`: how many connections will be counted (the tables start with room for a share of that) */
  constructor(connections: number) {
    // The tables are replaced when they grow, which is rare enough to be new to the loop V8
    // compiled as it ran, and throws that code away: they start large enough not to, mostly.
    // Given a second value at once, their fields are not taken for constants by V8 either (code
    // that relies on that is thrown away too when the constant changes).
    const rows = Math.min(PEER_ROWS_MAX, Math.max(PEER_ROWS_MIN, 2 ** Math.ceil(Math.log2(connections / 64 + 1))));
    this.slots = new Int32Array((rows * 2) << PEER_SLOT_BITS);
    this.data = new Int32Array(rows * PEER_ROW);
  }

  /** The row of a canonical IPv4 endpoint (a new one if there is none). */
  rowOfNumbers(address: number, port: number): number {
    const word = address | 0;
    const slots = this.slots;
    const mask = (slots.length >> PEER_SLOT_BITS) - 1;
    let slot = peerHash(word, port) & mask;
    for (;;) {
      const at = slot << PEER_SLOT_BITS;
      const entry = slots[at];
      if (entry === 0) break;
      if (slots[at + 1] === word && slots[at + 2] === port) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const row = this.make(word, port);
    const at = slot << PEER_SLOT_BITS;
    slots[at] = row + 1;
    slots[at + 1] = word;
    slots[at + 2] = port;
    if (++this.numbered * 2 > slots.length >> PEER_SLOT_BITS) this.grow();
    return row;
  }

  /** rowOfNumbers() for any other endpoint, by its "ip port" text. */
  rowOfText(text: string): number {
    let row = this.texts.get(text);
    if (row === undefined) {
      row = this.make(0, TEXT_ROW);
      this.texts.set(text, row);
      this.textEndpoints.set(row, endpointOf(text));
    }
    return row;
  }

  /** Counts a connection of the category (see CATEGORIES) in the row. */
  count(row: number, category: number): void {
    this.data[row * PEER_ROW + PEER_COUNTS + category]++;
  }

  /**
   * The first `limit` rows in the report's order: most failures, resets, connections first,
   * then by text; rows that tie stay in the order they were made (two texts can show alike:
   * "10.0.0.1 0", "10.0.0.1 00"). Only the rows listed are made; a report can have tens of
   * thousands of peers, most of which cannot make the list on their numbers alone.
   */
  top(limit: number): PeerRow[] {
    const endpoints: (Endpoint | undefined)[] = [];
    const endpoint = (row: number): Endpoint => (endpoints[row] ??= this.endpoint(row));
    const texts: (string | undefined)[] = [];
    const text = (row: number): string => (texts[row] ??= displayEndpoint(endpoint(row)));
    const data = this.data;
    const compare = (a: number, b: number): number => {
      const at = a * PEER_ROW;
      const bt = b * PEER_ROW;
      return (
        failuresOf(data, bt + PEER_COUNTS) - failuresOf(data, at + PEER_COUNTS) ||
        resetOf(data, bt + PEER_COUNTS) - resetOf(data, at + PEER_COUNTS) ||
        connectionsOf(data, bt + PEER_COUNTS) - connectionsOf(data, at + PEER_COUNTS) ||
        peerOrder(endpoint(a), endpoint(b))
      );
    };
    let best: number[];
    if (Number.isInteger(limit) && limit >= 0) {
      // the rows so far that make the list, in order (a row goes after those it ties with), and the numbers of the last one
      best = [];
      let lastFailures = 0;
      let lastReset = 0;
      let lastConnections = 0;
      for (let row = 0; row < this.size && limit > 0; row++) {
        if (best.length === limit) {
          // most rows rank after the last one on their numbers alone
          // (failuresOf(), resetOf() and connectionsOf() written out: this loop runs once, mostly before V8 compiles it)
          const at = row * PEER_ROW + PEER_COUNTS;
          const fine = data[at + ESTABLISHED] + data[at + MIDSTREAM];
          const failures = data[at + REFUSED] + data[at + UNANSWERED] + data[at + REJECTED] + data[at + 5 + REFUSED] + data[at + 5 + UNANSWERED] + data[at + 5 + REJECTED];
          const reset = data[at + 5 + ESTABLISHED] + data[at + 5 + MIDSTREAM] + data[at + 5 + REFUSED] + data[at + 5 + UNANSWERED] + data[at + 5 + REJECTED];
          const byNumbers = lastFailures - failures || lastReset - reset || lastConnections - (fine + failures + data[at + 5 + ESTABLISHED] + data[at + 5 + MIDSTREAM]);
          if (byNumbers > 0 || (byNumbers === 0 && compare(row, best[limit - 1]) >= 0)) continue;
        }
        let low = 0;
        let high = best.length;
        while (low < high) {
          const middle = (low + high) >> 1;
          if (compare(row, best[middle]) < 0) high = middle;
          else low = middle + 1;
        }
        best.splice(low, 0, row);
        if (best.length > limit) best.pop();
        const last = best[best.length - 1] * PEER_ROW + PEER_COUNTS;
        lastFailures = failuresOf(data, last);
        lastReset = resetOf(data, last);
        lastConnections = connectionsOf(data, last);
      }
    } else {
      best = Array.from({ length: this.size }, (_, row) => row)
        .sort(compare)
        .slice(0, limit);
    }
    return best.map((row) => {
      const server = this.endpoint(row);
      const counts = classCounts(data, row * PEER_ROW + PEER_COUNTS);
      return {
        peer: text(row),
        address: server.address,
        port: server.port,
        connections: counts.established + counts.refused + counts.unanswered + counts.rejected + counts.midstream,
        ...counts,
      };
    });
  }

  private endpoint(row: number): Endpoint {
    const at = row * PEER_ROW;
    const port = this.data[at + PEER_PORT];
    return port === TEXT_ROW ? (this.textEndpoints.get(row) as Endpoint) : { address: formatIpv4(this.data[at + PEER_ADDRESS] >>> 0), port };
  }

  private make(address: number, port: number): number {
    const row = this.size++;
    this.data = withRoom(this.data, this.size * PEER_ROW);
    const at = row * PEER_ROW;
    this.data[at + PEER_ADDRESS] = address;
    this.data[at + PEER_PORT] = port;
    return row;
  }

  /** Doubles the table. */
  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> PEER_SLOT_BITS) - 1;
    for (let from = 0; from < old.length; from += 1 << PEER_SLOT_BITS) {
      if (old[from] === 0) continue;
      let slot = peerHash(old[from + 1], old[from + 2]) & mask;
      while (slots[slot << PEER_SLOT_BITS] !== 0) slot = (slot + 1) & mask;
      slots.set(old.subarray(from, from + (1 << PEER_SLOT_BITS)), slot << PEER_SLOT_BITS);
    }
    this.slots = slots;
  }
}

/*
 * A peer row: the address (as int32) and port of a canonical IPv4 endpoint (port TEXT_ROW: a
 * row by text), then the counts by category.
 */
export const PEER_ADDRESS = 0;
export const PEER_PORT = 1;
export const PEER_COUNTS = 2;
export const PEER_ROW = PEER_COUNTS + CATEGORIES;
export const TEXT_ROW = -1;
/** a PeerRows slot is 1 << PEER_SLOT_BITS numbers (a power of two: no division to find them) */
export const PEER_SLOT_BITS = 2;
/** room for rows PeerRows starts with, at least and at most */
export const PEER_ROWS_MIN = 256;
export const PEER_ROWS_MAX = 1 << 16;

/** Mixes an endpoint's address (int32) and port for PeerRows' table. */
export function peerHash(address: number, port: number): number {
  let h = Math.imul(address ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Peers that tie on their counts go by address (its text, by code point), then port (a number;
 * none first): the ORDER BY of the Athena SELECT, so both engines cut the list at the same peer.
 */
export function peerOrder(a: Endpoint, b: Endpoint): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return (a.port ?? -1) - (b.port ?? -1);
}
