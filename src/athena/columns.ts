import { FLOW_FIELDS } from '../format/fields.js';

/**
 * Athena's names and types for flow-log fields, as in AWS's own table DDL
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-athena.html): `-` becomes `_`,
 * counters and times are bigint, ports, flags and versions int, everything else string.
 */
const TYPES: Record<string, 'int' | 'bigint'> = {
  version: 'int',
  srcport: 'int',
  dstport: 'int',
  'tcp-flags': 'int',
  'traffic-path': 'int',
  protocol: 'bigint',
  packets: 'bigint',
  bytes: 'bigint',
  start: 'bigint',
  end: 'bigint',
};

export interface AthenaColumn {
  /** the flow-log field (`tcp-flags`) */
  field: string;
  /** Athena's column name (`tcp_flags`) */
  name: string;
  type: 'int' | 'bigint' | 'string';
}

export function athenaColumns(fields: readonly string[]): AthenaColumn[] {
  return fields.map((field) => ({ field, name: field.replace(/-/g, '_'), type: TYPES[field] ?? 'string' }));
}

/** The fields whose values all `-` make a NODATA record when the data has no `log-status` (as the local analyzer reads it). */
export const NODATA_FIELDS = FLOW_FIELDS;
