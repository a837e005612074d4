// node --import this file: every module the process imports is printed to stderr as
// "imported <url>" (test/cli/startup.test.ts checks what a command loads).
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url);
