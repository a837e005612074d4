// The yardstick: plain gunzip of a file with Node's zlib and a count of its lines, nothing else.
// No analyzer can read the file faster than this on one core; it is timed beside `flowdump analyze`.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

const path = process.argv[2];
let lines = 0;
for await (const chunk of createReadStream(path).pipe(createGunzip())) {
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
}
console.log(lines);
