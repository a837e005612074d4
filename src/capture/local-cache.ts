import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { FlowdumpError } from '../errors.js';
import { stripControls } from '../text.js';
import { isDataLocation, type DataLocation } from './destination.js';
import { parseCaptureId } from './ids.js';
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

export interface IndexEntry {
  id: string;
  region: string;
  location: DataLocation;
}

/** Folders only the user can enter, files only the user can read: summaries name hosts and addresses. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

export class LocalCache implements SummaryCache {
  constructor(readonly dir: string) {}

  /** The folder of one capture; an id that is not well formed, or a path that would leave the state folder, is refused. */
  captureDir(id: string): string {
    const parsed = parseCaptureId(id);
    const captures = resolve(this.dir, 'captures');
    const dir = parsed === undefined ? undefined : resolve(captures, parsed);
    if (dir === undefined || !dir.startsWith(`${captures}${sep}`)) {
      throw new FlowdumpError('bad-capture-id', `"${stripControls(String(id))}" is not a capture id (fd-YYYYMMDD-HHMMSS-<hex>); nothing was written`, { exitCode: 2 });
    }
    return dir;
  }

  private async makeDir(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: DIR_MODE });
    // mkdir's mode applies only to folders it makes: tighten ones an earlier version made
    for (let at = dir; at.startsWith(resolve(this.dir)); at = resolve(at, '..')) {
      await chmod(at, DIR_MODE);
      if (at === resolve(this.dir)) break;
    }
  }

  private async writePrivate(file: string, text: string): Promise<void> {
    await writeFile(file, text, { mode: FILE_MODE });
    await chmod(file, FILE_MODE);
  }

  async save(manifest: CaptureManifest, summaryJson: string, summaryText: string): Promise<string> {
    const dir = this.captureDir(manifest.id);
    await this.makeDir(dir);
    await this.writePrivate(join(dir, 'summary.json'), summaryJson);
    await this.writePrivate(join(dir, 'summary.txt'), summaryText);
    await this.writePrivate(join(dir, 'capture.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return dir;
  }

  async readSummary(id: string): Promise<string | undefined> {
    return readFile(join(this.captureDir(id), 'summary.json'), 'utf8').catch(() => undefined);
  }

  /**
   * Records where a capture's data goes, before its flow log is made: that record is what proves a
   * `--destination` capture is flowdump's (places.ts), and lets `list`/`sweep` find it.
   */
  async remember(entry: IndexEntry): Promise<void> {
    const entries = await this.known();
    if (entries.some((known) => known.id === entry.id)) return;
    entries.push({ id: entry.id, region: entry.region, location: entry.location });
    await this.makeDir(resolve(this.dir));
    const file = join(this.dir, 'index.json');
    await this.writePrivate(`${file}.tmp`, `${JSON.stringify(entries.slice(-500), null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }

  /** The recorded captures (of one region); entries that are not well formed are left out. */
  async known(region?: string): Promise<IndexEntry[]> {
    let entries: unknown;
    try {
      entries = JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8'));
    } catch {
      return [];
    }
    return Array.isArray(entries) ? entries.filter(isIndexEntry).filter((entry) => !region || entry.region === region) : [];
  }
}

function isIndexEntry(value: unknown): value is IndexEntry {
  if (!value || typeof value !== 'object') return false;
  const entry = value as Partial<IndexEntry>;
  return parseCaptureId(entry.id) !== undefined && typeof entry.region === 'string' && isDataLocation(entry.location);
}
