import { describe, expect, it } from 'vitest';
import { findChromium } from '../helpers/chromium.js';

/** Only the listed paths are executables. */
const only = (...paths: string[]) => (path: string) => paths.includes(path);

describe('which Chromium the browser test drives', () => {
  it('CHROMIUM_PATH first; a CHROMIUM_PATH that is not there fails rather than silently skipping', () => {
    expect(findChromium({ CHROMIUM_PATH: '/opt/chrome/chrome' }, only('/opt/chrome/chrome', '/usr/bin/chromium'))).toEqual({ kind: 'found', path: '/opt/chrome/chrome' });
    const wrong = findChromium({ CHROMIUM_PATH: '/nowhere/chrome' }, only('/usr/bin/chromium'));
    expect(wrong.kind).toBe('fail');
    expect(wrong.kind === 'fail' && wrong.message).toContain('CHROMIUM_PATH is /nowhere/chrome');
  });

  it('then /usr/bin/chromium, then chromium-browser or google-chrome on PATH', () => {
    expect(findChromium({ PATH: '/usr/local/bin:/usr/bin' }, only('/usr/bin/chromium', '/usr/local/bin/google-chrome'))).toEqual({ kind: 'found', path: '/usr/bin/chromium' });
    expect(findChromium({ PATH: '/usr/local/bin:/snap/bin' }, only('/snap/bin/chromium-browser'))).toEqual({ kind: 'found', path: '/snap/bin/chromium-browser' });
    expect(findChromium({ PATH: '/usr/local/bin' }, only('/usr/local/bin/google-chrome'))).toEqual({ kind: 'found', path: '/usr/local/bin/google-chrome' });
  });

  it('none found: skipped with one line saying how to run it; with FLOWDUMP_REQUIRE_BROWSER=1 (CI) it fails', () => {
    const skipped = findChromium({ PATH: '/usr/bin' }, only());
    expect(skipped.kind).toBe('skip');
    const line = skipped.kind === 'skip' ? skipped.line : '';
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toMatch(/^browser test skipped: no Chromium found .*apt-get install -y chromium.*CHROMIUM_PATH/);
    const required = findChromium({ PATH: '/usr/bin', FLOWDUMP_REQUIRE_BROWSER: '1' }, only());
    expect(required.kind).toBe('fail');
    expect(required.kind === 'fail' && required.message).toContain('FLOWDUMP_REQUIRE_BROWSER=1');
  });
});
