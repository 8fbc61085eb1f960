import { execFile } from 'node:child_process';

/**
 * Sends a status line (`READY=1`, `STOPPING=1`, `STATUS=...`) to systemd when the daemon runs under
 * a `Type=notify` unit, i.e. when NOTIFY_SOCKET is set; otherwise does nothing and resolves false.
 * Node cannot write to a unix datagram socket, so this runs `systemd-notify --pid=<daemon pid>`: as
 * root the message then carries the daemon's pid in its credentials, which the default
 * `NotifyAccess=main` accepts. `--no-block`: systemd 252's notify otherwise waits for a barrier reply
 * (up to seconds, then fails) that a plain receiver never sends; the credentials already name a live
 * process, so nothing depends on the wait. Never rejects; resolves true when the message was sent. Never blocks.
 */
export async function notifySystemd(state: string): Promise<boolean> {
  if (!process.env.NOTIFY_SOCKET) return false;
  // A busy machine occasionally fails one attempt (seen under a loaded test run): try a few times.
  for (let attempt = 1; attempt <= NOTIFY_ATTEMPTS; attempt++) {
    if (await sendOnce(state)) return true;
  }
  return false;
}

/** Attempts of notifySystemd before it gives up. */
export const NOTIFY_ATTEMPTS = 3;

function sendOnce(state: string): Promise<boolean> {
  return new Promise((resolve) => {
    // env passed explicitly: the socket must reach systemd-notify even if process.env was replaced.
    execFile(
      'systemd-notify',
      ['--no-block', `--pid=${process.pid}`, state],
      { timeout: 5000, env: { ...process.env } },
      (err) => resolve(err === null),
    );
  });
}
