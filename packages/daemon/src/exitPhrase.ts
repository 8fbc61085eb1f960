/**
 * How a process ended, in messages: `exited with code 1` or `killed by SIGKILL` (the signal wins
 * when both are set), after its subject (`db killed by SIGKILL and will not restart`) or alone in a
 * reason (`exited with code 1; restarting in 200 ms`), as ps and inspect show it. It says nothing of
 * whether that counts as a failure, nor of an exit whose status is unknown (an adopted process).
 */
export function exitPhrase(exit: { readonly code: number | null; readonly signal: string | null }): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
}
