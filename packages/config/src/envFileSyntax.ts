/**
 * The env_file syntax, as docker compose reads it (compose-go's dotenv): `KEY=value` lines, `export`
 * allowed, `#` comment lines, and three kinds of value:
 * - unquoted: trimmed; a `#` starts a comment only after whitespace (`s3cr#t` keeps its `#`);
 * - `'single quoted'`: literal, never expanded;
 * - `"double quoted"`: `\n \r \t \" \\ \$` escapes, may span lines;
 * and a bare `KEY`, which passes the variable on from the environment the config is baked in.
 * Unquoted and double-quoted values are expanded later (see environment.ts); single-quoted ones are not.
 * (dotenv's parser cuts `s3cr#t` to `s3cr` and forgets which values were single-quoted, so secrets
 * came out altered.)
 */

/** One assignment of an env file. */
export interface EnvFileEntry {
  readonly key: string;
  /** null for a bare `KEY`: the value comes from the environment, and the key is left out without one. */
  readonly value: string | null;
  /** Single-quoted: taken literally, never expanded. */
  readonly literal: boolean;
  /** 1-based line of the key. */
  readonly line: number;
}

/** A line the parser cannot read; `line` is 1-based. */
export class EnvFileSyntaxError extends Error {
  override readonly name = 'EnvFileSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const DOUBLE_QUOTED_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
  // A literal `$`: written as the expansion's own escape, since double-quoted values are expanded next.
  $: '$$',
};

/** Parses an env file's text; throws EnvFileSyntaxError naming the line of the first bad entry. */
export function parseEnvFile(text: string): EnvFileEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: EnvFileEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    // Only the start is trimmed: trailing spaces inside quotes that continue on the next line count.
    const line = (lines[i] ?? '').trimStart();
    if (line.trim() === '' || line.startsWith('#')) continue;
    const assignment = /^(?:export\s+)?([^=\s:]+)\s*(?:=|:\s)\s*([\s\S]*)$/.exec(line);
    const key = assignment?.[1] ?? line.replace(/^export\s+/, '').trimEnd();
    if (!KEY.test(key)) {
      throw new EnvFileSyntaxError(
        lineNo,
        assignment
          ? `"${key}" is not a variable name`
          : `expected KEY=value, found ${JSON.stringify(line.trimEnd())}`,
      );
    }
    if (!assignment) {
      entries.push({ key, value: null, literal: false, line: lineNo });
      continue;
    }
    const raw = assignment[2] ?? '';
    const quote = raw[0];
    if (quote === "'" || quote === '"') {
      // The value runs to the matching quote, possibly on a later line.
      let body = raw.slice(1);
      let end = closingQuote(body, quote);
      let last = i;
      while (end < 0 && last + 1 < lines.length) {
        last++;
        body += `\n${lines[last] ?? ''}`;
        end = closingQuote(body, quote);
      }
      if (end < 0) throw new EnvFileSyntaxError(lineNo, `${key}: the ${quote} quote is never closed`);
      const rest = body.slice(end + 1).trim();
      if (rest !== '' && !rest.startsWith('#')) {
        throw new EnvFileSyntaxError(
          last + 1,
          `${key}: unexpected ${JSON.stringify(rest)} after the closing quote`,
        );
      }
      const inner = body.slice(0, end);
      entries.push({
        key,
        value:
          quote === "'"
            ? inner
            : inner.replace(/\\([nrt"\\$])/g, (_, c: string) => DOUBLE_QUOTED_ESCAPES[c] ?? c),
        literal: quote === "'",
        line: lineNo,
      });
      i = last;
      continue;
    }
    entries.push({ key, value: raw.replace(/\s+#.*$/, '').trim(), literal: false, line: lineNo });
  }
  return entries;
}

/** Index of the quote closing a value (a `\"` inside double quotes does not close it), or -1. */
function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (quote === '"' && body[i] === '\\') {
      i++;
      continue;
    }
    if (body[i] === quote) return i;
  }
  return -1;
}
