/**
 * Ctrl+C handling for long-running commands. While installed, SIGINT (and SIGTERM, SIGHUP, which a
 * closing terminal or a supervisor sends) no longer kill the CLI: each one calls `handler` with how many
 * have arrived so far, starting at 1. The returned function uninstalls the handlers.
 */
export function onInterrupt(
  handler: (count: number, signal: NodeJS.Signals) => void,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'],
): () => void {
  let count = 0;
  const listener = (signal: NodeJS.Signals) => {
    count++;
    handler(count, signal);
  };
  for (const s of signals) process.on(s, listener);
  return () => {
    for (const s of signals) process.off(s, listener);
  };
}
