import type { ClearedLog, RetentionSetting } from '@kepler/protocol';

/**
 * Said (on stderr) by `ps` and `logs` for a config the daemon has not loaded: they do not load it, so
 * the user learns what would.
 */
export function notLoadedLine(path: string): string {
  return `${path} is not loaded (\`kepler start -f ${path}\` loads it)`;
}

const CLEARED_WHEN: Readonly<Record<RetentionSetting, { when: string; keep: string }>> = {
  on_stop: { when: 'the service stopped', keep: 'to keep the logs of stopped services' },
  on_exit: { when: 'its process exited', keep: 'to keep the logs of ended runs' },
  on_start: { when: 'the service started', keep: "to keep earlier runs' logs" },
  on_restart: { when: 'the service restarted', keep: "to keep earlier runs' logs" },
};

/**
 * Why `kepler logs` printed nothing of a service: retention cleared its output. Names the setting and
 * the value that keeps the lines.
 */
export function clearedLine(cleared: ClearedLog): string {
  const { when, keep } = CLEARED_WHEN[cleared.by];
  return `${cleared.service}: no stored output: it was cleared when ${when} (logs.retention.${cleared.by}: clear; set it to retain ${keep})`;
}
