import { fieldSpec, FIELDS } from '../format/fields.js';

/**
 * Bytes per flow-log record for any format, from the fields' typical text widths
 * (FIELDS[].width in src/format/fields.ts). A text record is its values separated by one
 * space and ended by a newline, so every field costs its width + 1.
 *
 * Two record kinds matter for cost: an OK record (traffic seen) and a NODATA/SKIPDATA
 * record (one per interface and window without traffic), where every field that
 * describes traffic is `-`. Example shapes are on
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-records-examples.html.
 * Measured against real records in test/cost/record-size.test.ts and docs/cost.md.
 */

export type AddressFamily = 'ipv4' | 'ipv6';

export interface RecordSizeOptions {
  /** address family of the traffic (default ipv4); IPv6 text addresses are ~3× longer */
  addressFamily?: AddressFamily;
  /**
   * ECS fields (version 7): `filled` when the interfaces belong to running ECS tasks,
   * `empty` (`-`) otherwise. Default `filled`: the conservative choice.
   */
  ecs?: 'filled' | 'empty';
}

export interface RecordSizeResult {
  /** bytes of a typical OK record, newline included */
  ok: number;
  /** bytes of a NODATA record (log-status "NODATA", traffic fields `-`), newline included */
  nodata: number;
  addressFamily: AddressFamily;
  /** fields not in the catalog, counted at UNKNOWN_FIELD_WIDTH bytes */
  unknownFields: string[];
  /** what the figures assume, in words, for the estimate's assumptions list */
  assumptions: string[];
}

/**
 * Typical text width of an IPv6 address as AWS writes it: the address of an ENI in a
 * VPC /56 → /64 is 8 groups with leading zeros dropped, e.g.
 * `2001:db8:1234:a100:8d6e:3477:df66:f105` (38 characters, from the AWS example).
 */
export const IPV6_ADDRESS_WIDTH = 38;

/** A field flowdump does not know (a newer AWS field): assume an id-like value. */
export const UNKNOWN_FIELD_WIDTH = 8;

/**
 * Fields that keep their value in a NODATA/SKIPDATA record: identity and time. Every
 * other field is `-`, e.g. `2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA`
 * and the v3 example `3 vpc-… subnet-… i-… eni-… 123456789010 - - - - - - - - - - 1566848875 1566848933 - - NODATA`.
 */
const NODATA_KEPT = new Set([
  'version',
  'account-id',
  'interface-id',
  'vpc-id',
  'subnet-id',
  'instance-id',
  'region',
  'az-id',
  'sublocation-type',
  'sublocation-id',
  'start',
  'end',
  'resource-type',
  'tgw-id',
  'tgw-attachment-id',
]);

const ADDRESS_FIELDS = new Set(FIELDS.filter((spec) => spec.kind === 'addr').map((spec) => spec.name));
const ECS_FIELDS = new Set(FIELDS.filter((spec) => spec.name.startsWith('ecs-')).map((spec) => spec.name));

/** Width of one field's value in an OK record. */
function okWidth(name: string, options: Required<RecordSizeOptions>): number {
  if (ADDRESS_FIELDS.has(name) && options.addressFamily === 'ipv6') return IPV6_ADDRESS_WIDTH;
  if (ECS_FIELDS.has(name) && options.ecs === 'empty') return 1;
  if (name === 'type' && options.addressFamily === 'ipv6') return 4; // "IPv6", same as "IPv4"
  return fieldSpec(name)?.width ?? UNKNOWN_FIELD_WIDTH;
}

function nodataWidth(name: string, options: Required<RecordSizeOptions>): number {
  if (name === 'log-status') return 'NODATA'.length;
  if (NODATA_KEPT.has(name)) return fieldSpec(name)?.width ?? UNKNOWN_FIELD_WIDTH;
  if (!fieldSpec(name)) return UNKNOWN_FIELD_WIDTH;
  return 1; // `-`
}

/** Bytes per OK and NODATA record of a format (a field list, in any order). */
export function estimateRecordBytes(fields: readonly string[], options: RecordSizeOptions = {}): RecordSizeResult {
  const resolved: Required<RecordSizeOptions> = { addressFamily: options.addressFamily ?? 'ipv4', ecs: options.ecs ?? 'filled' };
  let ok = 0;
  let nodata = 0;
  const unknownFields: string[] = [];
  for (const name of fields) {
    if (!fieldSpec(name)) unknownFields.push(name);
    ok += okWidth(name, resolved) + 1;
    nodata += nodataWidth(name, resolved) + 1;
  }
  const assumptions: string[] = [];
  const addressFields = fields.filter((name) => ADDRESS_FIELDS.has(name));
  if (addressFields.length > 0) {
    const ipv4Width = fieldSpec(addressFields[0])?.width ?? 12;
    const delta = addressFields.reduce((sum, name) => sum + IPV6_ADDRESS_WIDTH - (fieldSpec(name)?.width ?? 12), 0);
    assumptions.push(
      resolved.addressFamily === 'ipv6'
        ? `IPv6 traffic: addresses counted at ${IPV6_ADDRESS_WIDTH} characters (IPv4 traffic would make each record ~${delta} bytes smaller)`
        : `IPv4 traffic: addresses counted at ${ipv4Width} characters (IPv6 traffic would add ~${delta} bytes per record)`,
    );
  }
  const ecsCount = fields.filter((name) => ECS_FIELDS.has(name)).length;
  if (ecsCount > 0) {
    const filled = fields.filter((name) => ECS_FIELDS.has(name)).reduce((sum, name) => sum + (fieldSpec(name)?.width ?? 1) - 1, 0);
    assumptions.push(
      resolved.ecs === 'filled'
        ? `ECS fields filled (interfaces of running ECS tasks on EC2); for other interfaces they are "-" and each record is ~${filled} bytes smaller`
        : `ECS fields empty ("-"): the interfaces are not ECS tasks; an ECS task interface adds ~${filled} bytes per record`,
    );
  }
  if (unknownFields.length > 0) {
    assumptions.push(`field(s) ${unknownFields.join(', ')} unknown to flowdump, counted at ${UNKNOWN_FIELD_WIDTH} bytes each`);
  }
  return { ok, nodata, addressFamily: resolved.addressFamily, unknownFields, assumptions };
}

/** Mean bytes per record of a mix of OK and NODATA records. */
export function meanRecordBytes(size: Pick<RecordSizeResult, 'ok' | 'nodata'>, okRecords: number, nodataRecords: number): number {
  const total = okRecords + nodataRecords;
  if (total === 0) return size.ok;
  return (okRecords * size.ok + nodataRecords * size.nodata) / total;
}
