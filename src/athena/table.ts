import { UsageError } from '../errors.js';
import { fnv1a, FNV_OFFSET } from '../hash.js';
import { athenaColumns } from './columns.js';

/**
 * Where flow logs sit in S3, and the Athena table over them. S3 delivery writes one of four key
 * layouts (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html):
 *   …/AWSLogs/<account>/vpcflowlogs/<region>/2026/05/01/…                (plain, daily)
 *   …/AWSLogs/<account>/vpcflowlogs/<region>/2026/05/01/13/…             (plain, per hour)
 *   …/AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=2026/month=05/day=01/…
 *   … the same with /hour=13/                                            (Hive-style)
 * The table projects one partition column, `dt`, over the date part of the key
 * (partition projection: https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html),
 * so no partition is ever added or repaired; a query's window picks the partitions it reads.
 */
export type KeyLayout = 'plain-daily' | 'plain-hourly' | 'hive-daily' | 'hive-hourly';

export interface DataLocation {
  bucket: string;
  /** the key prefix up to (not including) the date part, ending in `/` */
  base: string;
  layout: KeyLayout;
  /** the date part of the prefix the user gave, when it named one (a day or an hour) */
  within?: string;
  parquet: boolean;
}

const LAYOUTS: { layout: KeyLayout; pattern: RegExp; format: string; unit: 'DAYS' | 'HOURS' }[] = [
  { layout: 'hive-hourly', pattern: /^(.*?\/)(year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2})\//, format: "'year='yyyy'/month='MM'/day='dd'/hour='HH", unit: 'HOURS' },
  { layout: 'hive-daily', pattern: /^(.*?\/)(year=\d{4}\/month=\d{2}\/day=\d{2})\//, format: "'year='yyyy'/month='MM'/day='dd", unit: 'DAYS' },
  { layout: 'plain-hourly', pattern: /^(.*?vpcflowlogs\/[a-z0-9-]+\/)(\d{4}\/\d{2}\/\d{2}\/\d{2})\//, format: 'yyyy/MM/dd/HH', unit: 'HOURS' },
  { layout: 'plain-daily', pattern: /^(.*?vpcflowlogs\/[a-z0-9-]+\/)(\d{4}\/\d{2}\/\d{2})\//, format: 'yyyy/MM/dd', unit: 'DAYS' },
];

/** The layout of a flow-log object key, and the key's prefix before the date. */
export function locateKey(bucket: string, key: string, prefix: string): DataLocation | undefined {
  for (const { layout, pattern } of LAYOUTS) {
    const match = pattern.exec(key);
    if (!match) continue;
    const base = match[1];
    const date = match[2];
    // the part of the date the prefix already fixes (a user who points at one day means that day)
    const within = prefix.length > base.length ? prefix.slice(base.length).replace(/\/$/, '') : undefined;
    return { bucket, base, layout, within: within && date.startsWith(within) ? within : undefined, parquet: /\.parquet$/i.test(key) };
  }
  return undefined;
}

export function layoutOf(location: DataLocation) {
  return LAYOUTS.find((entry) => entry.layout === location.layout)!;
}

/** The date-part text of a time in a layout (as the `dt` column holds it). */
export function dateText(layout: KeyLayout, seconds: number): string {
  const d = new Date(seconds * 1000);
  const [y, m, day, h] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours()].map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0'));
  switch (layout) {
    case 'plain-daily':
      return `${y}/${m}/${day}`;
    case 'plain-hourly':
      return `${y}/${m}/${day}/${h}`;
    case 'hive-daily':
      return `year=${y}/month=${m}/day=${day}`;
    case 'hive-hourly':
      return `year=${y}/month=${m}/day=${day}/hour=${h}`;
  }
}

/** A stable table name per location and columns: the same prefix reuses its table. */
export function tableName(location: DataLocation, fields: readonly string[], header = true): string {
  const kind = location.parquet ? 'parquet' : header ? 'text' : 'text-headerless';
  const hash = fnv1a(FNV_OFFSET, `s3://${location.bucket}/${location.base} ${location.layout} ${kind} ${fields.join(' ')}`);
  return `flows_${location.bucket.replace(/[^a-z0-9]/g, '_').slice(0, 40)}_${hash.toString(16).padStart(8, '0')}`;
}

export const DATABASE = 'flowdump';

export function createDatabaseSql(): string {
  return `CREATE DATABASE IF NOT EXISTS ${DATABASE}`;
}

/**
 * `CREATE EXTERNAL TABLE IF NOT EXISTS` over the location: columns by position from the data's
 * header (names and types as in AWS's DDL), text with one space between fields and the header
 * line skipped (`header: false`, headerless text with --log-format: no line skipped), or Parquet;
 * `dt` projected over the layout's dates from 2006 (before VPC Flow Logs existed) to now.
 */
export function createTableSql(location: DataLocation, fields: readonly string[], options: { header?: boolean } = {}): string {
  if (fields.length === 0) throw new UsageError('no fields to make an Athena table of; give --log-format', { code: 'bad-format' });
  const { format, unit } = layoutOf(location);
  const columns = athenaColumns(fields)
    .map((column) => `  \`${column.name}\` ${column.type}`)
    .join(',\n');
  const storage = location.parquet
    ? 'STORED AS PARQUET'
    : "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '\nSTORED AS TEXTFILE";
  const start = location.layout.startsWith('hive') ? (unit === 'HOURS' ? 'year=2006/month=01/day=01/hour=00' : 'year=2006/month=01/day=01') : unit === 'HOURS' ? '2006/01/01/00' : '2006/01/01';
  const properties = [
    ...(location.parquet || options.header === false ? [] : ["'skip.header.line.count'='1'"]),
    "'projection.enabled'='true'",
    "'projection.dt.type'='date'",
    // a format with quoted literals ('year='yyyy…) goes in a double-quoted Hive string: no escaping needed
    format.includes("'") ? `'projection.dt.format'="${format}"` : `'projection.dt.format'='${format}'`,
    `'projection.dt.range'='${start},NOW'`,
    "'projection.dt.interval'='1'",
    `'projection.dt.interval.unit'='${unit}'`,
    `'storage.location.template'='s3://${location.bucket}/${location.base}\${dt}/'`,
  ];
  return `CREATE EXTERNAL TABLE IF NOT EXISTS ${DATABASE}.${tableName(location, fields, options.header !== false)} (
${columns}
)
PARTITIONED BY (\`dt\` string)
${storage}
LOCATION 's3://${location.bucket}/${location.base}'
TBLPROPERTIES (
  ${properties.join(',\n  ')}
)`;
}

/** The WHERE condition on `dt` for a time window, or the date the prefix names. */
export function partitionFilter(location: DataLocation, window: { since?: number; until?: number }): string | undefined {
  const parts: string[] = [];
  if (location.within) parts.push(`dt LIKE '${location.within.replace(/'/g, "''")}%'`);
  // delivery puts a record in the folder of the time its object was written, up to ~10 minutes (and an aggregation interval) after its end
  if (window.since !== undefined) parts.push(`dt >= '${dateText(location.layout, window.since - 3600)}'`);
  if (window.until !== undefined) parts.push(`dt <= '${dateText(location.layout, window.until + 3600)}'`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}
