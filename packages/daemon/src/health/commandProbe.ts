import type { BakedService } from '@kepler/config';
import type { Platform } from '../platform/index.js';
import { armDeadline } from './probeDeadline.js';
import type { ProbeResult } from './probeResult.js';

/** Bytes of a probe's output kept for `ps --json` (the tail). */
const PROBE_OUTPUT_BYTES = 4096;

/**
 * Runs a health-check command as the service runs (its environment, working directory, user and
 * cgroup). Exit 0 passes. Past `timeoutMs` the probe's own process group is killed (not the service's
 * cgroup) and the check fails.
 */
export async function runCommandProbe(
  platform: Platform,
  service: BakedService,
  test: readonly string[],
  timeoutMs: number,
  marker: string,
  abort?: AbortSignal,
): Promise<ProbeResult> {
  let output = Buffer.alloc(0);
  const keep = (chunk: Buffer) => {
    output = Buffer.concat([output, chunk]);
    if (output.length > PROBE_OUTPUT_BYTES * 2) output = output.subarray(output.length - PROBE_OUTPUT_BYTES);
  };
  let proc: Awaited<ReturnType<Platform['spawn']>>;
  try {
    proc = await platform.spawn({
      command: test,
      cwd: service.workingDir,
      env: { ...service.environment },
      // The service's marker: the probe starts in the service's cgroup, so whatever it leaves behind
      // (`sleep 100 &`) is ended with the service.
      marker,
      user: service.user,
      group: service.group,
      limits: { memoryBytes: null, cpuTimeSec: null, maxFds: null },
      stdout: 'pipe',
      stderr: 'pipe',
    });
  } catch (e) {
    return { ok: false, output: (e as Error).message };
  }
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let timedOut = false;
  const kill = () =>
    void platform.stopProcessTree({
      pid: proc.pid,
      pgid: proc.pid, // the probe's own group only: its service keeps running
      signal: 'SIGKILL',
      graceMs: 0,
    });
  const disarm = armDeadline(
    timeoutMs,
    [abort],
    {
      timeout: () => {
        timedOut = true;
        kill();
      },
      abort: kill,
    },
    platform.clock,
  );
  const exit = await proc.exited;
  disarm();
  const text = output.subarray(-PROBE_OUTPUT_BYTES).toString('utf8').trim();
  if (timedOut)
    return { ok: false, output: `health check timed out after ${timeoutMs} ms${text ? `: ${text}` : ''}` };
  return {
    ok: exit.code === 0,
    output: text || (exit.code === 0 ? '' : `exit code ${exit.code ?? exit.signal}`),
  };
}
