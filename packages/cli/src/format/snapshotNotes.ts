import { basename } from 'node:path';
import type { ConfigRef, SnapshotNote } from '@kepler/protocol';
import { shortenPath } from './services.js';
import { shellQuote } from './shellQuote.js';
import { staleLine } from './upPlan.js';

/** How a command names the files of one config in what it says (see `fileNamesOf`). */
export interface FileNames {
  /** The config as the user named it (`-f`, or the default's name). */
  readonly config: string;
  /** The user's spelling of each file they named with `-f`, by canonical path. */
  readonly typed: ReadonlyMap<string, string>;
  /** Other files are named relative to it when under it; absent: by their paths (`ps --all`). */
  readonly cwd?: string;
  /**
   * The overlays the command named (canonical, in order): a snapshot baked with others gets a warning.
   * Undefined when the command names none to compare (`ps --all`).
   */
  readonly requested?: readonly string[];
}

/** The names for a command run with `files` (its `-f`, as typed) that sent `ref`. */
export function fileNamesOf(files: readonly string[] | undefined, ref: ConfigRef, cwd: string): FileNames {
  const canonical = [ref.path, ...(ref.overlays ?? [])];
  const typed = new Map<string, string>();
  // Overlays are resolved from files[1..] in order (ConfigCommand.overlayPaths), the config from files[0].
  for (const [i, file] of (files ?? []).entries()) if (canonical[i]) typed.set(canonical[i], file);
  return { config: files?.[0] ?? basename(ref.path), typed, cwd, requested: ref.overlays ?? [] };
}

/** A file as the user would name it: as typed with `-f`, else relative to cwd when under it, else its path. */
export function nameOf(path: string, names: FileNames): string {
  const typed = names.typed.get(path);
  if (typed !== undefined) return typed;
  // No `~`: a name may go into a quoted `-f` of the suggested `up`, where it would not expand.
  return names.cwd === undefined ? path : shortenPath(path, names.cwd, undefined);
}

/**
 * The `kepler up` that bakes the config with `overlays` (canonical): `kepler -f CONFIG -f OVERLAY...
 * up`, or plain `kepler up` without overlays (unless `nameConfig` and the user named the config).
 */
export function upCommand(overlays: readonly string[], names: FileNames, nameConfig = false): string {
  if (overlays.length === 0 && !(nameConfig && names.typed.size > 0)) return 'kepler up';
  const files = [names.config, ...overlays.map((o) => nameOf(o, names))];
  return `kepler ${files.map((f) => `-f ${shellQuote(f)}`).join(' ')} up`;
}

/**
 * The lines `start`, `restart` and `ps` say on stderr about a config's running snapshot: a `warning:`
 * when it was baked with other overlays than the command named (see `overlayWarning`), and the stale
 * line naming the files that changed, with the `up` that keeps the snapshot's overlays.
 */
export function snapshotLines(note: SnapshotNote, names: FileNames): string[] {
  const lines: string[] = [];
  const warning =
    names.requested === undefined ? null : overlayWarning(note.overlays, names.requested, names);
  if (warning !== null) lines.push(warning);
  if (note.changed.length > 0) {
    lines.push(
      staleLine(
        note.changed.map((f) => nameOf(f, names)),
        upCommand(note.overlays, names),
      ),
    );
  }
  return lines;
}

/**
 * One `warning:` line when the snapshot was baked with overlays `baked` and the command named
 * `requested` (both canonical, in order), null when they are the same list: which were not applied,
 * which still apply, and the `up` that bakes the command's list. E.g. `warning: overlay b.yaml not
 * applied: a.yaml runs from a snapshot baked without overlays; kepler -f a.yaml -f b.yaml up bakes it
 * with b.yaml`.
 */
export function overlayWarning(
  baked: readonly string[],
  requested: readonly string[],
  names: FileNames,
): string | null {
  if (baked.length === requested.length && baked.every((b, i) => b === requested[i])) return null;
  const list = (paths: readonly string[]) => paths.map((p) => nameOf(p, names)).join(', ');
  const notApplied = requested.filter((r) => !baked.includes(r));
  const stillApplied = baked.filter((b) => !requested.includes(b));
  const what: string[] = [];
  if (notApplied.length > 0) what.push(`${plural('overlay', notApplied)} ${list(notApplied)} not applied`);
  if (stillApplied.length > 0) {
    const noun = what.length > 0 ? '' : `${plural('overlay', stillApplied)} `;
    what.push(`${noun}${list(stillApplied)} still applied`);
  }
  if (what.length === 0) what.push('overlays given in another order');
  const bakedWith = baked.length > 0 ? `with ${list(baked)}` : 'without overlays';
  const bakes = requested.length > 0 ? `with ${list(requested)}` : 'without overlays';
  return `warning: ${what.join(', ')}: ${names.config} runs from a snapshot baked ${bakedWith}; ${upCommand(requested, names, true)} bakes it ${bakes}`;
}

function plural(noun: string, items: readonly unknown[]): string {
  return items.length === 1 ? noun : `${noun}s`;
}

/**
 * `ps`'s lines about snapshots (see `snapshotLines`): for the config `ref` it was given, named as the
 * user named its files (`files`, the `-f` as typed); with `--all` (no `ref`), every file by its path.
 * Overlays are compared only when `ref` names some: `ps -f kepler.yaml` reads a stack started with
 * overlays. An older daemon sends only `stale` (paths): then each stale config is named.
 */
export function psSnapshotLines(
  result: { readonly stale?: readonly string[]; readonly snapshots?: readonly SnapshotNote[] },
  ref: ConfigRef | undefined,
  files: readonly string[] | undefined,
  cwd: string,
): string[] {
  const namesFor = (config: string): FileNames => {
    if (!ref) return { config, typed: new Map() };
    const names = fileNamesOf(files, ref, cwd);
    return ref.overlays?.length ? names : { ...names, requested: undefined };
  };
  if (result.snapshots === undefined)
    return (result.stale ?? []).map((config) => staleLine([namesFor(config).config]));
  return result.snapshots.flatMap((note) => snapshotLines(note, namesFor(note.config)));
}
