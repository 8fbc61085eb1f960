/** What both mappers warn about `logs.retention`: neither engine clears a service's logs on an event. */
import { type BakedLogSettings, DEFAULT_LOG_SETTINGS, type RetentionAction } from '@kepler/config';

/** The `logs.retention` settings that are not Kepler's defaults, by their names in the file (`on_stop`). */
export function changedRetention(logs: BakedLogSettings): [name: string, value: RetentionAction][] {
  const fallback = DEFAULT_LOG_SETTINGS.retention;
  const { onStart, onStop, onRestart, onExit } = logs.retention;
  const all: [string, RetentionAction, RetentionAction][] = [
    ['on_start', onStart, fallback.onStart],
    ['on_stop', onStop, fallback.onStop],
    ['on_restart', onRestart, fallback.onRestart],
    ['on_exit', onExit, fallback.onExit],
  ];
  return all.filter(([, value, dflt]) => value !== dflt).map(([name, value]) => [name, value]);
}
