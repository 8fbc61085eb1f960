/**
 * Turns clipanion's parse errors (multi-line, with a usage dump) into one line that names the
 * offending flag or word and says where help is, e.g.
 * `Unknown option --bogus for 'kepler start' (see: kepler start --help)`.
 */

/** The longest registered path that `argv` starts with, or null. */
export function matchCommandPath(
  argv: readonly string[],
  paths: readonly (readonly string[])[],
): readonly string[] | null {
  let best: readonly string[] | null = null;
  for (const path of paths) {
    if (path.length === 0 || path.length > argv.length) continue;
    if (path.every((word, i) => argv[i] === word) && (best === null || path.length > best.length))
      best = path;
  }
  return best;
}

/**
 * One line describing why clipanion could not parse `argv` against the registered command `paths`
 * (`binary` is the executable's name). Falls back to the error's first line for anything unrecognised.
 */
export function describeParseError(
  error: unknown,
  argv: readonly string[],
  paths: readonly (readonly string[])[],
  binary = 'kepler',
): string {
  const e = (error ?? {}) as { message?: unknown; candidates?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(error);
  const reasons = Array.isArray(e.candidates)
    ? (e.candidates as { reason?: unknown }[])
        .map((c) => c.reason)
        .filter((r): r is string => typeof r === 'string')
    : [];
  const path = matchCommandPath(argv, paths);
  const name = path === null ? binary : `${binary} ${path.join(' ')}`;
  const help = `(see: ${name} --help)`;
  const reason = reasons[0];
  if (path !== null && reason !== undefined) {
    let m = /^Unsupported option name \("(.*)"\)/.exec(reason);
    if (m) return `Unknown option ${m[1]} for '${name}' ${help}`;
    m = /^Invalid option name \("(.*)"\)/.exec(reason);
    // preprocessArgv rewrote `-f X` to `--file=X`: name the flag as typed.
    if (m?.[1]?.startsWith('--file=')) return `-f/--file: '${name}' takes no config file ${help}`;
    if (m) return `Invalid option ${m[1]} for '${name}' ${help}`;
    m = /^Not enough arguments to option (.*)\.$/.exec(reason);
    if (m) return `Option ${m[1]} needs a value ${help}`;
    m = /^Extraneous positional argument \("(.*)"\)/.exec(reason);
    // `kepler daemon strat`: the group's word matched alone, so name its subcommands.
    const group = paths.filter((p) => p.length > path.length && path.every((w, i) => p[i] === w));
    if (m && group.length > 0 && argv[path.length] === m[1]) {
      const subs = group.map((p) => p.slice(path.length).join(' ')).join(', ');
      return `Unknown command '${name} ${m[1]}': '${name}' has ${subs} (see: ${binary} --help)`;
    }
    if (m) return `Unexpected argument "${m[1]}" for '${name}' ${help}`;
    return `${reason.replace(/\.$/, '')} ${help}`;
  }
  const words: string[] = [];
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    words.push(arg);
  }
  if (words.length > 0 && path === null) {
    // `kepler daemon` or `kepler daemon strat`: name the group's subcommands.
    const group = paths.filter((p) => p.length > 1 && p[0] === words[0]);
    if (group.length > 0) {
      const subs = group.map((p) => p.slice(1).join(' ')).join(', ');
      return words.length === 1
        ? `'${binary} ${words[0]}' needs a subcommand: ${subs} (see: ${binary} --help)`
        : `Unknown command '${binary} ${words.join(' ')}': '${binary} ${words[0]}' has ${subs} (see: ${binary} --help)`;
    }
    const commands = [
      ...new Set(paths.filter((p) => p.length > 0 && !p[0]?.startsWith('-')).map((p) => p[0])),
    ];
    return `Unknown command '${words[0]}'; commands: ${commands.join(', ')} (see: ${binary} --help)`;
  }
  const unknown = /^Unsupported option name \("(.*)"\)/.exec(reason ?? message);
  if (unknown) {
    // `kepler --bogus ps`: the option came before the command; name the command it would go to.
    const command = matchCommandPath(
      argv.filter((a) => !a.startsWith('-')),
      paths,
    );
    if (command === null) return `Unknown option ${unknown[1]} (see: ${binary} --help)`;
    const named = `${binary} ${command.join(' ')}`;
    return `Unknown option ${unknown[1]} for '${named}' (see: ${named} --help)`;
  }
  const firstLine = message.split('\n', 1)[0] ?? message;
  return `${firstLine} ${help}`;
}
