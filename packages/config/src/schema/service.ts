/** One entry of `services`: the command and every section that says how it runs. */
import { dependsOn } from './dependsOn.js';
import { environment } from './environment.js';
import { healthcheck } from './healthcheck.js';
import { serviceHooks } from './hooks.js';
import { duration, named, number, type ObjectOut, object, signal } from './kit/index.js';
import { limits } from './limits.js';
import { logs } from './logs.js';
import { networkProps } from './network.js';
import { commandList, envFile, group, sysEnv, user, workingDir } from './processFields.js';
import { restart } from './restart.js';
import { serviceTypeProps } from './serviceType.js';

const serviceProps = {
  command: commandList,
  working_dir: workingDir,
  depends_on: dependsOn,
  environment,
  env_file: envFile,
  sys_env: sysEnv,
  restart,
  healthcheck,
  hooks: serviceHooks,
  user,
  group,
  logs,
  limits,
  stop_signal: signal({ description: 'Signal sent first on stop (default SIGTERM).' }),
  stop_grace_period: duration({ description: 'Time between the stop signal and SIGKILL (default 10s).' }),
  // Start/stop order among services depends_on does not order (README: "Start and stop order").
  priority: number({
    integer: true,
    description:
      'Among services depends_on does not order, lower starts first and stops last; equal ones start together (default 0; negatives allowed).',
  }),
  // service types (type, pid_file, start_timeout) and stop_command
  ...serviceTypeProps,
  // port, hostname (network.ts)
  ...networkProps,
};
/** A service; emitted once in the JSON Schema's `definitions`. */
export const service = named(
  'service',
  object(serviceProps, { required: ['command'], description: 'A service.' }),
);
/** A service after decoding, before defaults, expansion and path resolution. */
export type NormalizedService = ObjectOut<typeof serviceProps>;
