import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataLocation } from './destination.js';
import type { SummaryCache } from './lifecycle.js';
import type { CaptureManifest } from './manifest.js';

/**
 * The local cache of summaries (a convenience: the truth is in AWS). Lives in the XDG state
 * dir: `$XDG_STATE_HOME/flowdump` or `~/.local/state/flowdump`
 * (https://specifications.freedesktop.org/basedir-spec/latest/).
 */
export function stateDirectory(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const base = env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(home, '.local', 'state');
  return join(base, 'flowdump');
}

interface IndexEntry {
  id: string;
  region: string;
  location: DataLocation;
}

export class LocalCache implements SummaryCache {
  constructor(readonly dir: string) {}

  captureDir(id: string): string {
    return join(this.dir, 'captures', id);
  }

  async save(manifest: CaptureManifest, summaryJson: string, summaryText: string): Promise<string> {
    const dir = this.captureDir(manifest.id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'summary.json'), summaryJson);
    await writeFile(join(dir, 'summary.txt'), summaryText);
    await writeFile(join(dir, 'capture.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return dir;
  }

  async readSummary(id: string): Promise<string | undefined> {
    return readFile(join(this.captureDir(id), 'summary.json'), 'utf8').catch(() => undefined);
  }

  /** Remembers where a capture's data lives, so `list`/`sweep` also find captures to other buckets. */
  async remember(manifest: CaptureManifest): Promise<void> {
    const entries = await this.known();
    if (entries.some((entry) => entry.id === manifest.id)) return;
    entries.push({ id: manifest.id, region: manifest.region, location: manifest.destination });
    await mkdir(this.dir, { recursive: true });
    const file = join(this.dir, 'index.json');
    await writeFile(`${file}.tmp`, `${JSON.stringify(entries.slice(-500), null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }

  async known(region?: string): Promise<IndexEntry[]> {
    try {
      const entries = JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as IndexEntry[];
      return Array.isArray(entries) ? entries.filter((entry) => !region || entry.region === region) : [];
    } catch {
      return [];
    }
  }
}
