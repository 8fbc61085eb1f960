import type { Stats } from 'node:fs';
import { statSync } from 'node:fs';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';

/** Quiet time after the last matching event before `onChange` fires: one callback per burst. */
export const WATCH_DEBOUNCE_MS = 200;

export interface FileWatcherOptions {
  /** Directory the patterns are relative to (the service's working_dir); absolute. */
  root: string;
  /** `restart.watch` globs: `*`, `**`, `?`, `[abc]`, `[!abc]` (picomatch syntax; `./`, `../` and absolute paths allowed). */
  patterns: readonly string[];
  debounceMs?: number;
  /** Paths (relative to `root`, `/`-separated, sorted) created, changed or deleted in the burst. */
  onChange: (paths: string[]) => void;
  /** Watcher errors (e.g. ENOSPC: the inotify watch limit); default: a process warning. */
  onError?: (err: Error) => void;
}

/** A directory or file name that is skipped unless a pattern names it. */
function isSkippedName(name: string): boolean {
  return name === 'node_modules' || (name.startsWith('.') && name !== '.' && name !== '..');
}

/** Pattern segments that are pure wildcards do not name anything (`*`, `**`, `?*`). */
function isPureWildcard(segment: string): boolean {
  return /^[*?]+$/.test(segment);
}

/**
 * `dot: false`: `*` does not match a leading dot, so dot files need a pattern that names them.
 * `posix: true`: without it picomatch 4.0.x reads `[!abc]` as "one of !abc" (micromatch/picomatch#187).
 */
const PICOMATCH_OPTIONS = { dot: false, posix: true } as const;

interface CompiledPattern {
  match: (rel: string) => boolean;
  /** Matchers for the pattern's non-wildcard segments: a skipped name they match is named. */
  namers: ((name: string) => boolean)[];
  /** Absolute path of the pattern's static prefix (`src` in `src/**\/*.ts`; the root for `**\/*.ts`). */
  base: string;
}

function compile(root: string, pattern: string): CompiledPattern {
  // Events are matched by their path relative to root: an absolute pattern is made relative too.
  const slashed = pattern.replace(/\\/g, '/');
  const relative = path.isAbsolute(slashed) ? path.relative(root, slashed) || '.' : slashed;
  const p = relative.replace(/^(\.\/)+/, '');
  const segments = p.split('/').filter((s) => s !== '' && s !== '.' && s !== '..' && !isPureWildcard(s));
  return {
    match: picomatch(p, PICOMATCH_OPTIONS),
    namers: segments.map((s) => picomatch(s, { ...PICOMATCH_OPTIONS, dot: true })),
    base: path.resolve(root, picomatch.scan(p).base),
  };
}

function isWithin(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** The nearest existing directory at or above `p` (chokidar needs something to watch). */
function nearestDirectory(p: string): string {
  let dir = p;
  for (;;) {
    try {
      if (statSync(dir).isDirectory()) return dir;
    } catch {
      // missing: try the parent
    }
    const parent = path.dirname(dir);
    if (parent === dir) return dir;
    dir = parent;
  }
}

/**
 * Watches files matching `restart.watch` globs under a service's working directory and reports each
 * burst of creates, changes and deletes once, after `debounceMs` of quiet. Directory events alone do
 * not count (a deleted directory reports the files it held).
 *
 * Cheap for big trees: only the patterns' static prefixes are watched (`src/**` watches `src/`), files
 * no pattern can match are not watched individually, and `node_modules` and dot directories/files are
 * pruned unless a pattern names them (`node_modules/foo/**`, `.env`, `.config/**`). Editor swap files
 * (`.x.swp`, `x~`) never count. It does not restart anything itself and holds no state across
 * `stop()`/`start()`.
 */
export class FileWatcher {
  private readonly root: string;
  private readonly patterns: CompiledPattern[];
  private readonly debounceMs: number;
  private watcher: FSWatcher | null = null;
  private ready: Promise<void> | null = null;
  /** Resolves `ready` when stop() comes first: a closed chokidar watcher never emits ready. */
  private resolveEarly: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pending = new Set<string>();

  constructor(private readonly opts: FileWatcherOptions) {
    this.root = path.resolve(opts.root);
    this.patterns = opts.patterns.map((p) => compile(this.root, p));
    this.debounceMs = opts.debounceMs ?? WATCH_DEBOUNCE_MS;
  }

  /** Starts watching; resolves once the initial scan is done, so a write after it is seen. Idempotent. */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    if (this.patterns.length === 0) {
      this.ready = Promise.resolve();
      return this.ready;
    }
    // Watch each pattern's base, or its nearest existing ancestor; drop dirs inside another one.
    const dirs = [...new Set(this.patterns.map((p) => nearestDirectory(p.base)))].sort();
    const roots = dirs.filter((d, i) => !dirs.slice(0, i).some((o) => isWithin(d, o)));
    const watcher = watch(roots, {
      ignoreInitial: true,
      ignored: (p: string, stats?: Stats) => this.isIgnored(p, stats),
    });
    this.watcher = watcher;
    const onFile = (p: string) => {
      if (this.watcher !== watcher) return; // a stopped watcher still flushing
      const rel = path.relative(this.root, p).split(path.sep).join('/');
      if (this.matches(rel)) this.queue(rel);
    };
    watcher.on('add', onFile).on('change', onFile).on('unlink', onFile);
    watcher.on('error', (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      if (this.opts.onError) this.opts.onError(e);
      else process.emitWarning(`file watcher for ${this.root}: ${e.message}`);
    });
    this.ready = new Promise((resolve) => {
      watcher.once('ready', () => resolve());
      this.resolveEarly = resolve;
    });
    return this.ready;
  }

  /** Stops watching and drops a pending burst: no callback after it resolves. start() may follow. */
  async stop(): Promise<void> {
    const watcher = this.watcher;
    this.watcher = null;
    this.ready = null;
    this.resolveEarly?.();
    this.resolveEarly = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    await watcher?.close();
  }

  /** Whether a path relative to root (`/`-separated) counts as a change. */
  private matches(rel: string): boolean {
    const skipped = rel.split('/').filter(isSkippedName);
    return this.patterns.some((p) => p.match(rel) && skipped.every((name) => p.namers.some((n) => n(name))));
  }

  /** Prunes what no pattern can match; only a sure answer, since chokidar does not always pass stats. */
  private isIgnored(abs: string, stats?: Stats): boolean {
    // Outside every pattern's base and not on the way to one.
    if (!this.patterns.some((p) => isWithin(abs, p.base) || isWithin(p.base, abs))) return true;
    const rel = path.relative(this.root, abs).split(path.sep).join('/');
    for (const name of rel.split('/')) {
      if (isSkippedName(name) && !this.patterns.some((p) => p.namers.some((n) => n(name)))) return true;
    }
    // A file no pattern matches is not watched on its own (chokidar holds one fs.watch per file).
    if (stats?.isFile() && !this.matches(rel)) return true;
    return false;
  }

  private queue(rel: string): void {
    this.pending.add(rel);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const paths = [...this.pending].sort();
      this.pending.clear();
      if (this.watcher && paths.length > 0) this.opts.onChange(paths);
    }, this.debounceMs);
  }
}
