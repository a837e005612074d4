import { fileURLToPath } from 'node:url';

/**
 * The package root, resolved from this module's own location (never the cwd),
 * so templates are found wherever flowdump is installed.
 * Works from src/ (tests) and dist/ (the built CLI): both sit one level below the root.
 */
export function packageRoot(): string {
  return fileURLToPath(new URL('../', import.meta.url));
}

export function templatePath(...parts: string[]): string {
  return fileURLToPath(new URL(`../templates/${parts.join('/')}`, import.meta.url));
}
