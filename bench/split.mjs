// Splits one generated flow-log file into a folder of N gzip objects, each with the header line,
// as S3 delivers a busy flow log (one object per interval and interface group): the same
// records as the one file, so the two analyze to the same summary and their times compare.
//
// Usage: node bench/split.mjs <in.log.gz> <out-folder> <parts>
import { createReadStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip, gzipSync } from 'node:zlib';

export async function splitFlowLog(file, folder, parts, records) {
  mkdirSync(folder, { recursive: true });
  const perPart = Math.ceil(records / parts);
  let header;
  let lines = [];
  let part = 0;
  const flush = () => {
    if (lines.length === 0) return;
    writeFileSync(join(folder, `part-${String(part++).padStart(4, '0')}.log.gz`), gzipSync(`${header}\n${lines.join('\n')}\n`));
    lines = [];
  };
  for await (const line of createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })) {
    if (header === undefined) {
      header = line;
      continue;
    }
    if (line === '') continue;
    lines.push(line);
    if (lines.length >= perPart) flush();
  }
  flush();
  return readdirSync(folder).length;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, folder, parts, records] = process.argv.slice(2);
  console.log(await splitFlowLog(file, folder, Number(parts), Number(records)));
}
