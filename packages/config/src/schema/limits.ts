/** `limits`: the resource limits set with setrlimit before the service's command runs. */
import { parseSize } from '../grammar.js';
import { number, object, string } from './kit/index.js';

/** True when a string will be changed by variable expansion (so checks must wait for the bake). */
export function hasExpansion(value: string): boolean {
  return value.includes('$') || value.startsWith('~');
}

const limitsProps = {
  memory: string({
    coerce: true,
    check: (value) => {
      if (hasExpansion(value)) return undefined; // checked after expansion, at bake
      try {
        parseSize(value);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
    description: 'Address-space limit (RLIMIT_AS), e.g. 512M, 1G. Expanded ($VAR).',
  }),
  cpu_time: number({
    integer: true,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    description: 'CPU time limit in seconds (RLIMIT_CPU).',
  }),
  // Linux caps RLIMIT_NOFILE at fs.nr_open, whose largest possible value is 1073741816.
  max_fds: number({
    integer: true,
    min: 0,
    max: 1_073_741_816,
    description: 'Maximum open file descriptors (RLIMIT_NOFILE).',
  }),
};
export const limits = object(limitsProps, { description: 'Resource limits.' });
