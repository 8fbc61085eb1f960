// RESULTS.md is written by more than one benchmark: run.mjs writes the whole file, proxy-bench.mjs its
// own `## ` section. These keep each section when the other rewrites the file.
import { readFileSync } from 'node:fs';

/** The `## `-level section starting with `heading` in `text` (to the next `## ` heading), or ''. */
export function sectionOf(text, heading) {
  const start = text.indexOf(`\n${heading}`);
  if (start < 0) return '';
  const next = text.indexOf('\n## ', start + 1);
  return text.slice(start + 1, next < 0 ? text.length : next + 1);
}

/** The file's text, or '' when it does not exist yet. */
export function readResults(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** `text` with its `heading` section replaced by `section` (placed before `before`, else at the end). */
export function withSection(text, heading, section, before) {
  const old = sectionOf(text, heading);
  const rest = old ? text.replace(old, '') : text;
  const at = before ? rest.indexOf(`\n${before}`) : -1;
  const body = section.endsWith('\n') ? section : `${section}\n`;
  if (at < 0) return `${rest.replace(/\n*$/, '\n\n')}${body}`;
  return `${rest.slice(0, at + 1)}${body}\n${rest.slice(at + 1)}`;
}
