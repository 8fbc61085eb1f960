/** `logs`: size cap, buffering, timestamps, which streams are stored and when files are cleared. */
import { boolean, byKind, named, type ObjectOut, object, oneOf, size, transform } from './kit/index.js';

/** The accepted values of `logs.retention.*`. */
export const RETENTION_ACTIONS = ['clear', 'retain'] as const;

const storeObject = object({
  stdout: boolean({ description: 'Store stdout (default true).' }),
  stderr: boolean({ description: 'Store stderr (default true).' }),
});

/** `store` after normalisation: absent streams fall back to the next level. */
export interface NormalizedStore {
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

const retention = oneOf(RETENTION_ACTIONS);
const logsProps = {
  max_size: size({
    description: 'Truncate a log file past this size (K, KB, M, MB, G, GB; 1024-based). Default: unbounded.',
  }),
  buffer_size: size({ description: 'Bytes buffered before writing (0 = write every line). Default 0.' }),
  timestamp: boolean({ description: 'Show timestamps in `kepler logs` by default. Default false.' }),
  store: byKind<NormalizedStore, NormalizedStore>(
    {
      scalar: transform(boolean(), (on) => ({ stdout: on, stderr: on })),
      map: transform(storeObject, (store) => ({
        ...(store.stdout !== undefined ? { stdout: store.stdout } : {}),
        ...(store.stderr !== undefined ? { stderr: store.stderr } : {}),
      })),
    },
    { expected: 'true, false or a map of stdout/stderr', description: 'Store logs on disk (default true).' },
  ),
  retention: object(
    {
      on_start: retention,
      on_stop: retention,
      on_restart: retention,
      on_exit: retention,
    },
    {
      description:
        'Whether log files are cleared or retained at each moment (defaults: retain, clear, retain, retain).',
    },
  ),
};
/** A `logs` block, in `kepler` and in each service; emitted once in the JSON Schema's `definitions`. */
export const logs = named('logs', object(logsProps, { description: 'Log settings.' }));
/** A `logs` block after decoding; absent fields fall back to the next level. */
export type NormalizedLogs = ObjectOut<typeof logsProps>;
