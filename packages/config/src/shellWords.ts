/**
 * POSIX shell word splitting without a shell, as docker compose splits a `command:` string: words are
 * separated by blanks; 'single quotes' keep everything literal; "double quotes" keep everything but
 * `\"`, `\\`, `\$`, `` \` `` and backslash-newline; outside quotes a backslash keeps the next character.
 * Nothing is expanded (`$HOME`, `*`, `~` stay as written) and operators (`|`, `&&`, `>`) are plain
 * words: a command that needs them wants `run:` or `["sh", "-c", ...]`.
 */
import { GrammarError } from './grammar.js';

const BLANK = /[ \t\n\r]/;
/** Characters a backslash escapes inside double quotes (elsewhere there it stays literal). */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', '\\', '$', '`']);

/**
 * Splits `input` into argv words. Throws `GrammarError` for an unclosed quote or a trailing lone
 * backslash. An empty or blank string gives `[]`; `''` or `""` gives one empty word.
 */
export function splitShellWords(input: string): string[] {
  const words: string[] = [];
  let word = '';
  // A quoted empty string is still a word, so "have we started one" is tracked apart from its text.
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (BLANK.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
    } else if (ch === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw unclosed("'", i);
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      const open = i;
      i++;
      for (;;) {
        if (i >= input.length) throw unclosed('"', open);
        const c = input[i] as string;
        if (c === '"') break;
        const next = input[i + 1];
        if (c === '\\' && next === '\n') i += 2;
        else if (c === '\\' && next !== undefined && DOUBLE_QUOTE_ESCAPES.has(next)) {
          word += next;
          i += 2;
        } else {
          word += c;
          i++;
        }
      }
      inWord = true;
      i++;
    } else if (ch === '\\') {
      const next = input[i + 1];
      if (next === undefined) throw new GrammarError('ends with a lone backslash (write \\\\ for one)');
      // Backslash-newline joins lines, as in a shell.
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
      i += 2;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function unclosed(quote: string, at: number): GrammarError {
  const name = quote === "'" ? 'single' : 'double';
  return new GrammarError(`unclosed ${name} quote (the ${quote} at character ${at + 1})`);
}
