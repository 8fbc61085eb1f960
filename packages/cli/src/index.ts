/** The CLI as a library, for tests and embedding: the `kepler` executable is `main.ts`. */
export { buildCli, COMMANDS, runCli } from './cli.js';
export { dispatchCli } from './dispatch.js';
export { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_NO_DAEMON, EXIT_OK } from './errors.js';
