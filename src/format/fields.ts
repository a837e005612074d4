/**
 * The complete VPC Flow Logs field catalog: every field AWS documents, with the
 * version that introduced it, its Parquet type and how flowdump parses it.
 * Source: https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html
 * (transit gateway fields: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html).
 *
 * The list is open-ended: AWS adds fields. Parsing always follows the format the
 * data declares (header line or the flow log's LogFormat), so an unknown field in a
 * header is carried as text; only a `${field}` template typed by a user is checked
 * against this catalog.
 */

/** How a value is validated and typed when read from text. */
export type FieldKind =
  | 'int' // non-negative integer or '-'
  | 'addr' // IPv4/IPv6 address or '-'
  | 'text';

export interface FieldSpec {
  name: string;
  /** flow-log version that introduced the field */
  version: number;
  parquet: 'INT_32' | 'INT_64' | 'STRING';
  kind: FieldKind;
  /**
   * Typical width in bytes of the text value in an OK record over IPv4, used for size
   * estimates (src/cost/record-size.ts). Checked against real records: docs/cost.md.
   * Ports are 4: one side is an ephemeral port (5 digits), the other a service port
   * (2–4), measured mean 4.0–4.1 over the public real-traffic sample.
   */
  width: number;
  /** transit gateway flow logs only */
  tgw?: boolean;
  /** the version AWS assigns is not confirmed on a primary AWS page */
  versionUnverified?: boolean;
  description: string;
}

const f = (
  name: string,
  version: number,
  parquet: FieldSpec['parquet'],
  kind: FieldKind,
  width: number,
  description: string,
  extra: Partial<FieldSpec> = {},
): FieldSpec => ({ name, version, parquet, kind, width, description, ...extra });

export const FIELDS: readonly FieldSpec[] = [
  // version 2 (the default format, in this order)
  f('version', 2, 'INT_32', 'int', 1, 'flow log version: 2 for the default format, else the highest version among the fields'),
  f('account-id', 2, 'STRING', 'text', 12, 'AWS account that owns the source network interface (may be "unknown")'),
  f('interface-id', 2, 'STRING', 'text', 21, 'network interface the traffic was recorded on'),
  f('srcaddr', 2, 'STRING', 'addr', 12, 'source address as seen by the interface (its primary private IPv4 for its own traffic)'),
  f('dstaddr', 2, 'STRING', 'addr', 12, 'destination address as seen by the interface'),
  f('srcport', 2, 'INT_32', 'int', 4, 'source port (0 or - for non-TCP/UDP)'),
  f('dstport', 2, 'INT_32', 'int', 4, 'destination port (0 or - for non-TCP/UDP)'),
  f('protocol', 2, 'INT_32', 'int', 1, 'IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6)'),
  f('packets', 2, 'INT_64', 'int', 2, 'packets in the aggregation window'),
  f('bytes', 2, 'INT_64', 'int', 4, 'bytes in the aggregation window'),
  f('start', 2, 'INT_64', 'int', 10, 'Unix seconds of the first packet in the window'),
  f('end', 2, 'INT_64', 'int', 10, 'Unix seconds of the last packet in the window'),
  f('action', 2, 'STRING', 'text', 6, 'ACCEPT or REJECT (security group / network ACL, or packets after the connection closed)'),
  f('log-status', 2, 'STRING', 'text', 2, 'OK, NODATA (no traffic in the window) or SKIPDATA (records skipped)'),
  // version 3
  f('vpc-id', 3, 'STRING', 'text', 21, 'VPC of the network interface'),
  f('subnet-id', 3, 'STRING', 'text', 24, 'subnet of the network interface'),
  f('instance-id', 3, 'STRING', 'text', 19, 'instance of the network interface (- for requester-managed interfaces)'),
  f('tcp-flags', 3, 'INT_32', 'int', 1, 'OR of TCP flags in the window: FIN 1, SYN 2, RST 4, SYN-ACK 18'),
  f('type', 3, 'STRING', 'text', 4, 'IPv4, IPv6 or EFA'),
  f('pkt-srcaddr', 3, 'STRING', 'addr', 12, 'packet-level source address (the real sender behind NAT/TGW/secondary IPs)'),
  f('pkt-dstaddr', 3, 'STRING', 'addr', 12, 'packet-level destination address'),
  // version 4
  f('region', 4, 'STRING', 'text', 9, 'region of the network interface'),
  f('az-id', 4, 'STRING', 'text', 8, 'Availability Zone id (- for sublocations)'),
  f('sublocation-type', 4, 'STRING', 'text', 1, 'wavelength, outpost or localzone; - otherwise'),
  f('sublocation-id', 4, 'STRING', 'text', 1, 'id of the sublocation; - otherwise'),
  // version 5
  f('pkt-src-aws-service', 5, 'STRING', 'text', 1, 'AWS service (ip-ranges subset) of pkt-srcaddr, e.g. S3'),
  f('pkt-dst-aws-service', 5, 'STRING', 'text', 1, 'AWS service (ip-ranges subset) of pkt-dstaddr'),
  f('flow-direction', 5, 'STRING', 'text', 7, 'ingress or egress, relative to the interface'),
  f('traffic-path', 5, 'INT_32', 'int', 1, 'egress path: 1 same VPC, 2 IGW/gateway endpoint, 3 VGW, 4 intra-region peering, 5 inter-region peering, 6 local gateway, 7 gateway VPCE, 8 IGW (Nitro)'),
  // version 7 (ECS; need ecs:List* permissions and at least one ECS cluster). Widths are for an
  // ENI of a running ECS task on EC2 (ARNs with a 12-digit account, us-east-1, a 15-character
  // cluster/service name, 32-hex task ids, 64-hex Docker ids); other ENIs write `-` (1 byte),
  // which src/cost/record-size.ts models with its `ecs: 'empty'` option.
  f('ecs-cluster-arn', 7, 'STRING', 'text', 58, 'ECS cluster ARN of the task'),
  f('ecs-cluster-name', 7, 'STRING', 'text', 15, 'ECS cluster name'),
  f('ecs-container-instance-arn', 7, 'STRING', 'text', 102, 'ECS container instance ARN (- on Fargate)'),
  f('ecs-container-instance-id', 7, 'STRING', 'text', 32, 'ECS container instance id (- on Fargate)'),
  f('ecs-container-id', 7, 'STRING', 'text', 64, 'Docker runtime id of the container'),
  f('ecs-second-container-id', 7, 'STRING', 'text', 64, 'Docker runtime id of a second container'),
  f('ecs-service-name', 7, 'STRING', 'text', 15, 'ECS service name'),
  f('ecs-task-definition-arn', 7, 'STRING', 'text', 69, 'ECS task definition ARN'),
  f('ecs-task-arn', 7, 'STRING', 'text', 88, 'ECS task ARN'),
  f('ecs-task-id', 7, 'STRING', 'text', 32, 'ECS task id'),
  // version 8
  f('reject-reason', 8, 'STRING', 'text', 1, 'why traffic was rejected, e.g. BPA (VPC Block Public Access); - otherwise'),
  // newer fields whose version number AWS does not state where we could check
  f('resource-id', 9, 'STRING', 'text', 21, 'resource the traffic is attributed to (regional NAT gateway era)', { versionUnverified: true }),
  f('encryption-status', 10, 'INT_32', 'int', 1, 'VPC Encryption Controls: 0 none, 1 Nitro, 2 application, 3 both', { versionUnverified: true }),
  // version 6: transit gateway flow logs
  f('resource-type', 6, 'STRING', 'text', 14, 'TransitGateway or TransitGatewayAttachment', { tgw: true }),
  f('tgw-id', 6, 'STRING', 'text', 21, 'transit gateway id', { tgw: true }),
  f('tgw-attachment-id', 6, 'STRING', 'text', 26, 'transit gateway attachment id', { tgw: true }),
  f('tgw-src-vpc-account-id', 6, 'STRING', 'text', 12, 'account of the source VPC', { tgw: true }),
  f('tgw-dst-vpc-account-id', 6, 'STRING', 'text', 12, 'account of the destination VPC', { tgw: true }),
  f('tgw-src-vpc-id', 6, 'STRING', 'text', 21, 'source VPC', { tgw: true }),
  f('tgw-dst-vpc-id', 6, 'STRING', 'text', 21, 'destination VPC', { tgw: true }),
  f('tgw-src-subnet-id', 6, 'STRING', 'text', 24, 'source subnet', { tgw: true }),
  f('tgw-dst-subnet-id', 6, 'STRING', 'text', 24, 'destination subnet', { tgw: true }),
  f('tgw-src-eni', 6, 'STRING', 'text', 21, 'source transit gateway attachment interface', { tgw: true }),
  f('tgw-dst-eni', 6, 'STRING', 'text', 21, 'destination transit gateway attachment interface', { tgw: true }),
  f('tgw-src-az-id', 6, 'STRING', 'text', 8, 'source Availability Zone id', { tgw: true }),
  f('tgw-dst-az-id', 6, 'STRING', 'text', 8, 'destination Availability Zone id', { tgw: true }),
  f('tgw-pair-attachment-id', 6, 'STRING', 'text', 26, 'attachment of the other direction of the flow', { tgw: true }),
  f('packets-lost-no-route', 6, 'INT_64', 'int', 1, 'packets lost: no route', { tgw: true }),
  f('packets-lost-blackhole', 6, 'INT_64', 'int', 1, 'packets lost: blackhole route', { tgw: true }),
  f('packets-lost-mtu-exceeded', 6, 'INT_64', 'int', 1, 'packets lost: MTU exceeded', { tgw: true }),
  f('packets-lost-ttl-expired', 6, 'INT_64', 'int', 1, 'packets lost: TTL expired', { tgw: true }),
];

const BY_NAME = new Map(FIELDS.map((spec) => [spec.name, spec]));

export function fieldSpec(name: string): FieldSpec | undefined {
  return BY_NAME.get(name);
}

export function isKnownField(name: string): boolean {
  return BY_NAME.has(name);
}

/** The default (version 2) format, in the order AWS writes it. */
export const DEFAULT_FIELDS: readonly string[] = FIELDS.filter((spec) => spec.version === 2).map((spec) => spec.name);

/**
 * Fields the analyzer validates as numbers (docs/analyzer.md, Reading): a record whose value
 * in one of these is neither a number nor `-` is malformed.
 */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'version', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'packets', 'bytes', 'start', 'end',
]);

/** Address fields: a value that is neither an IP nor `-` makes the record malformed. */
export const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']);

/** Fields of a record that say where the traffic went; all `-` means a NODATA-like record. */
export const FLOW_FIELDS: readonly string[] = ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'pkt-srcaddr', 'pkt-dstaddr'];
