import { execFileSync } from 'node:child_process';

/**
 * The first systemd version with each setting the export writes only where it exists: older versions
 * log "Unknown key" and ignore it, so a unit for them leaves it out and the export warns instead.
 */
export const SYSTEMD_SINCE = {
  /** RestartSteps= and RestartMaxDelaySec= (exponential restart backoff), systemd v254. */
  restartSteps: 254,
} as const;

/** The version a unit is written for when none is given and none could be detected. */
export const FALLBACK_SYSTEMD_VERSION = 252;

/** The number in `systemd 252 (252.38-1~deb12u1)`, the first line of `--version`. */
export function parseSystemdVersion(text: string): number | null {
  const match = /^systemd (\d+)\b/m.exec(text);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * The installed systemd's version from `systemctl --version` (else `systemd-analyze --version`, which
 * needs no running systemd), or null when neither runs.
 */
export function detectSystemdVersion(): number | null {
  for (const tool of ['systemctl', 'systemd-analyze']) {
    try {
      const out = execFileSync(tool, ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const version = parseSystemdVersion(out);
      if (version !== null) return version;
    } catch {
      // not installed here: try the next
    }
  }
  return null;
}
