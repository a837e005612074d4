/**
 * Starts one moto server for the whole test run (vitest globalSetup) on 127.0.0.1 and a free
 * port, through moto_launcher.py (which fixes two moto 5.2 bugs), and stops it at the end.
 * Without moto it installs moto[server]==5.2.1 into .venv/; if that fails the run fails with a
 * clear message — integration tests are never skipped silently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MOTO_VERSION = '5.2.1';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

function hasMoto(python: string): boolean {
  const probe = spawnSync(python, ['-c', 'import moto, werkzeug, flask; print(moto.__version__)'], { encoding: 'utf8' });
  return probe.status === 0;
}

export function findPython(): string {
  const venvPython = join(root, '.venv', 'bin', 'python');
  const candidates = [process.env.FLOWDUMP_TEST_PYTHON, existsSync(venvPython) ? venvPython : undefined, 'python3'].filter((c): c is string => Boolean(c));
  for (const python of candidates) if (hasMoto(python)) return python;
  // not installed: make a local virtualenv with moto (gitignored .venv/)
  const made = spawnSync('python3', ['-m', 'venv', join(root, '.venv')], { encoding: 'utf8' });
  if (made.status === 0) {
    const pip = spawnSync(venvPython, ['-m', 'pip', 'install', '--quiet', `moto[server]==${MOTO_VERSION}`], { encoding: 'utf8', timeout: 300_000 });
    if (pip.status === 0 && hasMoto(venvPython)) return venvPython;
    throw new Error(
      `integration tests need moto ${MOTO_VERSION} (an AWS API emulator, Python): it is not installed and "pip install moto[server]==${MOTO_VERSION}" into .venv/ failed (${(pip.stderr || pip.error?.message || '').trim().split('\n').pop()}); install it with: python3 -m pip install "moto[server]==${MOTO_VERSION}", or point FLOWDUMP_TEST_PYTHON at a python that has it`,
    );
  }
  throw new Error(`integration tests need moto ${MOTO_VERSION} and python3 with venv to install it; install it with: python3 -m pip install "moto[server]==${MOTO_VERSION}"`);
}

let server: ChildProcess | undefined;

/**
 * Every AWS request the CLI makes in this run's integration tests is recorded here (cliEnv passes
 * FLOWDUMP_TEST_RECORD_AWS on; src/aws/record.ts); test/audit/ evaluates them after all other tests.
 */
export const RUN_RECORDING = join(root, 'test-artifacts', 'aws-calls.jsonl');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(dirname(RUN_RECORDING), { recursive: true });
  writeFileSync(RUN_RECORDING, '');
  process.env.FLOWDUMP_TEST_RECORD_AWS = RUN_RECORDING;
  const python = findPython();
  server = spawn(python, [join(root, 'test', 'integration', 'moto_launcher.py'), '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`moto did not start within 60s: ${err.slice(-500)}`)), 60_000);
    server!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MOTO_READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server!.stderr!.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000);
    });
    server!.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto exited (${code}) before it was ready: ${err.slice(-500)}`));
    });
  });
  // moto logs every request on stderr: drain it so the pipe never fills
  server.stderr!.resume();
  project.provide('motoEndpoint', `http://127.0.0.1:${port}`);
  return async () => {
    server?.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (server && server.exitCode === null) server.kill('SIGKILL');
  };
}
