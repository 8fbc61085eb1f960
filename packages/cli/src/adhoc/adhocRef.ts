import { readFileSync, realpathSync } from 'node:fs';
import { type AdhocCaller, adhocConfigPath, type ConfigRef } from '@kepler/protocol';

/** Who this CLI runs as: its ad-hoc config is `<state dir>/adhoc/<uid>.yaml`. */
export function callerIds(): AdhocCaller {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

/**
 * The caller's ad-hoc config (`kepler run`'s services) in the daemon at `stateDir`. Its path is the
 * config's identity, so it is built from the state directory's real path, as the daemon builds it; the
 * daemon bakes it without the CLI's environment (each service carries its own, complete).
 */
export function adhocRef(stateDir: string): ConfigRef {
  let dir = stateDir;
  try {
    dir = realpathSync(stateDir);
  } catch {
    // No such directory: no daemon runs there, and connecting will say so.
  }
  return { path: adhocConfigPath(dir, callerIds().uid), env: {} };
}

/**
 * The names of the caller's `kepler run` services, read from its ad-hoc config file (a comment line,
 * then JSON); none when the file is missing or unreadable (the system daemon's is root's alone).
 */
export function adhocServiceNames(stateDir: string): string[] {
  try {
    const text = readFileSync(adhocRef(stateDir).path, 'utf8');
    const parsed = JSON.parse(text.slice(text.indexOf('{'))) as { services?: Record<string, unknown> };
    return Object.keys(parsed.services ?? {});
  } catch {
    return [];
  }
}
