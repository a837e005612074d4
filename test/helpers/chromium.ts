import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What the browser test does when it looks for a Chromium. */
export type ChromiumLookup =
  | { kind: 'found'; path: string }
  | { kind: 'skip'; line: string }
  | { kind: 'fail'; message: string };

export interface LookupEnv {
  CHROMIUM_PATH?: string;
  FLOWDUMP_REQUIRE_BROWSER?: string;
  PATH?: string;
}

const HOW_TO_RUN = 'install it (apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary, then run npm test again';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the Chromium the HTML report's browser test drives: CHROMIUM_PATH when set (a path that
 * is not there fails: it was asked for), else /usr/bin/chromium, else `chromium-browser` or
 * `google-chrome` on PATH. None found: the test is skipped with one line saying how to run it,
 * unless FLOWDUMP_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
 */
export function findChromium(env: LookupEnv = process.env, isExecutable: (path: string) => boolean = executable): ChromiumLookup {
  if (env.CHROMIUM_PATH) {
    if (isExecutable(env.CHROMIUM_PATH)) return { kind: 'found', path: env.CHROMIUM_PATH };
    return { kind: 'fail', message: `CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which is not an executable file; point it at a Chromium binary, or unset it` };
  }
  const onPath = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const candidates = ['/usr/bin/chromium', ...['chromium-browser', 'google-chrome'].flatMap((name) => onPath.map((dir) => join(dir, name)))];
  const path = candidates.find(isExecutable);
  if (path) return { kind: 'found', path };
  if (env.FLOWDUMP_REQUIRE_BROWSER === '1') {
    return { kind: 'fail', message: `the HTML report's browser test needs a Chromium and FLOWDUMP_REQUIRE_BROWSER=1 requires it: none at CHROMIUM_PATH, /usr/bin/chromium, chromium-browser or google-chrome; ${HOW_TO_RUN}` };
  }
  return { kind: 'skip', line: `browser test skipped: no Chromium found (CHROMIUM_PATH, /usr/bin/chromium, chromium-browser, google-chrome); to run it, ${HOW_TO_RUN}` };
}
