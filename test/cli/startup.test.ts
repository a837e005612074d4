import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const TRACE = new URL('../helpers/trace-imports.mjs', import.meta.url).href;

/** The modules a run of the built CLI imported (packages by name, our own files by path under dist/). */
async function importsOf(args: string[]): Promise<{ code: number | null; modules: string[] }> {
  const run = await runCli(args, { env: { NODE_OPTIONS: `--import ${TRACE}` } });
  const modules = run.stderr
    .split('\n')
    .filter((line) => line.startsWith('imported '))
    .map((line) => line.slice('imported '.length).replace(/^.*\/node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1').replace(/^.*\/dist\//, 'dist/'));
  return { code: run.code, modules: [...new Set(modules)] };
}

// Start-up time is mostly module loading: these pin what each path must not load.
describe('start-up: a command loads only what it needs', () => {
  it('--version loads no command', async () => {
    const run = await importsOf(['--version']);
    expect(run.code).toBe(0);
    expect(run.modules.filter((name) => name.startsWith('dist/cli/commands/'))).toEqual([]);
  });

  it('analyze of a local file loads neither the AWS SDK, enquirer, hyparquet nor the HTML report code', async () => {
    const run = await importsOf(['analyze', 'examples/incident-capture', '--json']);
    expect(run.code).toBe(0);
    expect(run.modules).toContain('dist/cli/commands/analyze.js');
    const heavy = run.modules.filter((name) => /^@aws-sdk\/|^@smithy\/|^enquirer$|^hyparquet$|^dist\/report\/write-report\.js$|^dist\/cli\/commands\/(?!analyze)/.test(name));
    expect(heavy).toEqual([]);
  });

  it('list --help loads neither the AWS SDK nor enquirer', async () => {
    const run = await importsOf(['list', '--help']);
    expect(run.code).toBe(0);
    expect(run.modules.filter((name) => /^@aws-sdk\/|^@smithy\/|^enquirer$/.test(name))).toEqual([]);
  });
});
