// The shared layout (src/layout.ts) as a WebAssembly module was built with it: Σ (k + 1) × value
// over every constant, in the order test/layout.test.ts lists them. Both modules export it
// (assembly/line-scanner.ts, assembly/connection-table.ts), and the test compares each with the
// same sum over the values TypeScript sees. A constant added to src/layout.ts is added here and
// to the test's list (the test fails until it is).

import {
  FACT_BYTES,
  FACT_END,
  FACT_KEY,
  FACT_META,
  FACT_PACKETS,
  FACT_START,
  HOP_ROW,
  META_FLAGS_SHIFT,
  META_FOCUSED,
  META_IFACE_SHIFT,
  META_NO_FLAGS,
  META_REJECTED,
  META_SIDE,
  OTHER_ROW,
  PF_ACTION,
  PF_BYTES,
  PF_DSTADDR,
  PF_DSTPORT,
  PF_END,
  PF_FLAGS,
  PF_IFACE,
  PF_PACKETS,
  PF_PKT_DST,
  PF_PKT_SRC,
  PF_PROTOCOL,
  PF_SRCADDR,
  PF_SRCPORT,
  PF_START,
  PF_STATUS,
  PLAIN_FIELDS,
  PS_HOPS,
  PS_LINES,
  PS_LINE_END,
  PS_MAX_END,
  PS_MIN_START,
  PS_OTHERS,
  PS_OTHER_PROTOCOLS,
  PS_REASON,
  PS_TCP,
  PS_TEXT_KEYS,
  STATE_BLOCK_BITS,
  STATE_BYTES,
  STATE_FIRST_START,
  STATE_FLAGS,
  STATE_FOCUS_BIT,
  STATE_LAST_END,
  STATE_PACKETS,
  STATE_RECORDS,
  STATE_REJECT_BIT,
  STATE_RETRY_BIT0,
  STATE_RETRY_BIT1,
  STATE_STRIDE,
  STATE_SYN_SLOTS,
  STATE_SYN_PACKETS_BIT0,
  STATE_SYN_PACKETS_BIT1,
  STATE_SYNACK_ACCEPT_BIT,
  STATE_SYN_START,
  STATUS_BAD_ADDRESS,
  STATUS_BAD_NUMBER,
  STATUS_COUNT,
  STATUS_HASH,
  STATUS_ID,
  TCP_FACTS,
} from '../src/layout';

export function layoutSignature(): f64 {
  return (
    1 * <f64>TCP_FACTS +
    2 * <f64>FACT_KEY +
    3 * <f64>FACT_META +
    4 * <f64>FACT_PACKETS +
    5 * <f64>FACT_BYTES +
    6 * <f64>FACT_START +
    7 * <f64>FACT_END +
    8 * <f64>META_SIDE +
    9 * <f64>META_REJECTED +
    10 * <f64>META_FOCUSED +
    11 * <f64>META_FLAGS_SHIFT +
    12 * <f64>META_NO_FLAGS +
    13 * <f64>META_IFACE_SHIFT +
    14 * <f64>STATE_PACKETS +
    15 * <f64>STATE_BYTES +
    16 * <f64>STATE_FIRST_START +
    17 * <f64>STATE_LAST_END +
    18 * <f64>STATE_RECORDS +
    19 * <f64>STATE_FLAGS +
    20 * <f64>STATE_SYN_START +
    21 * <f64>STATE_SYN_SLOTS +
    22 * <f64>STATE_STRIDE +
    23 * <f64>STATE_REJECT_BIT +
    24 * <f64>STATE_SYNACK_ACCEPT_BIT +
    25 * <f64>STATE_RETRY_BIT0 +
    26 * <f64>STATE_RETRY_BIT1 +
    27 * <f64>STATE_FOCUS_BIT +
    28 * <f64>STATE_BLOCK_BITS +
    29 * <f64>STATUS_COUNT +
    30 * <f64>STATUS_BAD_NUMBER +
    31 * <f64>STATUS_BAD_ADDRESS +
    32 * <f64>STATUS_HASH +
    33 * <f64>STATUS_ID +
    34 * <f64>PS_REASON +
    35 * <f64>PS_LINE_END +
    36 * <f64>PS_LINES +
    37 * <f64>PS_TCP +
    38 * <f64>PS_OTHERS +
    39 * <f64>PS_OTHER_PROTOCOLS +
    40 * <f64>PS_HOPS +
    41 * <f64>PS_TEXT_KEYS +
    42 * <f64>PS_MIN_START +
    43 * <f64>PS_MAX_END +
    44 * <f64>OTHER_ROW +
    45 * <f64>HOP_ROW +
    46 * <f64>PF_STATUS +
    47 * <f64>PF_PROTOCOL +
    48 * <f64>PF_SRCADDR +
    49 * <f64>PF_DSTADDR +
    50 * <f64>PF_PKT_SRC +
    51 * <f64>PF_PKT_DST +
    52 * <f64>PF_SRCPORT +
    53 * <f64>PF_DSTPORT +
    54 * <f64>PF_FLAGS +
    55 * <f64>PF_ACTION +
    56 * <f64>PF_PACKETS +
    57 * <f64>PF_BYTES +
    58 * <f64>PF_START +
    59 * <f64>PF_END +
    60 * <f64>PF_IFACE +
    61 * <f64>PLAIN_FIELDS +
    62 * <f64>STATE_SYN_PACKETS_BIT0 +
    63 * <f64>STATE_SYN_PACKETS_BIT1
  );
}
