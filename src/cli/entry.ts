import { main } from './main.js';

// The only place that touches the process's exit status (CONVENTIONS §7).
// `flowdump … | head` closes stdout early: end quietly instead of an EPIPE trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
