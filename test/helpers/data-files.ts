import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (with a trailing slash). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every flow-log data file under test/fixtures and the bundled example, in a stable order. */
export function dataFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(log|gz|parquet|csv|txt)$/.test(name)) files.push(path);
    }
  };
  walk(join(ROOT, 'test', 'fixtures'));
  walk(join(ROOT, 'examples'));
  return files;
}
