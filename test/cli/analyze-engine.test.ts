import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('analyze --concurrency / --engine: bad values', () => {
  const cases: [string, string[], RegExp][] = [
    ['--concurrency 0', ['analyze', 'examples/incident-capture', '--concurrency', '0'], /--concurrency must be a whole number from 1 to 256, not "0"/],
    ['--engine bigquery', ['analyze', 's3://bucket/AWSLogs/', '--engine', 'bigquery'], /--engine must be local, athena or auto, not "bigquery"/],
    ['--engine athena on a local folder', ['analyze', 'examples/incident-capture', '--engine', 'athena'], /--engine athena reads one S3 prefix \(s3:\/\/bucket\/prefix\) or one capture id, not examples\/incident-capture/],
    ['--max-scan-cost lots', ['analyze', 's3://bucket/AWSLogs/', '--engine', 'athena', '--max-scan-cost', 'lots'], /--max-scan-cost must be an amount in USD such as 0\.50, not "lots"/],
    ['--engine athena with --html into a missing folder', ['analyze', 's3://bucket/AWSLogs/', '--engine', 'athena', '--html', 'no-such-folder/report.html'], /--html no-such-folder\/report\.html: the folder .*no-such-folder does not exist; create it or pick another path/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2 and one sentence`, async () => {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('--engine auto on local files analyzes them here', async () => {
    const run = await runCli(['analyze', 'examples/incident-capture', '--engine', 'auto', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).engine).toBeUndefined();
    expect(JSON.parse(run.stdout).tcp.connections).toBe(244);
  });
});
