import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Temporary directories a test file makes, removed when the file's tests end (test/setup-env.ts
 * registers removeScratchDirs() as an afterAll hook of every test file).
 */
const made: string[] = [];

/** A new, empty directory under the system's temporary folder, named `<prefix>XXXXXX`. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeScratchDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
