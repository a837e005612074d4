import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MIXED } from '../helpers/records.js';

/** These run the built CLI (`npm test` builds first), as a user would. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'flowdump');
const EXAMPLE = 'examples/incident-capture';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status\n';

function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...options.env },
    maxBuffer: 64 << 20,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs a shell command line whose stdin is an endless flow log (a SYN a second), until it exits. */
function runWithEndlessStdin(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', command], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdin.on('error', () => {}); // EPIPE once the reader is gone: that is the point
    let second = 0;
    let open = true;
    const feed = () => {
      while (open) {
        let chunk = '';
        for (let k = 0; k < 500; k++, second++) {
          const t = 1796025600 + second;
          chunk += `5 eni-0a1b2c3d4e5f60718 egress 10.0.1.10 ${40000 + (second % 20000)} 10.0.2.20 5432 10.0.1.10 10.0.2.20 6 2 1 60 ${t} ${t} ACCEPT OK\n`;
        }
        if (!child.stdin.write(chunk)) {
          child.stdin.once('drain', feed);
          return;
        }
      }
    };
    child.stdin.write(HEADER);
    feed();
    child.on('close', (code) => {
      open = false;
      resolve({ code, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'flowdump-show-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('flowdump show (built CLI)', () => {
  it('-c N prints N tcpdump-style lines', () => {
    const { code, stdout, stderr } = run(['show', EXAMPLE, '-c', '5']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^\d\d:\d\d:\d\d (IP6? |NODATA |SKIPDATA )/);
    expect(stdout).not.toContain('\u001b['); // not a TTY: no colour
  });

  it('--json is NDJSON: one object per record, the same records analyze counts', () => {
    const { code, stdout } = run(['show', EXAMPLE, '--json']);
    expect(code).toBe(0);
    const objects = stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    const summary = JSON.parse(run(['analyze', EXAMPLE, '--json']).stdout);
    expect(objects).toHaveLength(summary.records.total);
    const count = (kinds: string[]) => objects.filter((o) => kinds.includes(o.flowdump.kind)).length;
    expect(count(['tcp'])).toBe(summary.records.tcp);
    expect(count(['udp'])).toBe(summary.records.udp);
    expect(count(['icmp', 'icmp6'])).toBe(summary.records.icmp);
    expect(count(['nodata'])).toBe(summary.records.nodata);
    expect(count(['skipdata'])).toBe(summary.records.skipdata);
    const first = objects.find((o) => o.flowdump.kind === 'tcp');
    expect(first).toMatchObject({ protocol: 6, flowdump: { ip: 4, connection: expect.stringMatching(/^[0-9a-f]{8}$/) } });
    expect(typeof first['interface-id']).toBe('string');
  });

  it('filters with a tcpdump expression given as several words or one', () => {
    const words = run(['show', EXAMPLE, 'dst', 'port', '6379', 'and', 'tcp[tcpflags]', '&', 'tcp-syn', '!=', '0', '--json']);
    const quoted = run(['show', EXAMPLE, 'dst port 6379 and tcp[tcpflags] & tcp-syn != 0', '--json']);
    expect(words.code).toBe(0);
    expect(words.stdout).toBe(quoted.stdout);
    const objects = words.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      expect(o.dstport).toBe(6379);
      expect(o['tcp-flags'] & 2).toBe(2);
    }
  });

  it('a bad expression gets one line naming the column, and exit code 2', () => {
    const { code, stdout, stderr } = run(['show', EXAMPLE, 'port', 'htp']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('flowdump: bad filter at column 6: expected a port number after "port", found "htp"; unknown service name; give the number\n');
  });

  it('| head ends it quietly, and it stops reading its endless input', async () => {
    const { code, stdout, stderr } = await runWithEndlessStdin(`set -o pipefail; node ${JSON.stringify(BIN)} show - --window 60s | head -n 2`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout.trimEnd().split('\n')).toEqual([
      '08:00:00 IP 10.0.1.10.40000 > 10.0.2.20.5432: Flags [S], 1 packet, 60 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress',
      '08:00:01 IP 10.0.1.10.40001 > 10.0.2.20.5432: Flags [S], 1 packet, 60 bytes, ACCEPT, eni-0a1b2c3d4e5f60718 egress',
    ]);
  });

  it('-c stops reading an endless input', async () => {
    const { code, stdout, stderr } = await runWithEndlessStdin(`node ${JSON.stringify(BIN)} show - -c 3 -tt --json`);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.trimEnd().split('\n').map((line) => JSON.parse(line).start)).toEqual([1796025600, 1796025601, 1796025602]);
  });

  it('-tttt prints the date, -t none', () => {
    expect(run(['show', EXAMPLE, '-c', '1', '-tttt']).stdout).toMatch(/^2026-11-30 08:00:00 NODATA /);
    expect(run(['show', EXAMPLE, '-c', '1', '-t']).stdout).toMatch(/^NODATA /);
  });

  it('colours only when asked for a TTY-like output, never under NO_COLOR', () => {
    const coloured = run(['show', EXAMPLE, 'action', 'reject', '-c', '1'], { env: { FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\u001b[31mREJECT\u001b[39m');
    const plain = run(['show', EXAMPLE, 'action', 'reject', '-c', '1'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    expect(plain.stdout).not.toContain('\u001b[');
  });

  it('a file named like a filter word is refused as ambiguous; ./name, -- and -r resolve it', () => {
    copyFileSync(MIXED, join(tmp, 'tcp'));
    const ambiguous = run(['show', 'tcp'], { cwd: tmp });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('"tcp" is both a file here and a filter word');
    const all = run(['show', './tcp', '-t'], { cwd: tmp });
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(24);
    const dashed = run(['show', '-t', 'tcp', '--', 'tcp'], { cwd: tmp });
    const read = run(['show', '-r', 'tcp', 'tcp', '-t'], { cwd: tmp });
    expect(dashed.stdout.trimEnd().split('\n')).toHaveLength(15);
    expect(read.stdout).toBe(dashed.stdout);
  });

  it('needs a source', () => {
    expect(run(['show']).stderr).toBe('flowdump: give at least one source: a file, a directory, s3://…, logs:… or - for stdin\n');
    expect(run(['show', 'port', '80']).stderr).toBe('flowdump: give a source before the filter expression: a file, a directory, s3://…, logs:… or - for stdin\n');
  });

  it('a mistyped source is reported as a missing file, not as a filter', () => {
    const { code, stderr } = run(['show', 'capture.lgo']);
    expect(code).toBe(2);
    expect(stderr).toBe('flowdump: no such file or directory: capture.lgo; check the path (a filter expression starts with a word such as host, port or tcp)\n');
  });

  it('a quoted expression with a bad value gets the filter\'s own error, with its column', () => {
    for (const command of ['show', 'analyze']) {
      const { code, stderr } = run([command, EXAMPLE, 'port 99999']);
      expect(code, command).toBe(2);
      expect(stderr, command).toBe('flowdump: bad filter at column 6: expected a port number (0-65535) after "port", found "99999"\n');
    }
    const grouped = run(['show', EXAMPLE, '(host 10.0.0.999)']);
    expect(grouped.code).toBe(2);
    expect(grouped.stderr).toBe('flowdump: bad filter at column 7: expected an IP address after "host", found "10.0.0.999"\n');
  });

  it('--connection prints the records, then the verdict analyze gives', () => {
    const summary = JSON.parse(run(['analyze', EXAMPLE, '--json']).stdout);
    const refused = summary.failures.find((f: { class: string }) => f.class === 'refused');
    const text = run(['show', EXAMPLE, '--connection', refused.id]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`verdict refused  ${refused.id}`);
    expect(text.stdout).toContain(`rule: ${refused.rule}`);
    const json = run(['show', EXAMPLE, '--connection', refused.id, '--json']).stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    const verdict = json.pop();
    expect(verdict.flowdump).toEqual({ kind: 'verdict', ...refused });
    expect(json).toHaveLength(refused.records);
    expect(json.every((o) => o.flowdump.connection === refused.id)).toBe(true);
    const missing = run(['show', EXAMPLE, '--connection', '00000000']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no connection 00000000 in the input');
  });
});

describe('flowdump analyze <expression> (built CLI)', () => {
  it('focuses the summary and says so', () => {
    const { code, stdout } = run(['analyze', EXAMPLE, 'port', '5432', '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.filter).toBe('port 5432');
    expect(summary.tcp.connections).toBe(154);
    expect(run(['analyze', EXAMPLE, 'port 5432']).stdout).toContain('filter: port 5432');
    expect(run(['analyze', EXAMPLE, 'port 5432', '--markdown']).stdout).toContain('Filter: `port 5432`');
  });

  it('rejects a bad expression with exit code 2', () => {
    const { code, stderr } = run(['analyze', EXAMPLE, 'tcp', 'and']);
    expect(code).toBe(2);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(stderr).toContain('bad filter at column 8');
  });
});
