import { formatIpv4 } from '../format/line-reader.js';
import { fnv1a, FNV_OFFSET, fnvByte, fnvDecimal, fnvIpv4 } from '../hash.js';
import { tableInstance, type TableExports } from './table-wasm.js';

/**
 * Gives each connection key a dense id (0, 1, 2, … in order of first appearance), for the
 * connection table's state.
 *
 * Why not just a Map<string, number>: at a million connections, a key string and a map entry
 * per connection cost well over 100 bytes, and building a key string for every record was the
 * fold's biggest cost (docs/performance.md). Almost every connection is between IPv4 addresses
 * written the canonical way, with numeric ports; such a key is kept as three 32-bit words
 * (address 0, address 1, port 0 << 16 | port 1) in the hash table of the WebAssembly module
 * (assembly/connection-table.ts), which also holds the table's state and applies records.
 * Every other key (IPv6, `-`, an address or port written with leading zeros) keeps its exact
 * text here, numbered by a "text index" that the module gives an id in the same sequence as
 * packed keys. A canonical key always takes the packed form, so no connection can have two ids.
 *
 * Keys are as `connectionKey()` writes them: "ip0 port0 ip1 port1", side 0 first.
 */
export class ConnectionIndex {
  /** the module instance: the hash table, and the connection table's state (see ConnectionTable) */
  readonly table: TableExports = tableInstance();
  /** text index → key text, and back */
  private readonly texts: string[] = [];
  private readonly textIndexes = new Map<string, number>();
  /** id → key text of text keys, made when first asked for after new keys */
  private textKeys: Map<number, string> | undefined;
  private textKeysFor = -1;
  /** the module's key words by id, as a view (taken again when they grew or moved) */
  private keysById: Int32Array | undefined;
  /** one bit per id, set for a text key (textKeyBits()), and the id count it was made for */
  private textBits: Int32Array | undefined;
  private textBitsFor = -1;

  /** number of ids given */
  get size(): number {
    return this.table.idCount();
  }

  /** The text index of a key that is not packable (the module's row format carries it instead of the text). */
  textIndex(key: string): number {
    let index = this.textIndexes.get(key);
    if (index === undefined) {
      index = this.texts.length;
      this.texts.push(key);
      this.textIndexes.set(key, index);
    }
    return index;
  }

  /**
   * FNV-1a of keyText(id), as connectionId() hashes it, without making the text: a report
   * ranks every failing connection by its id, and there may be hundreds of thousands.
   */
  keyHash(id: number): number {
    const text = this.texts.length === 0 ? undefined : this.textKeysById().get(id);
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
    const length = this.size * KEY_WORDS;
    const at = this.table.keyWords();
    let keys = this.keysById;
    if (keys === undefined || keys.length !== length || keys.byteOffset !== at || keys.buffer !== this.table.memory.buffer) {
      keys = new Int32Array(this.table.memory.buffer, at, length);
      this.keysById = keys;
    }
    return keys;
  }

  /** One bit per id (id >> 5, 1 << (id & 31)), set for a text key; undefined if there are none. Valid as keyWords(). */
  textKeyBits(): Int32Array | undefined {
    if (this.texts.length === 0) return undefined;
    const size = this.size;
    if (this.textBits === undefined || this.textBitsFor !== size) {
      const bits = new Int32Array((size + 31) >> 5);
      for (const id of this.textKeysById().keys()) bits[id >> 5] |= 1 << (id & 31);
      this.textBits = bits;
      this.textBitsFor = size;
    }
    return this.textBits;
  }

  /** IPv4 value of side 0 or 1 of a packed key. */
  packedAddress(id: number, side: number): number {
    return this.keyWords()[id * KEY_WORDS + side] >>> 0;
  }

  /** Port of side 0 or 1 of a packed key. */
  packedPort(id: number, side: number): number {
    const ports = this.keyWords()[id * KEY_WORDS + 2];
    return side === 0 ? ports >>> 16 : ports & 0xffff;
  }

  /** The key text, exactly as `connectionKey()` writes it. */
  keyText(id: number): string {
    const text = this.texts.length === 0 ? undefined : this.textKeysById().get(id);
    if (text !== undefined) return text;
    return `${formatIpv4(this.packedAddress(id, 0))} ${this.packedPort(id, 0)} ${formatIpv4(this.packedAddress(id, 1))} ${this.packedPort(id, 1)}`;
  }

  /** id → text of every text key with an id. */
  private textKeysById(): Map<number, string> {
    const size = this.size;
    if (this.textKeys === undefined || this.textKeysFor !== size) {
      const keys = new Map<number, string>();
      this.texts.forEach((text, index) => {
        const id = this.table.textId(index);
        if (id >= 0) keys.set(id, text);
      });
      this.textKeys = keys;
      this.textKeysFor = size;
    }
    return this.textKeys;
  }
}

/** key words of an id in keyWords(): address 0, address 1, port 0 << 16 | port 1 */
export const KEY_WORDS = 3;
