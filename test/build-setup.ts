/**
 * Tests run against the current source (vitest globalSetup, before any test file): the CLI the
 * tests spawn (bin/flowdump → dist/), the read worker (dist/analyze/read-worker.js) and the two
 * WebAssembly modules (dist/…/*.wasm) are built from src/ and assembly/, so an edit without
 * `npm run build` would otherwise test a stale dist/. When any source is newer than the build
 * (or the build is missing), this runs `npm run build` once and fails the run if it fails.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What the build reads, and what it writes that tests load (every one rewritten by each build). */
export const BUILD_INPUTS = ['src', 'assembly', 'tsconfig.json', 'package.json'];
export const BUILD_OUTPUTS = ['dist/cli/main.js', 'dist/analyze/read-worker.js', 'dist/format/line-scanner.wasm', 'dist/analyze/connection-table.wasm'];

function newest(path: string): number {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), info.mtimeMs);
}

/** Why the build under `base` is out of date, or undefined when it is current. */
export function staleBuild(base: string = root): string | undefined {
  const outputs = BUILD_OUTPUTS.map((file) => ({ file, time: statSync(join(base, file), { throwIfNoEntry: false })?.mtimeMs }));
  const missing = outputs.find((output) => output.time === undefined);
  if (missing) return `${missing.file} is missing`;
  const built = Math.min(...outputs.map((output) => output.time as number));
  const changed = BUILD_INPUTS.find((input) => newest(join(base, input)) > built);
  return changed === undefined ? undefined : `${changed} changed since the last build`;
}

export default function setup(): void {
  const why = staleBuild();
  if (why === undefined) return;
  process.stderr.write(`building before the tests: ${why}\n`);
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build failed, so the tests would run against a stale dist/:\n${build.stdout}${build.stderr}`);
}
