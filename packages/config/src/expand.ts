/**
 * Shell-style variable expansion, done once at bake time in the fields the seed lists (never in
 * commands, hook scripts or health-check tests: a shell expands those at run time).
 */

/** Looks a variable up; undefined when it is not set. */
export type Lookup = (name: string) => string | undefined;

/** A malformed expansion such as an unterminated `${`. The message is user-facing. */
export class ExpansionError extends Error {
  override readonly name = 'ExpansionError';
}

/**
 * Longest value one expansion may produce. `B: ${A}${A}`, `C: ${B}${B}`, ... doubles a value per line:
 * without a cap, 20 lines reach V8's string limit (an internal error) after eating gigabytes.
 */
export const MAX_EXPANDED_VALUE_CHARS = 1024 * 1024;
/** Deepest `${VAR:-${OTHER:-...}}` nesting: each level recurses once. */
export const MAX_EXPANSION_DEPTH = 32;

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Expands `$VAR`, `${VAR}`, `${VAR:-default}` (default when unset or empty), `${VAR:+value}` (value when
 * set and non-empty), `${VAR:?message}` (an error when unset or empty), their colon-less forms
 * `${VAR-default}`, `${VAR+value}`, `${VAR?message}` (which test "unset" only, as in sh and docker
 * compose), a leading `~` or `~/` (the `home` directory) and `$$` (a literal `$`). Defaults, values and
 * messages are themselves expanded. A `$` not followed by a name or `{` stays as it is.
 *
 * An unknown variable expands to the empty string, as in a shell: `${DB_HOST}` with DB_HOST unset gives
 * "". Use `${DB_HOST:-localhost}` for a fallback. `~user` is not supported and stays literal.
 * Throws `ExpansionError` for an unterminated `${`, a malformed `${...}`, or a required variable
 * (`${VAR:?message}`) that is missing.
 */
export function expandVars(input: string, lookup: Lookup, home?: string): string {
  let text = input;
  let prefix = '';
  if (home !== undefined && (text === '~' || text.startsWith('~/'))) {
    prefix = home;
    text = text.slice(1);
  }
  return prefix + expandBody(text, lookup, input, 0);
}

function expandBody(text: string, lookup: Lookup, whole: string, depth: number): string {
  if (depth > MAX_EXPANSION_DEPTH) {
    throw new ExpansionError(
      `\${...} nested more than ${MAX_EXPANSION_DEPTH} deep (Kepler's limit for one value)`,
    );
  }
  let out = '';
  let i = 0;
  while (i < text.length) {
    checkLength(out);
    const ch = text[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = matchingBrace(text, i + 2);
      if (end < 0) throw new ExpansionError(`unterminated \${ in ${JSON.stringify(whole)}`);
      out += substitute(text.slice(i + 2, end), lookup, whole, depth);
      i = end + 1;
    } else if (next !== undefined && NAME_START.test(next)) {
      let j = i + 1;
      while (j < text.length && NAME_CHAR.test(text[j] as string)) j++;
      out += lookup(text.slice(i + 1, j)) ?? '';
      i = j;
    } else {
      out += '$';
      i++;
    }
  }
  checkLength(out);
  return out;
}

function checkLength(out: string): void {
  if (out.length <= MAX_EXPANDED_VALUE_CHARS) return;
  throw new ExpansionError(
    `expands to more than ${MAX_EXPANDED_VALUE_CHARS.toLocaleString('en-US')} characters (Kepler's limit for one value)`,
  );
}

/** Index of the `}` closing a `${` whose body starts at `from`, honouring nested `${...}`. */
function matchingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (ch === '$' && text[i + 1] === '$') i++;
    else if (ch === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}

function substitute(body: string, lookup: Lookup, whole: string, depth: number): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\+|:\?|-|\+|\?)([\s\S]*))?$/.exec(body);
  if (!match) {
    throw new ExpansionError(
      `\${${body}} in ${JSON.stringify(whole)} is not a valid expansion (use \${VAR}, \${VAR:-default}, \${VAR:+value} or \${VAR:?message})`,
    );
  }
  const [, name = '', operator, word = ''] = match;
  const value = lookup(name);
  if (operator === undefined) return value ?? '';
  // With a colon, an empty value counts as missing; without, only an unset one does.
  const missing = value === undefined || (operator.startsWith(':') && value === '');
  switch (operator.slice(-1)) {
    case '-':
      return missing ? expandBody(word, lookup, whole, depth + 1) : (value as string);
    case '+':
      return missing ? '' : expandBody(word, lookup, whole, depth + 1);
    default: {
      if (!missing) return value as string;
      const message = expandBody(word, lookup, whole, depth + 1);
      throw new ExpansionError(
        `${name} is ${value === undefined ? 'not set' : 'empty'}${message ? `: ${message}` : ''}`,
      );
    }
  }
}

/** A lookup reading several layers, the first that has the name winning. */
export function layeredLookup(
  ...layers: ReadonlyArray<Readonly<Record<string, string>> | undefined>
): Lookup {
  return (name) => {
    for (const layer of layers) {
      if (layer && Object.hasOwn(layer, name)) return layer[name];
    }
    return undefined;
  };
}
