/**
 * The bake's per-field work: expanding one value with a lookup, reading env files, checking an expanded
 * user, group or memory size. Each problem is reported at the field's key path; the field then gets a
 * harmless value so the bake can go on and report the rest.
 */
import { type EnvFileError, readEnvFile, resolvePath } from '../environment.js';
import { ExpansionError, expandVars, type Lookup } from '../expand.js';
import { GrammarError, parseSize } from '../grammar.js';
import type { IssueCollector, Pos } from '../issues.js';

/** `user` values: a name or uid, optionally `:group` or `:gid`. */
const USER_PATTERN = /^[^\s:]+(:[^\s:]+)?$/;
const GROUP_PATTERN = /^[^\s:]+$/;

/** Expands and checks single fields for one bake, and remembers which env files it read. */
export class FieldExpander {
  /** Absolute paths of every env file read (`BakedConfig.envFiles`). */
  readonly envFiles = new Set<string>();

  constructor(
    private readonly configDir: string,
    private readonly home: string | undefined,
    private readonly issues: IssueCollector,
  ) {}

  /** `value` with variables expanded; on an expansion error, reported, and `value` unchanged. */
  expand(value: string, lookup: Lookup, path: string, pos: Pos | undefined): string {
    try {
      return expandVars(value, lookup, this.home);
    } catch (error) {
      if (!(error instanceof ExpansionError)) throw error;
      this.issues.add(path, error.message, pos);
      return value;
    }
  }

  /**
   * An `env_file`: its absolute path (null when not set, or when it expands to nothing) and its
   * variables (`{}` when it cannot be read, reported).
   */
  envFile(
    value: string | undefined,
    lookup: Lookup,
    path: string,
    pos: Pos | undefined,
  ): { envFile: string | null; fileVars: Record<string, string> } {
    const envFile = value === undefined ? null : this.envFilePath(value, lookup, path, pos);
    return { envFile, fileVars: envFile ? this.readEnvFile(envFile, lookup, path, pos) : {} };
  }

  /** An env_file path, expanded and made absolute; null (reported) when it expands to nothing. */
  private envFilePath(value: string, lookup: Lookup, path: string, pos: Pos | undefined): string | null {
    const expanded = this.expand(value, lookup, path, pos);
    if (expanded === '') {
      this.issues.add(path, `${JSON.stringify(value)} expands to an empty path`, pos);
      return null;
    }
    return resolvePath(this.configDir, expanded);
  }

  /** Reads an env file (recording it in `envFiles`); `{}` (reported) when it cannot be read. */
  private readEnvFile(
    absPath: string,
    below: Lookup,
    path: string,
    pos: Pos | undefined,
  ): Record<string, string> {
    this.envFiles.add(absPath);
    try {
      return readEnvFile(absPath, below, this.home);
    } catch (error) {
      this.issues.add(path, (error as EnvFileError).message, pos);
      return {};
    }
  }

  /** The `user` and `group` of a service or hook, expanded and checked. */
  userAndGroup(
    src: { readonly user?: string; readonly group?: string },
    at: { readonly user?: Pos; readonly group?: Pos },
    lookup: Lookup,
    path: string,
  ): { user: string | null; group: string | null } {
    return {
      user: this.identity(
        src.user,
        lookup,
        `${path}.user`,
        at.user,
        USER_PATTERN,
        'a user (use a name, a uid, or uid:gid)',
      ),
      group: this.identity(
        src.group,
        lookup,
        `${path}.group`,
        at.group,
        GROUP_PATTERN,
        'a group (use a name or a gid)',
      ),
    };
  }

  /**
   * Expands a user or group. An empty result (e.g. `${RUN_AS}` unset) is an error, not "not set":
   * silently running as root because a variable was missing is the wrong failure.
   */
  private identity(
    value: string | undefined,
    lookup: Lookup,
    path: string,
    pos: Pos | undefined,
    pattern: RegExp,
    what: string,
  ): string | null {
    if (value === undefined) return null;
    const expanded = this.expand(value, lookup, path, pos).trim();
    if (expanded === '') {
      const vars = [...value.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
      const hint = vars.length ? ` (is ${vars.join(', ')} set?)` : '';
      this.issues.add(path, `${JSON.stringify(value)} expanded to an empty string${hint}`, pos);
      return null;
    }
    if (!pattern.test(expanded)) {
      this.issues.add(path, `${JSON.stringify(expanded)} is not ${what}`, pos);
      return null;
    }
    return expanded;
  }

  /** `limits.memory`, expanded and parsed to bytes; null when absent or (reported) not a size. */
  memory(value: string | undefined, lookup: Lookup, path: string, pos: Pos | undefined): number | null {
    if (value === undefined) return null;
    const expanded = this.expand(value, lookup, path, pos);
    try {
      return parseSize(expanded);
    } catch (error) {
      if (!(error instanceof GrammarError)) throw error;
      this.issues.add(path, error.message, pos);
      return null;
    }
  }
}
