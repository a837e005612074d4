/**
 * A moto server of its own for the policy tests: IAM enforcement (POST /moto-api/reset-auth) is
 * global to a moto server, so it must not be switched on for the shared one the other test files
 * use in parallel. Started with moto_launcher.py --iam (its docstring says what that adapts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { findPython } from './global-setup.js';
import { ROOT } from './helpers.js';

export interface OwnMoto {
  endpoint: string;
  /** from the next request on, moto checks every call against the caller's IAM policies */
  enforceIam(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnMoto(): Promise<OwnMoto> {
  const server: ChildProcess = spawn(findPython(), [join(ROOT, 'test', 'integration', 'moto_launcher.py'), '--host', '127.0.0.1', '--port', '0', '--iam'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`moto (--iam) did not start within 60s: ${err.slice(-500)}`)), 60_000);
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /MOTO_READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.stderr!.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4000);
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto (--iam) exited (${code}) before it was ready: ${err.slice(-500)}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async enforceIam() {
      const answer = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: '0' });
      if (!answer.ok) throw new Error(`moto refused reset-auth: ${answer.status} ${await answer.text()}`);
    },
    async stop() {
      if (server.exitCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
