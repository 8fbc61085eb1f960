/**
 * Pacing of service starts, so a burst of them (a config of 5,000 services) never stops the daemon
 * from answering its clients.
 *
 * Node forks on the main thread, and on a busy machine a fork of the daemon takes tens of ms. Forks
 * would otherwise run back to back inside one event-loop turn (every launch whose checks completed
 * in the same poll phase): each waits for its turn instead, at most one per event-loop iteration, so
 * socket I/O is served between any two forks.
 *
 * The set-up around a fork (output files opened, log capture attached, checks) also runs in the turn that
 * wakes it: spawn slots bound how many services are in that phase at once, which also bounds the
 * file descriptors and memory a burst holds before its processes exist.
 */

/** Services whose start (from its output files, until the fork) may be in progress at once. */
export const MAX_CONCURRENT_SPAWNS = 16;

let last: Promise<void> = Promise.resolve();

/**
 * Resolves in a later event-loop iteration than the previous turn. Call it right before a
 * synchronous fork (child_process.spawn) and fork without awaiting anything else in between.
 * It does not limit how many forks are pending, only how close together they run.
 */
export function forkTurn(): Promise<void> {
  const turn = last.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
  last = turn;
  return turn;
}

let active = 0;
const waiters: Array<() => void> = [];
let head = 0;

/**
 * Waits for one of MAX_CONCURRENT_SPAWNS slots, first come first served; resolves with the function
 * that gives it back (calling it twice is harmless).
 */
export async function spawnSlot(): Promise<() => void> {
  if (active < MAX_CONCURRENT_SPAWNS) active++;
  else await new Promise<void>((resolve) => waiters.push(resolve)); // handed over by a release
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = waiters[head];
    if (next === undefined) {
      active--;
      return;
    }
    waiters[head++] = undefined as unknown as () => void;
    if (head > 1024 && head * 2 > waiters.length) {
      waiters.splice(0, head);
      head = 0;
    }
    next();
  };
}

/** Launches that may begin in one event-loop turn (the rest wait for later turns, in order). */
export const LAUNCHES_PER_TURN = 64;

const slices: Array<() => void> = [];
let sliceHead = 0;
let slicing = false;

/**
 * Resolves in a coming event-loop turn, at most LAUNCHES_PER_TURN callers per turn, first come first
 * served: 5,000 services made ready by one status change begin their launches over ~80 turns
 * instead of all in one (about a second of synchronous work, with every client waiting).
 */
export function launchSlice(): Promise<void> {
  return new Promise((resolve) => {
    slices.push(resolve);
    if (!slicing) {
      slicing = true;
      setImmediate(nextSlice);
    }
  });
}

function nextSlice(): void {
  const end = Math.min(sliceHead + LAUNCHES_PER_TURN, slices.length);
  for (; sliceHead < end; sliceHead++) slices[sliceHead]!();
  if (sliceHead < slices.length) {
    setImmediate(nextSlice);
    return;
  }
  slices.length = 0;
  sliceHead = 0;
  slicing = false;
}
