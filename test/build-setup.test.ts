import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_INPUTS, BUILD_OUTPUTS, staleBuild } from './build-setup.js';
import { scratchDir } from './helpers/scratch.js';

/** A tree with every build input and output, all written at `time` (seconds). */
function tree(time: number): string {
  const base = scratchDir('flowdump-build-');
  const files = [...BUILD_INPUTS.map((input) => (input.includes('.') ? input : join(input, 'a.ts'))), ...BUILD_OUTPUTS];
  for (const file of files) {
    mkdirSync(dirname(join(base, file)), { recursive: true });
    writeFileSync(join(base, file), '');
  }
  for (const file of [...files, ...BUILD_INPUTS]) utimesSync(join(base, file), time, time);
  return base;
}

describe('the build the tests run against', () => {
  it('is current when every output is newer than every source', () => {
    const base = tree(1_000);
    for (const output of BUILD_OUTPUTS) utimesSync(join(base, output), 2_000, 2_000);
    expect(staleBuild(base)).toBeUndefined();
  });

  it('is stale when a source file (even deep in src/ or assembly/) changed after the build', () => {
    const base = tree(1_000);
    for (const output of BUILD_OUTPUTS) utimesSync(join(base, output), 2_000, 2_000);
    utimesSync(join(base, 'assembly', 'a.ts'), 3_000, 3_000);
    expect(staleBuild(base)).toBe('assembly changed since the last build');
  });

  it('is stale when an output the tests load is missing', () => {
    const base = scratchDir('flowdump-build-');
    expect(staleBuild(base)).toBe('dist/cli/main.js is missing');
  });
});
