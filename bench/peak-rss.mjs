// Preload (`node --import ./bench/peak-rss.mjs …`) that writes the process's peak RSS in KiB to
// the file named by FLOWDUMP_BENCH_RSS_FILE when it exits. Used where /usr/bin/time is missing.
// resourceUsage() covers the whole process, worker threads included.
import { writeFileSync } from 'node:fs';

const out = process.env.FLOWDUMP_BENCH_RSS_FILE;
if (out) {
  process.on('exit', () => writeFileSync(out, `${process.resourceUsage().maxRSS}\n`));
}
