import { describe, expect, test } from 'vitest';
import { createTableSql, locateKey, partitionFilter, tableName } from '../../src/athena/table.js';

const FIELDS = ['version', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'tcp-flags', 'start', 'end', 'action', 'log-status'];

describe('the Athena table over the four S3 key layouts', () => {
  const cases = [
    ['vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/f.log.gz', 'vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/', 'yyyy/MM/dd', 'DAYS'],
    ['vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/13/f.log.gz', 'vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/', 'yyyy/MM/dd/HH', 'HOURS'],
    ['vpc/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=05/day=01/f.log.gz', 'vpc/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/', `"'year='yyyy'/month='MM'/day='dd"`, 'DAYS'],
    ['vpc/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=05/day=01/hour=13/f.log.parquet', 'vpc/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-west-1/', `"'year='yyyy'/month='MM'/day='dd'/hour='HH"`, 'HOURS'],
  ] as const;
  for (const [key, base, format, unit] of cases) {
    test(key, () => {
      const location = locateKey('bkt', key, 'vpc/')!;
      expect(location.base).toBe(base);
      const ddl = createTableSql(location, FIELDS);
      expect(ddl).toContain(`'storage.location.template'='s3://bkt/${base}\${dt}/'`);
      expect(ddl).toContain(`'projection.dt.format'=${format.startsWith('"') ? format : `'${format}'`}`);
      expect(ddl).toContain(`'projection.dt.interval.unit'='${unit}'`);
      expect(ddl).toContain('`tcp_flags` int');
      expect(ddl).toContain('`end` bigint');
      expect(ddl).toContain('`interface_id` string');
      if (key.endsWith('.parquet')) {
        expect(ddl).toContain('STORED AS PARQUET');
        expect(ddl).not.toContain('skip.header.line.count');
      } else {
        expect(ddl).toContain("FIELDS TERMINATED BY ' '");
        expect(ddl).toContain("'skip.header.line.count'='1'");
      }
      expect(ddl).not.toMatch(/MSCK|ADD PARTITION/);
    });
  }

  test('a prefix that names a day reads only that day; the table name is stable per location and columns', () => {
    const location = locateKey('bkt', 'AWSLogs/1/vpcflowlogs/eu-west-1/2026/05/01/f.log.gz', 'AWSLogs/1/vpcflowlogs/eu-west-1/2026/05/01/')!;
    expect(partitionFilter(location, {})).toBe("dt LIKE '2026/05/01%'");
    expect(tableName(location, FIELDS)).toBe(tableName({ ...location }, FIELDS));
    expect(tableName(location, FIELDS)).not.toBe(tableName(location, FIELDS.slice(1)));
    expect(tableName(location, FIELDS)).toMatch(/^flows_bkt_[0-9a-f]{8}$/);
    // headerless text: no line skipped, and a table of its own
    expect(createTableSql(location, FIELDS, { header: false })).not.toContain('skip.header.line.count');
    expect(tableName(location, FIELDS, false)).not.toBe(tableName(location, FIELDS));
  });
});
