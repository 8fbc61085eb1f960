import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { CliError } from '../errors.js';
import type { DaemonCommandLine } from './locate.js';

/**
 * Runs the daemon in the foreground until it exits, with stdout/stderr inherited, and resolves with its
 * exit code (128 + signal number when a signal ended it). SIGINT, SIGTERM and SIGHUP received by the CLI
 * are forwarded. The daemon runs in its own process group so a terminal's Ctrl+C reaches it once (through
 * the CLI), not twice.
 */
export function runDaemonForeground(daemon: DaemonCommandLine, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(daemon.command, [...daemon.args, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      detached: true,
      env: process.env,
    });
    const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const s of forwarded) process.on(s, forward);
    const cleanup = () => {
      for (const s of forwarded) process.off(s, forward);
    };
    child.once('error', (error) => {
      cleanup();
      reject(
        new CliError(
          'DAEMON_START_FAILED',
          `Cannot run the Kepler daemon (${daemon.command}): ${error.message}`,
        ),
      );
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (osConstants.signals[signal] ?? 0);
}
