/**
 * @kepler/config, loaded on first use. It pulls in the YAML parser and the Lua runtime, which commands
 * that only talk to the daemon (`ps --all`, `daemon status`, `--help`) do not need: a static import
 * would cost every invocation its load time.
 */
export function loadConfigLib(): Promise<typeof import('@kepler/config')> {
  return import('@kepler/config');
}
