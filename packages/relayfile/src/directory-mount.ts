import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Mount, MountChange, MountFile } from '@software-factory/sdk';
import { matchesAnyPathGlob } from './path-glob.ts';

const TEMPORARY = '.factory-tmp';

/**
 * A local folder in relayfile's layout, as a `Mount` (Node only): what `factory demo` runs on. Writes
 * land atomically (temporary file, then rename) and resolve once applied. `watch` reports changes from
 * `fs.watch` (recursive); each signal rescans the path it names, so a burst of signals for one file is
 * one change, and a rewrite with the same content is none.
 */
export class DirectoryMount implements Mount {
  readonly root: string;

  constructor(root: string) {
    if (!root) throw new Error('DirectoryMount: a root folder is required');
    this.root = resolve(root);
  }

  async read(path: string): Promise<MountFile | undefined> {
    try {
      const content = await readFile(this.#local(path), 'utf8');
      return { path, content, revision: digest(content) };
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  async write(path: string, content: string): Promise<{ revision?: string }> {
    const target = this.#local(path);
    await mkdir(dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.${Date.now()}${TEMPORARY}`;
    await writeFile(temporary, content, 'utf8');
    await rename(temporary, target);
    return { revision: digest(content) };
  }

  async list(prefix: string): Promise<string[]> {
    const start = this.#local(prefix);
    const found: string[] = [];
    const walk = async (folder: string) => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
        throw error;
      }
      for (const entry of entries) {
        const full = join(folder, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && !entry.name.endsWith(TEMPORARY)) found.push(this.#mountPath(full));
      }
    };
    await walk(start);
    return found.sort();
  }

  watch(
    onChange: (change: MountChange) => void | Promise<void>,
    options: { paths?: readonly string[] } = {},
  ): { close(): Promise<void>; ready: Promise<void> } {
    const globs = options.paths ?? [];
    const known = new Map<string, string>();
    let sequence = 0;
    let chain: Promise<void> = Promise.resolve();
    let closed = false;
    const enqueue = (task: () => Promise<void>) => {
      chain = chain.then(task).catch(() => {});
    };

    const check = async (path: string) => {
      if (closed || !matchesAnyPathGlob(globs, path)) return;
      const file = await this.read(path).catch(() => undefined);
      const previous = known.get(path);
      if (file && file.revision === previous) return;
      if (!file && previous === undefined) return;
      let change: MountChange;
      if (file) {
        known.set(path, file.revision as string);
        change = {
          eventId: `dir-${++sequence}-${file.revision}`,
          type: previous === undefined ? 'file.created' : 'file.updated',
          path,
          revision: file.revision as string,
          content: file.content,
          timestamp: new Date().toISOString(),
        };
      } else {
        known.delete(path);
        change = {
          eventId: `dir-${++sequence}-deleted`,
          type: 'file.deleted',
          path,
          timestamp: new Date().toISOString(),
        };
      }
      await onChange(change);
    };

    const rescan = async (folder: string) => {
      const present = new Set(await this.list(folder));
      for (const path of [...known.keys()])
        if ((path === folder || path.startsWith(`${folder.replace(/\/$/, '')}/`)) && !present.has(path))
          await check(path);
      for (const path of present) await check(path);
    };

    // What is there now is the baseline: only later changes are reported.
    const ready = this.list('/').then(async (paths) => {
      for (const path of paths) {
        const file = await this.read(path);
        if (file?.revision) known.set(path, file.revision);
      }
    });
    chain = ready.catch(() => {});
    let watcher: FSWatcher | undefined;
    const watching = ready.then(() => {
      if (closed) return;
      watcher = watch(this.root, { recursive: true }, (_event, filename) => {
        if (!filename || String(filename).endsWith(TEMPORARY)) return;
        const path = this.#mountPath(join(this.root, String(filename)));
        // The signal names a file or a folder (created, renamed, removed): rescan what it names.
        enqueue(async () => {
          const file = await this.read(path).catch(() => undefined);
          if (file) await check(path);
          else await rescan(path);
        });
      });
    });

    return {
      /** Settles once the baseline is taken and changes are being watched. */
      ready: watching,
      close: async () => {
        closed = true;
        watcher?.close();
        await chain;
      },
    };
  }

  #local(path: string): string {
    const local = resolve(this.root, `.${path.startsWith('/') ? path : `/${path}`}`);
    if (local !== this.root && !local.startsWith(`${this.root}${sep}`))
      throw new Error(`${path} is outside the mount`);
    return local;
  }

  #mountPath(local: string): string {
    return `/${relative(this.root, local).split(sep).join('/')}`;
  }
}

function digest(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}
