/**
 * The filter expression as data: what `parseFilter` returns and `compileFilter` turns
 * into a predicate. One node kind per pcap-filter(7) primitive that flow logs can answer,
 * plus the flow-log primitives (`action`, `eni`, `status`, `via`).
 */

/** `src`, `dst`, or (the default) either; `src and dst` needs both. */
export type Direction = 'src' | 'dst' | 'src or dst' | 'src and dst';

/** An address block: IPv4 (4 words, only the first used) or IPv6, with a prefix length. */
export interface AddressBlock {
  family: 4 | 6;
  /** the address as 32-bit words, big-endian (IPv4: one word) */
  words: number[];
  /** prefix length in bits: 32/128 for one host */
  prefix: number;
  /** as the user wrote it, for messages */
  text: string;
}

export type Expr =
  | { kind: 'and'; left: Expr; right: Expr }
  | { kind: 'or'; left: Expr; right: Expr }
  | { kind: 'not'; expr: Expr }
  /** `host`/`net` (packet-level addresses); `family` restricts to `ip`/`ip6` records when given */
  | { kind: 'address'; type: 'host' | 'net'; dir: Direction; block: AddressBlock; family: 4 | 6 | null }
  /** `port`/`portrange`, optionally `tcp`/`udp`/`sctp` only */
  | { kind: 'port'; type: 'port' | 'portrange'; dir: Direction; from: number; to: number; protocol: number | null }
  /** `tcp`, `udp`, `icmp`, `icmp6`, `sctp`, `proto N`, `ip proto N`, `ip6 proto N` */
  | { kind: 'protocol'; protocol: number; family: 4 | 6 | null }
  /** `ip`, `ip6` */
  | { kind: 'family'; family: 4 | 6 }
  /** `expr relop expr` over the TCP flags byte */
  | { kind: 'relation'; op: RelOp; left: Arith; right: Arith }
  | { kind: 'action'; action: 'ACCEPT' | 'REJECT' }
  | { kind: 'eni'; id: string }
  | { kind: 'status'; status: 'OK' | 'NODATA' | 'SKIPDATA' }
  /** `inbound` / `outbound`: the record's flow-direction */
  | { kind: 'direction'; direction: 'ingress' | 'egress' }
  /** `via ADDR|CIDR`: the interface-level srcaddr/dstaddr (the NAT/TGW hop) */
  | { kind: 'via'; block: AddressBlock };

export type RelOp = '>' | '<' | '>=' | '<=' | '==' | '!=';

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

export type Arith =
  | { kind: 'number'; value: number }
  /** `tcp[tcpflags]` / `tcp[13]`: the record's tcp-flags (absent for non-TCP records) */
  | { kind: 'tcpflags' }
  | { kind: 'binary'; op: ArithOp; left: Arith; right: Arith }
  | { kind: 'negate'; arg: Arith };

/** pcap's names for the TCP flag bits (pcap-filter(7), "tcp-fin" … "tcp-cwr"). */
export const TCP_FLAG_NAMES: Readonly<Record<string, number>> = {
  'tcp-fin': 0x01,
  'tcp-syn': 0x02,
  'tcp-rst': 0x04,
  'tcp-push': 0x08,
  'tcp-ack': 0x10,
  'tcp-urg': 0x20,
  'tcp-ece': 0x40,
  'tcp-cwr': 0x80,
};
