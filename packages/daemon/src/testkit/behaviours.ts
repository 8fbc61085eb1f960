import type { FakeProcess } from './FakeProcess.js';

/**
 * What a fake process does once spawned (FakePlatform.onSpawn). It runs right after the spawn has
 * returned to the daemon; later it is driven by the test (`exit`, `kill`, `print`) or by stops.
 */
export type Behaviour = (proc: FakeProcess) => void;

/** A spawn that fails (the command cannot be run): the daemon's spawn call rejects with `message`. */
export interface SpawnFailure {
  readonly spawnError: string;
}

/** Runs until something ends it; exits on SIGTERM. Also a hook that hangs until aborted. */
export const runsUntilStopped: Behaviour = () => undefined;

/** Exits at once with `code`. */
export function exitsWith(code: number): Behaviour {
  return (p) => p.exit(code);
}

/** Prints `lines` to stdout, then does `then` (by default: keeps running). */
export function prints(lines: readonly string[], then: Behaviour = runsUntilStopped): Behaviour {
  return (p) => {
    p.print(...lines);
    then(p);
  };
}

/** Ignores SIGTERM (a stop needs SIGKILL after the grace), then does `then`. */
export function ignoresSigterm(then: Behaviour = runsUntilStopped): Behaviour {
  return (p) => {
    p.ignore('SIGTERM');
    then(p);
  };
}

/** The n-th process matched does `steps[n]`; the last step repeats. */
export function inTurn(...steps: Behaviour[]): Behaviour {
  let n = 0;
  return (p) => {
    const step = steps[Math.min(n++, steps.length - 1)];
    step?.(p);
  };
}

/** The spawn itself fails with `message` (as `command not found` would). */
export function failsToSpawn(message: string): SpawnFailure {
  return { spawnError: message };
}
