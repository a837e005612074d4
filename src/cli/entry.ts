import { main } from './main.js';

// The SDK warns on every run that Node 20 support ends in 2027: not the user's problem today.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The only place that touches the process's exit status (docs/architecture.md).
// `flowdump … | head` closes stdout early: end quietly instead of an EPIPE trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2));
