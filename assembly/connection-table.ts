// The connection table's per-record fold, compiled to WebAssembly (AssemblyScript: TypeScript
// syntax, wasm types).
//
// Why: at a million connections, finding a record's connection and updating its state is the
// busiest thread's biggest cost: a hash lookup and a state update per record, each usually a
// cache miss, with JavaScript's checks around every typed-array access. Here they are plain
// loads and stores (figures: docs/performance.md).
//
// What it keeps, for ConnectionTable (src/analyze/fold.ts) and ConnectionIndex
// (src/analyze/connection-index.ts), which read it through typed views of this memory:
//  * connection ids, 0, 1, 2, … in order of first appearance, and each id's key: a packed IPv4
//    key is three int32 words (address 0, address 1, port 0 << 16 | port 1), kept in id order
//    and found through an open-addressing hash table of (id, hash) slots behind a small
//    direct-mapped cache of recent keys; a key the packed form cannot write back exactly (IPv6,
//    `-`, leading zeros) is numbered by JavaScript as a "text index" (one per distinct text),
//    which gets its id here, in the same sequence as every other key;
//  * per connection, STRIDE float64 numbers in blocks of BLOCK_SIZE connections, laid out as
//    fold.ts reads them (STATE_* in src/layout.ts); and apart, the SYN records of a side and
//    interface beyond the two a state holds (otherSyns()): a retried SYN is judged per interface.
// apply() folds each row of "TCP facts" (FACT_* in src/analyze/record-tally.ts) into its
// connection's state in the same floating-point operations as the JavaScript fold it replaced
// (docs/architecture.md), so the summary is the same to the byte (test/analyze/fold.test.ts, parallel.test.ts, plain-records.test.ts).
//
// Memory comes from AssemblyScript's allocator (--runtime minimal: heap.alloc / heap.free, no
// garbage collector): state blocks, the hash table (replaced when it grows) and the key arrays.

import { toInt32 } from './js-numbers';
import {
  FACT_BYTES,
  FACT_END,
  FACT_KEY,
  FACT_META,
  FACT_PACKETS,
  FACT_START,
  META_EVIDENCE_BITS,
  META_EVIDENCE_SHIFT,
  META_FLAGS_SHIFT,
  META_FOCUSED,
  META_IFACE_SHIFT,
  META_NO_FLAGS,
  META_REJECTED,
  META_SIDE,
  STATE_BLOCK_BITS as BLOCK_BITS,
  STATE_BYTES as BYTES,
  STATE_EVIDENCE_SHIFT as EVIDENCE_SHIFT,
  STATE_FIRST_START as FIRST_START,
  STATE_FLAGS as FLAGS,
  STATE_FOCUS_BIT as FOCUS_BIT,
  STATE_LAST_END as LAST_END,
  STATE_PACKETS as PACKETS,
  STATE_RECORDS as RECORDS,
  STATE_REJECT_BIT as REJECT_BIT,
  STATE_RETRY_BIT0 as RETRY_BIT0,
  STATE_RETRY_BIT1 as RETRY_BIT1,
  STATE_STRIDE as STRIDE,
  STATE_SYN_SLOTS as SYN_SLOTS,
  STATE_SYN_PACKETS_BIT0 as SYN_PACKETS_BIT0,
  STATE_SYN_PACKETS_BIT1 as SYN_PACKETS_BIT1,
  STATE_SYN_START as SYN_START,
  STATE_SYNACK_ACCEPT_BIT as SYNACK_ACCEPT_BIT,
  TCP_FACTS,
} from '../src/layout';

// Numbers per row of facts and their offsets, the FACT_META bits and the per-connection state:
// src/layout.ts, shared with TypeScript.
const BLOCK_SIZE: i32 = 1 << BLOCK_BITS;
const BLOCK_MASK: i32 = BLOCK_SIZE - 1;
const MAX_BLOCKS: i32 = 1 << 15;

/** tcp-flags bits (src/analyze/classify.ts) */
const SYN_FLAG: i32 = 2;
const ACK_FLAG: i32 = 16;

/**
 * Rows of facts apply() takes at a time, written by JavaScript at FACTS. What its passes read
 * ahead for a batch (the rows, a cache and a table slot, and a state line each) must still be
 * in the processor's level-2 cache when the next pass comes (docs/performance.md).
 */
const MAX_ROWS: i32 = 1024;
const FACTS = memory.data(MAX_ROWS * TCP_FACTS * 8, 16);
/** apply()'s scratch: each row's key hash, then its connection id */
const HASHES = memory.data(MAX_ROWS * 4, 16);
const IDS = memory.data(MAX_ROWS * 4, 16);
/** where each state block starts */
const BLOCKS = memory.data(MAX_BLOCKS * 4, 16);

// Slots of the hash table, 8 bytes: id + 1 (0: empty), then the key's hash (its words are in
// `keys`, by id).
/** Slots of the cache of recent keys: id + 1 (0: empty), then the three key words. */
const RECENT_BYTES: i32 = 16;
/** 2^17 slots of 16 bytes: 2 MB, which stays in cache (a connection's records come within minutes) */
const RECENT_SLOTS: i32 = 1 << 17;
const RECENT = memory.data(RECENT_SLOTS * RECENT_BYTES, 16);

let ids: i32 = 0; // ids given
let states: i32 = 0; // connections with a state (ids get theirs in apply())
let slots: usize = 0;
let slotCount: i32 = 0;
let packed: i32 = 0;
let rehashAt: i32 = 0;
/**
 * The key words of every id, KEY_BYTES an id (zeros for a text key), in id order: the hash table
 * needs no copy of them, and reports read every connection's key in id order from here.
 */
const KEY_BYTES: i32 = 12;
let keys: usize = 0;
let keysCapacity: i32 = 0;
/** text index → id + 1 (0: none yet) */
let textIds: usize = 0;
let textCapacity: i32 = 0;
/** what the read-ahead loops read, kept so that the reads stay */
let ignored: i32 = 0;

export function factsAt(): usize { return FACTS; }
export function maxRows(): i32 { return MAX_ROWS; }
export function idCount(): i32 { return ids; }
/** Where the state of connections b * BLOCK_SIZE … starts. */
export function blockAt(b: i32): usize { return load<usize>(BLOCKS + (<usize>b << 2)); }
/** (exported only so that the read-ahead loads are not optimized away) */
export function readAhead(): i32 { return ignored; }

/** Mixes the three key words (murmur3-style finalizer) so that linear probing stays short. */
// @ts-ignore: decorator
@inline
function hash(w0: i32, w1: i32, w2: i32): u32 {
  let h: u32 = (<u32>w0 * 0xcc9e2d51) ^ ((<u32>w1 ^ 0x5bd1e995) * 0x1b873593) ^ (<u32>w2 * 0x85ebca6b);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

/** The id of a packed key (see above); a new one if it was not seen before. */
export function internWords(w0: i32, w1: i32, w2: i32): i32 {
  return internHashed(hash(w0, w1, w2), w0, w1, w2);
}

function internHashed(h: u32, w0: i32, w1: i32, w2: i32): i32 {
  const cached = RECENT + (<usize>(h & <u32>(RECENT_SLOTS - 1)) << 4);
  const entry = load<i32>(cached);
  if (entry != 0 && load<i32>(cached, 4) == w0 && load<i32>(cached, 8) == w1 && load<i32>(cached, 12) == w2) return entry - 1;
  const id = lookUp(h, w0, w1, w2);
  store<i32>(cached, id + 1);
  store<i32>(cached, w0, 4);
  store<i32>(cached, w1, 8);
  store<i32>(cached, w2, 12);
  return id;
}

/** The key's id in the hash table; a new one if it is not there. */
function lookUp(h: u32, w0: i32, w1: i32, w2: i32): i32 {
  if (packed >= rehashAt) rehash();
  const mask = <u32>slotCount - 1;
  let slot = h & mask;
  while (true) {
    const at = slots + (<usize>slot << 3);
    const entry = load<i32>(at);
    if (entry == 0) {
      const id = newId(w0, w1, w2);
      store<i32>(at, id + 1);
      store<u32>(at, h, 4);
      packed++;
      return id;
    }
    if (load<u32>(at, 4) == h && sameKey(entry - 1, w0, w1, w2)) return entry - 1;
    slot = (slot + 1) & mask;
  }
}

// @ts-ignore: decorator
@inline
function sameKey(id: i32, w0: i32, w1: i32, w2: i32): bool {
  const at = keys + <usize>id * KEY_BYTES;
  return load<i32>(at) == w0 && load<i32>(at, 4) == w1 && load<i32>(at, 8) == w2;
}

/** The next id, with its key words. */
function newId(w0: i32, w1: i32, w2: i32): i32 {
  const id = ids++;
  if (id >= keysCapacity) {
    const capacity = keysCapacity == 0 ? 1024 : keysCapacity * 2;
    const grown = heap.alloc(<usize>capacity * KEY_BYTES);
    if (keys != 0) {
      memory.copy(grown, keys, <usize>id * KEY_BYTES);
      heap.free(keys);
    }
    keys = grown;
    keysCapacity = capacity;
  }
  const at = keys + <usize>id * KEY_BYTES;
  store<i32>(at, w0);
  store<i32>(at, w1, 4);
  store<i32>(at, w2, 8);
  return id;
}

/** The id of a packed key, or -1 (nothing is added). */
export function findWords(w0: i32, w1: i32, w2: i32): i32 {
  if (slotCount == 0) return -1;
  const h = hash(w0, w1, w2);
  const mask = <u32>slotCount - 1;
  let slot = h & mask;
  while (true) {
    const at = slots + (<usize>slot << 3);
    const entry = load<i32>(at);
    if (entry == 0) return -1;
    if (load<u32>(at, 4) == h && sameKey(entry - 1, w0, w1, w2)) return entry - 1;
    slot = (slot + 1) & mask;
  }
}

/** Twice the slots (rehashed when 70 % full: linear probing stays short). The slots keep their keys' hashes: no key is read. */
function rehash(): void {
  const old = slots;
  const oldCount = slotCount;
  slotCount = slotCount == 0 ? 1024 : slotCount * 2;
  slots = heap.alloc(<usize>slotCount << 3);
  memory.fill(slots, 0, <usize>slotCount << 3);
  const mask = <u32>slotCount - 1;
  for (let from = old; from < old + (<usize>oldCount << 3); from += 8) {
    if (load<i32>(from) == 0) continue;
    let slot = load<u32>(from, 4) & mask;
    while (load<i32>(slots + (<usize>slot << 3)) != 0) slot = (slot + 1) & mask;
    store<u64>(slots + (<usize>slot << 3), load<u64>(from));
  }
  if (old != 0) heap.free(old);
  rehashAt = <i32>(<f64>slotCount * 0.7);
}

/** The id of the key JavaScript numbered `text` (its text index); a new one if it has none yet. */
export function internText(text: i32): i32 {
  if (text >= textCapacity) {
    let capacity = textCapacity == 0 ? 64 : textCapacity * 2;
    while (capacity <= text) capacity *= 2;
    const grown = heap.alloc(<usize>capacity << 2);
    memory.fill(grown, 0, <usize>capacity << 2);
    if (textIds != 0) {
      memory.copy(grown, textIds, <usize>textCapacity << 2);
      heap.free(textIds);
    }
    textIds = grown;
    textCapacity = capacity;
  }
  const at = textIds + (<usize>text << 2);
  const entry = load<i32>(at);
  if (entry != 0) return entry - 1;
  const id = newId(0, 0, 0);
  store<i32>(at, id + 1);
  return id;
}

/** The id of text index `text`, or -1. */
export function textId(text: i32): i32 {
  return text < textCapacity ? load<i32>(textIds + (<usize>text << 2)) - 1 : -1;
}

/**
 * Where the key words of every id are, KEY_BYTES an id (address 0, address 1, port 0 << 16 |
 * port 1 as int32; zeros for a text key), in id order. Valid until a new key is interned.
 */
export function keyWords(): usize {
  return keys;
}

/** Address of connection i's state. */
// @ts-ignore: decorator
@inline
function stateOf(i: i32): usize {
  return load<usize>(BLOCKS + (<usize>(i >> BLOCK_BITS) << 2)) + (<usize>((i & BLOCK_MASK) * STRIDE) << 3);
}

/** A state for connection `states` (zeros; NaN for "no SYN yet", NO_SYNS for an unused SYN slot). */
function addState(): void {
  const i = states++;
  if ((i & BLOCK_MASK) == 0) store<usize>(BLOCKS + (<usize>(i >> BLOCK_BITS) << 2), heap.alloc(<usize>(BLOCK_SIZE * STRIDE) << 3));
  const state = stateOf(i);
  memory.fill(state, 0, <usize>STRIDE << 3);
  store<f64>(state + (<usize>(SYN_START) << 3), NaN);
  store<f64>(state + (<usize>(SYN_START + 1) << 3), NaN);
  store<u64>(state + (<usize>(SYN_SLOTS) << 3), NO_SYNS);
  store<u64>(state + (<usize>(SYN_SLOTS + 1) << 3), NO_SYNS);
}

/** Connections with a state (after apply(): every id). */
export function stateCount(): i32 {
  return states;
}

/**
 * Applies `count` rows of facts at FACTS, in order: each row's connection (a new id and state if
 * unseen), then update() below. Done in passes (every key's memory read
 * ahead, every id, every state read ahead, every update): at a million connections each step is
 * a cache miss, and a loop of independent steps lets the processor wait for several at once.
 */
export function apply(count: i32): void {
  let seen: i32 = ignored;
  // 1. the memory every packed key's lookup reads (the cache slot, the table's first slot)
  const mask = <u32>slotCount - 1;
  for (let k = 0; k < count; k++) {
    const row = FACTS + <usize>(k * TCP_FACTS) * 8;
    const w0 = load<f64>(row);
    if (isNaN(w0)) continue;
    const h = hash(<i32>w0, <i32>load<f64>(row, 8), <i32>load<f64>(row, 16));
    store<u32>(HASHES + (<usize>k << 2), h);
    seen ^= load<i32>(RECENT + (<usize>(h & <u32>(RECENT_SLOTS - 1)) << 4));
    if (slotCount != 0) seen ^= load<i32>(slots + (<usize>(h & mask) << 3));
  }
  // 2. every id (in row order: new ids are numbered as the keys first appear)
  for (let k = 0; k < count; k++) {
    const row = FACTS + <usize>(k * TCP_FACTS) * 8;
    const w0 = load<f64>(row);
    const id = isNaN(w0) ? internText(<i32>load<f64>(row, 8)) : internHashed(load<u32>(HASHES + (<usize>k << 2)), <i32>w0, <i32>load<f64>(row, 8), <i32>load<f64>(row, 16));
    while (states <= id) addState();
    store<i32>(IDS + (<usize>k << 2), id);
    // 3. the connection's state, read ahead
    seen ^= <i32>load<f64>(stateOf(id) + (<usize>RECORDS << 3));
  }
  ignored = seen;
  // 4. every update
  for (let k = 0; k < count; k++) update(load<i32>(IDS + (<usize>k << 2)), FACTS + <usize>(k * TCP_FACTS) * 8);
}

/** One record's facts at `row` into connection i's state, laid out as fold.ts reads it (STATE_* in src/layout.ts). */
// @ts-ignore: decorator
@inline
function update(i: i32, row: usize): void {
  const meta = <i64>load<f64>(row, FACT_META << 3);
  const side = <i32>(meta & META_SIDE);
  const rejected = (meta & META_REJECTED) != 0;
  const flagBits = <i32>((meta >> META_FLAGS_SHIFT) & (2 * META_NO_FLAGS - 1)); // META_NO_FLAGS: no flags
  const iface = <f64>(meta >> META_IFACE_SHIFT);
  const packets = load<f64>(row, FACT_PACKETS << 3);
  const bytes = load<f64>(row, FACT_BYTES << 3);
  const start = load<f64>(row, FACT_START << 3);
  const end = load<f64>(row, FACT_END << 3);
  const state = stateOf(i);
  store<f64>(state + (<usize>RECORDS << 3), load<f64>(state + (<usize>RECORDS << 3)) + 1);
  const p = isNaN(packets) ? 0 : packets;
  const packetsAt = state + (<usize>(PACKETS + side) << 3);
  store<f64>(packetsAt, load<f64>(packetsAt) + p);
  if (!isNaN(bytes)) store<f64>(state + (<usize>BYTES << 3), load<f64>(state + (<usize>BYTES << 3)) + bytes);
  const firstStart = load<f64>(state + (<usize>FIRST_START << 3));
  if (!isNaN(start) && (firstStart == 0 || start < firstStart)) store<f64>(state + (<usize>FIRST_START << 3), start);
  if (!isNaN(end) && end > load<f64>(state + (<usize>LAST_END << 3))) store<f64>(state + (<usize>LAST_END << 3), end);
  let bits = toInt32(load<f64>(state + (<usize>FLAGS << 3)));
  if (rejected) bits |= REJECT_BIT;
  if ((meta & META_FOCUSED) != 0) bits |= FOCUS_BIT;
  // the record's evidence bits, OR-ed into the connection's (nothing while META_EVIDENCE_BITS is 0)
  bits |= <i32>((meta >> META_EVIDENCE_SHIFT) & ((<i64>1 << META_EVIDENCE_BITS) - 1)) << EVIDENCE_SHIFT;
  if (flagBits != 64) {
    const f = flagBits;
    bits |= f << (6 * side);
    if ((f & (SYN_FLAG | ACK_FLAG)) == (SYN_FLAG | ACK_FLAG) && !rejected) bits |= SYNACK_ACCEPT_BIT;
    if ((f & SYN_FLAG) != 0 && (f & ACK_FLAG) == 0) {
      // A retry shows on one interface: SYN records in two windows, or more than one packet in
      // them. Each interface's SYN records are judged apart (a subnet capture sees the same SYN
      // on two ENIs, which is no retry) and any interface that shows one sets the bit, so the
      // verdict does not depend on the order records are read in (docs/analyzer.md#retried-syns).
      const s = isNaN(start) ? 0 : start;
      const synStartAt = state + (<usize>(SYN_START + side) << 3);
      const earliest = load<f64>(synStartAt);
      if (isNaN(earliest) || s < earliest) store<f64>(synStartAt, s);
      // this side and interface: one of the state's two slots, or else a slot apart
      const who = synSlotKey(<u32>iface, side);
      let slot = state + (<usize>SYN_SLOTS << 3);
      let held = load<u64>(slot);
      if (held != NO_SYNS && (held & SYN_SLOT_KEY) != who) {
        slot += 8;
        held = load<u64>(slot);
        if (held != NO_SYNS && (held & SYN_SLOT_KEY) != who) {
          slot = otherSyns(i * 2 + side, <u32>(who >> 35));
          held = load<u64>(slot);
        }
      }
      const s32 = startBits(s);
      let twoWindows = false;
      let packetsOnIface: f64 = p;
      if (held != NO_SYNS) {
        packetsOnIface += <f64>((held >> 32) & 3);
        twoWindows = <u32>held != s32;
      }
      const kept: u64 = packetsOnIface >= 2 ? 2 : packetsOnIface >= 1 ? 1 : 0;
      store<u64>(slot, who | (kept << 32) | (held != NO_SYNS ? held & 0xffffffff : <u64>s32));
      if (twoWindows) bits |= side == 0 ? RETRY_BIT0 : RETRY_BIT1;
      if (packetsOnIface > 1) bits |= side == 0 ? SYN_PACKETS_BIT0 : SYN_PACKETS_BIT1;
    }
  }
  store<f64>(state + (<usize>FLAGS << 3), <f64>bits);
}

// A SYN slot (STATE_SYN_SLOTS): bits 35–63 the interface hash's low 29 bits, 34 the side, 32–33
// the packets (at most 2), 0–31 the first start; all ones (never a slot's value: packets ≤ 2) unused.
const NO_SYNS: u64 = 0xffffffffffffffff;
const SYN_SLOT_KEY: u64 = 0xfffffffc00000000;

// @ts-ignore: decorator
@inline
function synSlotKey(iface: u32, side: i32): u64 {
  return (<u64>(iface & 0x1fffffff) << 35) | (<u64>side << 34);
}

/** A start as 32 bits: the whole number of seconds it is (to 2106), else its 64 bits folded. */
// @ts-ignore: decorator
@inline
function startBits(start: f64): u32 {
  if (start >= 0 && start < 4294967296 && Math.floor(start) == start) return <u32>start;
  const bits = reinterpret<u64>(start);
  return <u32>(bits ^ (bits >> 32));
}

// The SYN records of a connection's side on an interface beyond the two its state holds: an
// open-addressing table of OTHER_BYTES slots, found by (connection id * 2 + side, interface):
// the key (id * 2 + side + 1; 0: empty) and the interface's 29 bits as int32 words, then a SYN
// slot as above.
const OTHER_BYTES: i32 = 16;
let otherSlots: usize = 0;
let otherCount: i32 = 0;
let otherUsed: i32 = 0;

/** Where the SYN slot of (key, iface) is; a new, unused one if it was not there. */
function otherSyns(key: i32, iface: u32): usize {
  if (otherUsed >= (otherCount >> 1)) growOthers();
  const mask = <u32>otherCount - 1;
  let slot = hash(key, <i32>iface, 0x5bd1e995) & mask;
  while (true) {
    const at = otherSlots + <usize>slot * OTHER_BYTES;
    const entry = load<i32>(at);
    if (entry == 0) {
      store<i32>(at, key + 1);
      store<u32>(at, iface, 4);
      store<u64>(at, NO_SYNS, 8);
      otherUsed++;
      return at + 8;
    }
    if (entry == key + 1 && load<u32>(at, 4) == iface) return at + 8;
    slot = (slot + 1) & mask;
  }
}

/** Twice the slots (at most half full), every entry moved to its new place. */
function growOthers(): void {
  const old = otherSlots;
  const oldCount = otherCount;
  otherCount = otherCount == 0 ? 256 : otherCount * 2;
  otherSlots = heap.alloc(<usize>otherCount * OTHER_BYTES);
  memory.fill(otherSlots, 0, <usize>otherCount * OTHER_BYTES);
  const mask = <u32>otherCount - 1;
  for (let from = old; from < old + <usize>oldCount * OTHER_BYTES; from += OTHER_BYTES) {
    const entry = load<i32>(from);
    if (entry == 0) continue;
    let slot = hash(entry - 1, load<i32>(from, 4), 0x5bd1e995) & mask;
    while (load<i32>(otherSlots + <usize>slot * OTHER_BYTES) != 0) slot = (slot + 1) & mask;
    memory.copy(otherSlots + <usize>slot * OTHER_BYTES, from, OTHER_BYTES);
  }
  if (old != 0) heap.free(old);
}

// The shared layout as this module was built with it: every constant of src/layout.ts, exported
// as a WebAssembly global (test/layout.test.ts compares each with the value TypeScript sees).
export * from '../src/layout';
