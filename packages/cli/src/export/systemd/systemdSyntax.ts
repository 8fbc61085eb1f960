/**
 * systemd's unit-file syntax (systemd.service(5), systemd.exec(5), systemd.syntax(7)): quoting an argv
 * for `Exec*=`, escaping `%` specifiers, time spans, comments and EnvironmentFile lines.
 */

/** `%` starts a specifier in most unit settings: `%%` is a literal `%`. */
export function escapeSpecifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

/** Words that need no quotes in an `Exec*=` line (after `%` and `$` are doubled). */
const BARE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** C escapes systemd undoes inside a quoted `Exec*=` word. */
function cEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * One argument as systemd reads it back unchanged: `%` and `$` doubled (specifiers, and variable
 * expansion at start), double quotes with C escapes unless the word is plain. A lone `;` would end
 * the command, so it is written `\;` as systemd.service(5) says.
 */
export function quoteExecArg(arg: string): string {
  if (arg === ';') return '\\;';
  const escaped = escapeSpecifiers(arg).replaceAll('$', '$$$$');
  return BARE_WORD.test(escaped) ? escaped : `"${cEscape(escaped)}"`;
}

/** A whole command line for `ExecStart=` and friends; argv[0] must already be absolute. */
export function execLine(argv: readonly string[]): string {
  return argv.map(quoteExecArg).join(' ');
}

/** A duration in a unit that systemd parses exactly: `10s`, `1500ms`, `0`. */
export function timeSpan(ms: number): string {
  if (ms === 0) return '0';
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Environment names systemd accepts (others are ignored by it with a log line). */
export function isValidEnvName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** Values systemd passes on: control characters other than tab and newline make it drop the variable. */
export function isValidEnvValue(value: string): boolean {
  return !/[\x00-\x08\x0b-\x1f\x7f]/.test(value);
}

/**
 * One `KEY="value"` line of an EnvironmentFile=: inside double quotes systemd's parser keeps
 * everything, newlines included, and undoes a backslash before `"`, `\`, `` ` `` and `$`.
 */
export function envFileLine(name: string, value: string): string {
  return `${name}="${value.replace(/["\\`$]/g, (c) => `\\${c}`)}"`;
}

/** `text` as `#` comment lines, each at most one line of the source (newlines split it). */
export function commentLines(text: string): string[] {
  return text.split('\n').map((line) => (line === '' ? '#' : `# ${line}`));
}
