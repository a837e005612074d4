/*
 * The numbers TypeScript and WebAssembly exchange, declared once. This file is compiled by both
 * tsc (src/) and AssemblyScript (assembly/*.ts import it), so it holds integer constants only
 * (literals, or sums and shifts of the constants above them): no types, no functions, no
 * imports. Each module exports them all as it was built with them; test/layout.test.ts fails
 * when one differs from what TypeScript sees, or when a file keeps its own copy of one of these names.
 * The whole picture, and what adding a field takes: docs/architecture.md.
 */

// ── A TCP record's "facts": TCP_FACTS float64 numbers, written by the scanner's fast path
//    (assembly/line-scanner.ts) or RecordTally (src/analyze/record-tally.ts), read by the
//    connection table (assembly/connection-table.ts). Offsets within a row:

/** The connection key as three int32 words (address 0, address 1, port 0 << 16 | port 1); NaN at + 0 for a text key, whose text index is then at + 1 (the scanner: its offset at + 1, its length at + 2). */
export const FACT_KEY = 0;
/** The small facts in one number: see the META_* bits below. */
export const FACT_META = 3;
/** NaN for `-` */
export const FACT_PACKETS = 4;
export const FACT_BYTES = 5;
export const FACT_START = 6;
export const FACT_END = 7;
/** Numbers per row. */
export const TCP_FACTS = 8;

// ── FACT_META, exact in a double (below 2^53):
//    interface << META_IFACE_SHIFT | evidence << META_EVIDENCE_SHIFT | flags << META_FLAGS_SHIFT | focused | rejected | side

/** Which endpoint sent the record, 0 or 1. */
export const META_SIDE = 1;
/** The action is REJECT. */
export const META_REJECTED = 2;
/** The record matches the focus expression (or there is none). */
export const META_FOCUSED = 4;
/** The low 6 bits of tcp-flags (all the table reads), or META_NO_FLAGS for `-` or no such field. */
export const META_FLAGS_SHIFT = 3;
export const META_NO_FLAGS = 64;
/**
 * The record's evidence for the verdict: META_EVIDENCE_BITS bits from META_EVIDENCE_SHIFT, each
 * declared here as `1 << (META_EVIDENCE_SHIFT + k)` (none yet). The scanner's fast path and
 * RecordTally set them; the connection table ORs them into the connection's state (at
 * STATE_EVIDENCE_SHIFT), and the classifier gets them back at these positions
 * (ConnectionEvidence.bits in src/analyze/classify.ts). docs/architecture.md: adding a field.
 */
export const META_EVIDENCE_SHIFT = 10;
export const META_EVIDENCE_BITS = 0;
/** The interface id's hash (unsigned 32 bits), for SYN records (SYNs are counted on one interface only). */
export const META_IFACE_SHIFT = META_EVIDENCE_SHIFT + META_EVIDENCE_BITS;

// ── Per-connection state: STATE_STRIDE float64 numbers per connection, kept by the connection
//    table module and read back by ConnectionTable (src/analyze/fold.ts).

/** Packets sent by side 0, side 1 (+ side). */
export const STATE_PACKETS = 0;
export const STATE_BYTES = 2;
/** 0: none yet */
export const STATE_FIRST_START = 3;
export const STATE_LAST_END = 4;
export const STATE_RECORDS = 5;
/** tcp-flags OR-ed per side (6 bits each: side 0, side 1), and the STATE_*_BIT bits */
export const STATE_FLAGS = 6;
/** Start of the earliest SYN record of side 0, side 1 (+ side; 0 when one has no start; NaN: none). */
export const STATE_SYN_START = 7;
/**
 * Two slots, each for the SYN records of one side on one interface, as 64 raw bits (not a
 * number; nothing outside the table module reads them): the interface hash's low 29 bits, the
 * side, their packets (at most 2), the start of the first of them (32 bits); all ones when
 * unused. A side and interface beyond these two are kept apart (assembly/connection-table.ts).
 * Together they set the STATE_RETRY_* and STATE_SYN_PACKETS_* bits.
 */
export const STATE_SYN_SLOTS = 9;
export const STATE_STRIDE = 11;
/** Some record has action REJECT. */
export const STATE_REJECT_BIT = 1 << 12;
/** A SYN-ACK in an ACCEPT record. */
export const STATE_SYNACK_ACCEPT_BIT = 2 << 12;
/** The records' evidence bits (META_EVIDENCE_*), OR-ed, from this bit on. */
export const STATE_EVIDENCE_SHIFT = 14;
/** The low bits of STATE_FLAGS a verdict depends on: both sides' flags, the two bits above and the evidence. */
export const STATE_VERDICT_BITS = STATE_EVIDENCE_SHIFT + META_EVIDENCE_BITS;
/** On some interface, SYN records of side 0, side 1 in two windows. */
export const STATE_RETRY_BIT0 = 1 << STATE_VERDICT_BITS;
export const STATE_RETRY_BIT1 = 2 << STATE_VERDICT_BITS;
/** A record of this connection matched the focus expression. */
export const STATE_FOCUS_BIT = 4 << STATE_VERDICT_BITS;
/** On some interface, SYN records of side 0, side 1 holding more than one packet in all. */
export const STATE_SYN_PACKETS_BIT0 = 8 << STATE_VERDICT_BITS;
export const STATE_SYN_PACKETS_BIT1 = 16 << STATE_VERDICT_BITS;
/** Connections per block of state (1 << STATE_BLOCK_BITS). */
export const STATE_BLOCK_BITS = 16;

// ── The line scanner's results (assembly/line-scanner.ts, read by src/format/line-scanner.ts).

/** scanLine()'s results in `status`, in int32 units. */
export const STATUS_COUNT = 0;
export const STATUS_BAD_NUMBER = 1;
export const STATUS_BAD_ADDRESS = 2;
export const STATUS_HASH = 3;
export const STATUS_ID = 4;

/** readRecords()'s results in `plainStatus`, in int32 units … */
export const PS_REASON = 0;
export const PS_LINE_END = 1;
export const PS_LINES = 2;
export const PS_TCP = 3;
export const PS_OTHERS = 4;
export const PS_OTHER_PROTOCOLS = 5;
export const PS_HOPS = 6;
export const PS_TEXT_KEYS = 7;
/** … and in float64 units: the batch's earliest start and latest end. */
export const PS_MIN_START = 4;
export const PS_MAX_END = 5;

/** Numbers per row of `others` (UDP and ICMP records): protocol, packets, bytes, rejected (1/0). */
export const OTHER_ROW = 4;
/** Numbers per row of `hops`: the interface-level source and destination address of a NAT hop, or -1. */
export const HOP_ROW = 2;

// ── The fields the scanner's fast path reads: each has a slot in the int32 array handed over at
//    plainFieldsAt(), which holds the field's position in the format (-1: the format has none).
//    A slot is named after its flow-log field (PF_TCP_FLAGS holds tcp-flags); TypeScript derives
//    the field and the name of its position in PlainFields from that name (src/format/plain-fields.ts).

export const PF_LOG_STATUS = 0;
export const PF_PROTOCOL = 1;
export const PF_SRCADDR = 2;
export const PF_DSTADDR = 3;
export const PF_PKT_SRCADDR = 4;
export const PF_PKT_DSTADDR = 5;
export const PF_SRCPORT = 6;
export const PF_DSTPORT = 7;
export const PF_TCP_FLAGS = 8;
export const PF_ACTION = 9;
export const PF_PACKETS = 10;
export const PF_BYTES = 11;
export const PF_START = 12;
export const PF_END = 13;
export const PF_INTERFACE_ID = 14;
/** Slots in all: the last PF_* + 1. */
export const PLAIN_FIELDS = 15;
