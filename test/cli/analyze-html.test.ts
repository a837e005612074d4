import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLE = join(ROOT, 'examples', 'incident-capture');
const SMALL = join(ROOT, 'test', 'fixtures', 'report-small.log');
const dir = mkdtempSync(join(tmpdir(), 'flowdump-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(stdin: Uint8Array[] = []): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    stdin: (async function* () {
      yield* stdin;
    })(),
    env: { NO_COLOR: '1' },
    out: () => out,
    err: () => err,
  };
}

const figures = (html: string) => html.match(/<figure class="ladder-figure"/g)?.length ?? 0;

describe('flowdump analyze --html', () => {
  it('writes the report beside the usual text summary and says where', async () => {
    const path = join(dir, 'report.html');
    const cli = io();
    expect(await main(['analyze', EXAMPLE, '--html', path], cli)).toBe(0);
    expect(cli.out()).toContain('VERDICT');
    expect(cli.err()).toBe(`HTML report written to ${path} (10 ladder diagrams); open it in a browser\n`);
    const html = readFileSync(path, 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<svg id="timeline-chart"');
    expect(figures(html)).toBe(10);
  });

  it('keeps stdout one JSON document under --json', async () => {
    const path = join(dir, 'json.html');
    const cli = io();
    expect(await main(['analyze', SMALL, '--json', '--html', path], cli)).toBe(0);
    expect(JSON.parse(cli.out()).schema).toBe('flowdump.summary/v1');
    expect(cli.err()).toBe('');
    expect(figures(readFileSync(path, 'utf8'))).toBe(4);
  });

  it('draws ladders from stdin too, by keeping a bounded copy of it', async () => {
    const path = join(dir, 'stdin.html');
    const cli = io([readFileSync(SMALL)]);
    expect(await main(['analyze', '-', '--html', path], cli)).toBe(0);
    const html = readFileSync(path, 'utf8');
    expect(figures(html)).toBe(4);
    expect(html).toContain('<code>-</code>');
  });

  it('refuses a path in a missing folder before reading anything, in one sentence', async () => {
    const cli = io();
    const code = await main(['analyze', EXAMPLE, '--html', join(dir, 'missing', 'report.html')], cli);
    expect(code).toBe(2);
    expect(cli.err()).toBe(`flowdump: --html ${join(dir, 'missing', 'report.html')}: the folder ${join(dir, 'missing')} does not exist; create it or pick another path\n`);
    expect(cli.out()).toBe('');
    expect(readdirSync(dir)).not.toContain('missing');
  });

  it('refuses a directory as the report path', async () => {
    const cli = io();
    expect(await main(['analyze', SMALL, '--html', dir], cli)).toBe(2);
    expect(cli.err()).toMatch(/is a directory; give a file name such as .*\/report\.html\n$/);
  });
});
