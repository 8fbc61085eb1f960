/**
 * Collecting and formatting config problems. Every stage reports into an `IssueCollector` instead of
 * throwing, so one run shows the user everything that is wrong.
 */
import { isAbsolute, relative } from 'node:path';
import type { ConfigIssue } from './types.js';

/** A 1-based position in a source file. */
export interface Pos {
  readonly line: number;
  readonly column: number;
  /** The file the node came from when it is not the collector's own (a value from an overlay file). */
  readonly file?: string;
}

/** Accumulates issues for one config file, in the order found. */
export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  constructor(readonly file: string) {}

  /**
   * Records a problem at `pos` (or at no position) under the dotted key `path`; in `pos.file` when the
   * position names one (a value merged in from an overlay), else in the collector's file.
   */
  add(
    path: string,
    message: string,
    pos?: { readonly line: number; readonly column?: number; readonly file?: string },
  ): void {
    const file = pos?.file ?? this.file;
    const issue: ConfigIssue = pos
      ? pos.column === undefined
        ? { file, line: pos.line, path, message }
        : { file, line: pos.line, column: pos.column, path, message }
      : { file, path, message };
    this.issues.push(issue);
  }

  get size(): number {
    return this.issues.length;
  }
}

/**
 * Formats one issue as `file:line:col path: message`, e.g.
 * `kepler.yaml:12:17 services.web.healthcheck.interval: "10x" is not a duration (...)`. The file is
 * shown relative to `cwd` when that is shorter; a missing position or path is left out.
 */
export function formatIssue(issue: ConfigIssue, cwd?: string): string {
  let file = issue.file;
  if (cwd !== undefined && isAbsolute(file)) {
    const rel = relative(cwd, file);
    if (rel !== '' && rel.length < file.length) file = rel;
  }
  let where = file;
  if (issue.line !== undefined) {
    where += `:${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(
        Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate closest to `word` when it is close enough to be a likely typo (distance at most 1 for
 * short words, at most a third of the length otherwise, and less than the word's length), else undefined.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  // A suggestion sharing nothing with the word (e.g. "c" -> "a") is noise.
  return bestDistance <= limit && bestDistance < word.length ? best : undefined;
}

/** Joins a key onto a dotted path (`services` + `web` -> `services.web`). */
export function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Appends a list index (`command` + 1 -> `command[1]`). */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}
