// Preload (`node --import ./bench/peak-rss.mjs …`) that writes the process's peak RSS in KiB and
// its user and system CPU seconds (as GNU time's `%M %U %S`) to the file named by
// FLOWDUMP_BENCH_RSS_FILE when it exits. Used where /usr/bin/time is missing.
// resourceUsage() covers the whole process, worker threads included.
import { writeFileSync } from 'node:fs';

const out = process.env.FLOWDUMP_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(out, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
