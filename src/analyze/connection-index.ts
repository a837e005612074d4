import { formatIpv4, ipv4Value } from '../format/line-reader.js';

/**
 * Gives each connection key a dense id (0, 1, 2, … in order of first appearance), for the
 * typed arrays of the connection table.
 *
 * Why not just a Map<string, number>: at a million connections, a key string and a map entry
 * per connection cost well over 100 bytes, and building a key string for every record was the
 * fold's biggest cost (docs/performance.md). Almost every connection is between IPv4 addresses
 * written the canonical way, with numeric ports; such a key is kept as three 32-bit words
 * (address 0, address 1, port 0 << 16 | port 1) in an open-addressing hash table over one
 * typed array, each slot holding the id and the key words side by side, so that a lookup
 * usually reads one cache line: no object per connection, no allocation per record.
 * Every other key (IPv6, `-`, an address or port written with leading zeros) keeps its exact
 * text in a Map, as before. A canonical key always takes the packed form, so no connection
 * can have two ids.
 *
 * Keys are as `connectionKey()` writes them: "ip0 port0 ip1 port1", side 0 first.
 */
export class ConnectionIndex {
  private count = 0;
  /**
   * The key words of each id (KEY_WORDS a key, as in a slot; zeros for a text key), made when
   * first asked for after new keys: the reports ask after reading, for every connection in id
   * order, and reading them here in order is much cheaper than a random read into the hash
   * table (tens of MB at a million connections: a cache and a TLB miss) per connection. Kept
   * up to date all along, it would be more memory at the peak.
   */
  private keysById: Int32Array | undefined;
  /** one bit per id, set for a text key; made with keysById, if there are text keys */
  private textBits: Int32Array | undefined;
  /**
   * Hash table of packed keys, SLOT numbers a slot: id + 1 (0: empty) and the three key words
   * (as int32). Linear probing; the slot count is a power of two, rehashed at MAX_LOAD.
   */
  private slots = new Int32Array(0);
  private slotCount = 0;
  private packed = 0;
  /** packed keys at which the table grows (MAX_LOAD of slotCount) */
  private rehashAt = 0;
  /**
   * A small direct-mapped cache of recently used keys (SLOT numbers each, as in `slots`), in
   * front of the table. A connection's records come within a few minutes of each other, so
   * most lookups hit it; at a million connections the table is tens of MB, and a lookup there
   * costs a cache and a TLB miss (profiling: a third of the connection table's time).
   */
  private readonly recent = new Int32Array(RECENT_SLOTS * SLOT);
  private readonly textIds = new Map<string, number>();
  private readonly textKeys = new Map<number, string>();

  /** number of ids given */
  get size(): number {
    return this.count;
  }

  /**
   * The id of the connection between (address0, port0) and (address1, port1), side 0 first,
   * given as canonical IPv4 values and ports 0–65535; a new id if it was not seen before.
   */
  internPacked(address0: number, port0: number, address1: number, port1: number): number {
    return this.internWords(address0 | 0, address1 | 0, (port0 << 16) | port1);
  }

  /**
   * internPacked() with the key as its three int32 words: address 0, address 1 and
   * port 0 << 16 | port 1 (int32 words compare as small integers; above 2^31 they would not).
   */
  internWords(w0: number, w1: number, w2: number): number {
    return this.internHashed(hash(w0, w1, w2), w0, w1, w2);
  }

  /** The hash internHashed() takes for a key's three words. */
  hashOf(w0: number, w1: number, w2: number): number {
    return hash(w0, w1, w2);
  }

  /**
   * Reads the memory the key with hash `h` will be looked up in (the cache of recent keys and the
   * table's first slot) and returns something of it, to be ignored: a loop of these over a batch
   * has many cache misses under way at once, and the lookups that follow find their memory in
   * cache (JavaScript has no prefetch instruction).
   */
  touch(h: number): number {
    const table = this.slotCount === 0 ? 0 : this.slots[(h & (this.slotCount - 1)) * SLOT];
    return this.recent[(h & (RECENT_SLOTS - 1)) * SLOT] ^ table;
  }

  /** internWords() with the key's hash given (hashOf()). */
  internHashed(h: number, w0: number, w1: number, w2: number): number {
    const recent = this.recent;
    const cached = (h & (RECENT_SLOTS - 1)) * SLOT;
    if (recent[cached + 1] === w0 && recent[cached + 2] === w1 && recent[cached + 3] === w2 && recent[cached] !== 0) return recent[cached] - 1;
    const id = this.lookUpWords(h, w0, w1, w2);
    recent[cached] = id + 1;
    recent[cached + 1] = w0;
    recent[cached + 2] = w1;
    recent[cached + 3] = w2;
    return id;
  }

  /** internWords() past the cache of recent keys. */
  private lookUpWords(h: number, w0: number, w1: number, w2: number): number {
    if (this.packed >= this.rehashAt) this.rehash();
    const slots = this.slots;
    const mask = this.slotCount - 1;
    let slot = h & mask;
    for (;;) {
      const at = slot * SLOT;
      const entry = slots[at];
      if (entry === 0) break;
      if (slots[at + 1] === w0 && slots[at + 2] === w1 && slots[at + 3] === w2) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.count++;
    this.keysById = undefined;
    const at = slot * SLOT;
    slots[at] = id + 1;
    slots[at + 1] = w0;
    slots[at + 2] = w1;
    slots[at + 3] = w2;
    this.packed++;
    return id;
  }

  /** The id of a connection whose key is not packable (see the class comment); new if unseen. */
  internText(key: string): number {
    let id = this.textIds.get(key);
    if (id === undefined) {
      id = this.count++;
      this.keysById = undefined;
      this.textIds.set(key, id);
      this.textKeys.set(id, key);
    }
    return id;
  }

  /** The id of a key given as text ("ip0 port0 ip1 port1"), or -1. */
  find(key: string): number {
    const parts = key.split(' ');
    if (parts.length === 4) {
      const a0 = ipv4Value(parts[0]);
      const p0 = canonicalPort(parts[1]);
      const a1 = ipv4Value(parts[2]);
      const p1 = canonicalPort(parts[3]);
      if (a0 >= 0 && p0 >= 0 && a1 >= 0 && p1 >= 0) return this.findPacked(a0, p0, a1, p1);
    }
    return this.textIds.get(key) ?? -1;
  }

  /** Whether the id's key is packed (then address/port below are cheap). */
  isPacked(id: number): boolean {
    if (this.textKeys.size === 0) return true;
    if (this.keysById === undefined) this.makeKeysById();
    return ((this.textBits as Int32Array)[id >> 5] & (1 << (id & 31))) === 0;
  }

  /**
   * FNV-1a of keyText(id), as connectionId() hashes it, without making the text: a report
   * ranks every failing connection by its id, and there may be hundreds of thousands.
   */
  keyHash(id: number): number {
    const text = this.textKeys.get(id);
    if (text !== undefined) return fnv1a(FNV_OFFSET, text);
    let hash = fnvIpv4(FNV_OFFSET, this.packedAddress(id, 0));
    hash = fnvDecimal(fnvByte(hash, 32), this.packedPort(id, 0));
    hash = fnvIpv4(fnvByte(hash, 32), this.packedAddress(id, 1));
    return fnvDecimal(fnvByte(hash, 32), this.packedPort(id, 1));
  }

  /**
   * The key words of every id, KEY_WORDS an id: address 0, address 1 (IPv4 values as int32)
   * and port 0 << 16 | port 1; zeros for a text key (textKeyBits()). For reading the keys of
   * all connections in id order; valid until a new key is interned.
   */
  keyWords(): Int32Array {
    return this.keysById ?? this.makeKeysById();
  }

  /** One bit per id (id >> 5, 1 << (id & 31)), set for a text key; undefined if there are none. Valid as keyWords(). */
  textKeyBits(): Int32Array | undefined {
    if (this.keysById === undefined) this.makeKeysById();
    return this.textBits;
  }

  /** IPv4 value of side 0 or 1 of a packed key. */
  packedAddress(id: number, side: number): number {
    const keys = this.keysById ?? this.makeKeysById();
    return keys[id * KEY_WORDS + side] >>> 0;
  }

  /** Port of side 0 or 1 of a packed key. */
  packedPort(id: number, side: number): number {
    const keys = this.keysById ?? this.makeKeysById();
    const ports = keys[id * KEY_WORDS + 2];
    return side === 0 ? ports >>> 16 : ports & 0xffff;
  }

  /**
   * Copies the key words of every packed key from the hash table to keysById (one pass over
   * the table), and marks the text keys in textBits.
   */
  private makeKeysById(): Int32Array {
    const keys = new Int32Array(this.count * KEY_WORDS);
    const slots = this.slots;
    for (let at = 0; at < slots.length; at += SLOT) {
      const entry = slots[at];
      if (entry === 0) continue;
      const to = (entry - 1) * KEY_WORDS;
      keys[to] = slots[at + 1];
      keys[to + 1] = slots[at + 2];
      keys[to + 2] = slots[at + 3];
    }
    this.keysById = keys;
    if (this.textKeys.size === 0) {
      this.textBits = undefined;
    } else {
      const bits = new Int32Array((this.count + 31) >> 5);
      for (const id of this.textKeys.keys()) bits[id >> 5] |= 1 << (id & 31);
      this.textBits = bits;
    }
    return keys;
  }

  /** The key text, exactly as `connectionKey()` writes it. */
  keyText(id: number): string {
    const text = this.textKeys.get(id);
    if (text !== undefined) return text;
    return `${formatIpv4(this.packedAddress(id, 0))} ${this.packedPort(id, 0)} ${formatIpv4(this.packedAddress(id, 1))} ${this.packedPort(id, 1)}`;
  }

  private findPacked(address0: number, port0: number, address1: number, port1: number): number {
    if (this.packed === 0) return -1;
    const w0 = address0 | 0;
    const w1 = address1 | 0;
    const w2 = (port0 << 16) | port1;
    const mask = this.slotCount - 1;
    for (let slot = hash(w0, w1, w2) & mask; ; slot = (slot + 1) & mask) {
      const at = slot * SLOT;
      const entry = this.slots[at];
      if (entry === 0) return -1;
      if (this.slots[at + 1] === w0 && this.slots[at + 2] === w1 && this.slots[at + 3] === w2) return entry - 1;
    }
  }

  private rehash(): void {
    const old = this.slots;
    const slotCount = this.slotCount === 0 ? 1024 : this.slotCount * 2;
    const slots = new Int32Array(slotCount * SLOT);
    const mask = slotCount - 1;
    for (let from = 0; from < old.length; from += SLOT) {
      if (old[from] === 0) continue;
      let slot = hash(old[from + 1], old[from + 2], old[from + 3]) & mask;
      while (slots[slot * SLOT] !== 0) slot = (slot + 1) & mask;
      const at = slot * SLOT;
      for (let k = 0; k < SLOT; k++) slots[at + k] = old[from + k];
    }
    this.slots = slots;
    this.slotCount = slotCount;
    this.rehashAt = Math.floor(slotCount * MAX_LOAD);
  }
}

/** A port as its canonical text writes it (0–65535, no leading zeros), else -1. */
export function canonicalPort(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return -1;
  const port = Number(text);
  return port <= 65535 ? port : -1;
}

export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a over the UTF-16 code units of `text`, from `hash`; an unsigned 32-bit number. */
export function fnv1a(hash: number, text: string): number {
  for (let i = 0; i < text.length; i++) hash = fnvByte(hash, text.charCodeAt(i));
  return hash >>> 0;
}

function fnvByte(hash: number, code: number): number {
  return Math.imul(hash ^ code, 0x01000193) >>> 0;
}

/** FNV-1a over the decimal digits of a non-negative integer, as String(value) writes them. */
function fnvDecimal(hash: number, value: number): number {
  let divisor = 1;
  while (divisor * 10 <= value) divisor *= 10;
  for (; divisor >= 1; divisor /= 10) {
    const digit = Math.floor(value / divisor);
    hash = fnvByte(hash, 48 + digit);
    value -= digit * divisor;
  }
  return hash;
}

/** FNV-1a over the dotted-quad text formatIpv4() writes. */
function fnvIpv4(hash: number, value: number): number {
  hash = fnvDecimal(hash, (value >>> 24) & 255);
  hash = fnvDecimal(fnvByte(hash, 46), (value >>> 16) & 255);
  hash = fnvDecimal(fnvByte(hash, 46), (value >>> 8) & 255);
  return fnvDecimal(fnvByte(hash, 46), value & 255);
}

const SLOT = 4;
/** key words of an id in keyWords(): address 0, address 1, port 0 << 16 | port 1 */
export const KEY_WORDS = 3;
/** 2^17 entries of 16 bytes: 2 MB, which stays in cache */
const RECENT_SLOTS = 1 << 17;
/** Rehash when the table is this full: linear probing stays short, and slots cost 16 bytes. */
const MAX_LOAD = 0.7;

/** Mixes the three key words (murmur3-style finalizer) so that linear probing stays short. */
function hash(address0: number, address1: number, ports: number): number {
  let h = Math.imul(address0, 0xcc9e2d51) ^ Math.imul(address1 ^ 0x5bd1e995, 0x1b873593) ^ Math.imul(ports, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
