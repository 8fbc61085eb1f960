import { stripAnsi } from './color.js';

/**
 * Plain-text tables as `docker ps` prints them: a header row, columns left-aligned and separated by
 * at least three spaces, no borders, no trailing spaces. Cells may contain ANSI colour codes: widths are
 * measured without them. Cells are not truncated or wrapped.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, col) => Math.max(...all.map((row) => visibleWidth(row[col] ?? ''))));
  const lines = all.map((row) =>
    headers
      .map((_, col) => {
        const cell = row[col] ?? '';
        const last = col === headers.length - 1;
        return last ? cell : cell + ' '.repeat((widths[col] ?? 0) - visibleWidth(cell) + COLUMN_GAP);
      })
      .join('')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** Spaces between columns. */
export const COLUMN_GAP = 3;

/** Width of `text` on a terminal, ignoring ANSI escapes (each code point counts as one column). */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}
