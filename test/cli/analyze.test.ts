import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onlyJson, runCli } from './run-cli.js';

const truth = JSON.parse(readFileSync(new URL('../fixtures/incident-capture.truth.json', import.meta.url), 'utf8'));
const ANSI = /\u001b\[/;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('flowdump analyze (built CLI)', () => {
  it("the bundled example's verdict equals the generator's ground truth", async () => {
    const run = await runCli(['analyze', 'examples/incident-capture', '--json']);
    expect(run.code).toBe(0);
    const summary = onlyJson(run.stdout);
    expect(summary.schema).toBe('flowdump.summary/v1');
    const { established, refused, unanswered, rejected, midstream, reset, closed, connections } = summary.tcp;
    expect({ established, refused, unanswered, rejected, midstream, reset, closed, connections }).toEqual({
      established: truth.established, refused: truth.refused, unanswered: truth.unanswered, rejected: truth.rejected,
      midstream: truth.midstream, reset: truth.reset, closed: truth.closed, connections: truth.connections,
    });
    expect(summary.tcp.classified).toBe(true);
    expect(summary.records).toMatchObject({ total: truth.records, udp: truth.udp, icmp: truth.icmp, nodata: truth.nodata, skipdata: truth.skipdata, malformed: 0 });
    expect(run.stderr).toBe('');
  });

  it('text output on a pipe has no ANSI codes, and leads with the verdict', async () => {
    const run = await runCli(['analyze', 'examples/incident-capture']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(ANSI);
    expect(run.stdout).toMatch(/^VERDICT {2}36 of 244 TCP connection\(s\) failed to open/m);
    expect(run.stdout).toContain('refused                9');
  });

  it('FORCE_COLOR turns colour on, and NO_COLOR wins over it', async () => {
    const forced = await runCli(['analyze', 'examples/incident-capture'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    const none = await runCli(['analyze', 'examples/incident-capture'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(none.stdout).not.toMatch(ANSI);
  });

  it('--markdown prints a ticket-ready summary', async () => {
    const run = await runCli(['analyze', 'examples/incident-capture', '--markdown']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^### flowdump: TCP handshake summary/);
    expect(run.stdout).toContain(`| established | ${truth.established} (reset ${truth.reset}, closed ${truth.closed}) |`);
    expect(run.stdout).toContain(`| refused | ${truth.refused} |`);
    expect(run.stdout).toContain(`| **total** | ${truth.connections} |`);
    expect(run.stdout).not.toMatch(ANSI);
  });

  it('- reads stdin', async () => {
    const input = readFileSync(new URL('../fixtures/aws-doc/example-tcp-flag.log', import.meta.url));
    const run = await runCli(['analyze', '-', '--json'], { input });
    expect(run.code).toBe(0);
    expect(onlyJson(run.stdout).tcp).toMatchObject({ connections: 3, established: 3, closed: 2 });
  });

  it('a truncated gzip exits 4; the summary of what was read is still printed, with the error', async () => {
    const run = await runCli(['analyze', 'test/fixtures/gzip/truncated.log.gz', '--json']);
    expect(run.code).toBe(4);
    const summary = onlyJson(run.stdout);
    expect(summary.schema).toBe('flowdump.summary/v1');
    expect(summary.errors[0].code).toBe('truncated-gzip');
    expect(summary.records.total).toBeGreaterThan(0);
    const text = await runCli(['analyze', 'test/fixtures/gzip/truncated.log.gz']);
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/INCOMPLETE: test\/fixtures\/gzip\/truncated\.log\.gz is a truncated gzip file \(it ends mid-stream; \d+ records read before it are counted\)/);
    expect(text.stdout + text.stderr).not.toMatch(STACK);
  });

  it('data without tcp-flags says plainly that handshakes cannot be judged', async () => {
    const run = await runCli(['analyze', 'test/fixtures/aws-doc/example-accepted-rejected.log']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('handshakes cannot be judged');
  });
});

describe('inputs with nothing to classify', () => {
  it('input whose every line is malformed: exit 4, and the summary says why in one sentence', async () => {
    const junk = 'this is not a flow log\nnor is this line\n';
    const text = await runCli(['analyze', '-'], { input: junk });
    expect(text.code).toBe(4);
    expect(text.stdout).toMatch(/^VERDICT {2}no well-formed flow-log records: all 2 line\(s\) are malformed \(wrong format\? see --log-format\)$/m);
    expect(text.stdout + text.stderr).not.toMatch(STACK);
    const json = await runCli(['analyze', '-', '--json'], { input: junk });
    expect(json.code).toBe(4);
    expect(onlyJson(json.stdout).records).toMatchObject({ total: 2, malformed: 2 });
  });

  it('an empty input, or a capture that saw no traffic (NODATA only), is an answer: exit 0', async () => {
    const empty = await runCli(['analyze', '-', '--json'], { input: '' });
    expect(empty.code).toBe(0);
    expect(onlyJson(empty.stdout).records.total).toBe(0);
    const quiet = await runCli(['analyze', 'test/fixtures/aws-doc/example-no-data.log', '--json']);
    expect(quiet.code).toBe(0);
    expect(onlyJson(quiet.stdout).records).toMatchObject({ malformed: 0 });
    expect(onlyJson(quiet.stdout).records.nodata).toBeGreaterThan(0);
  });
});

describe('errors', () => {
  const cases: [string, string[], RegExp, string][] = [
    ['an unknown flag', ['analyze', 'examples/incident-capture', '--bogus'], /unknown option '--bogus'/, 'usage'],
    ['a missing file', ['analyze', 'no-such-capture.log.gz'], /no such file or directory: no-such-capture\.log\.gz/, 'no-such-file'],
    ['an unknown field in --log-format', ['analyze', 'examples/incident-capture', '--log-format', '${srcaddr} ${tcp-flag}'], /unknown field "tcp-flag" in --log-format: did you mean \$\{tcp-flags\}/, 'format-unknown-field'],
    ['a bad --top', ['analyze', 'examples/incident-capture', '--top', 'many'], /--top must be a positive whole number, not "many"/, 'usage'],
    ['an unknown command', ['anaylze', 'x'], /unknown command 'anaylze' \(did you mean analyze\?\); see flowdump --help/, 'usage'],
  ];

  for (const [what, args, message, code] of cases) {
    it(`${what}: exit 2, one sentence on stderr, no stack trace`, async () => {
      const run = await runCli(args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(STACK);
    });

    it(`${what} with --json: stdout is exactly one flowdump.error/v1 document`, async () => {
      const run = await runCli([...args, '--json']);
      expect(run.code).toBe(2);
      const document = onlyJson(run.stdout);
      expect(document).toMatchObject({ schema: 'flowdump.error/v1', error: { code, exitCode: 2 } });
      expect(document.error.message).toMatch(message);
    });
  }

  it('--json with --markdown is a usage error, reported as JSON', async () => {
    const run = await runCli(['analyze', 'examples/incident-capture', '--markdown', '--json']);
    expect(run.code).toBe(2);
    expect(onlyJson(run.stdout)).toMatchObject({ schema: 'flowdump.error/v1', error: { code: 'usage', exitCode: 2, message: expect.stringContaining('cannot be combined') } });
  });

  it('--debug adds the stack trace', async () => {
    const run = await runCli(['analyze', 'examples/incident-capture', '--log-format', '${srcadr}', '--debug']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(STACK);
  });

  it('no arguments prints the help and exits 2; --help exits 0', async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: flowdump');
    const help = await runCli(['analyze', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--log-format');
  });
});
