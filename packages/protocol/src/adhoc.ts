/** What `kepler run` and `kepler rm` send (the `adhocAdd` and `adhocRemove` requests in messages.ts). */

/**
 * Who asks for an ad-hoc change: its ad-hoc config is `<uid>.yaml`. Claimed by the client (Node has no
 * peer credentials): the system socket admits only root and the `kepler` group, who can already run
 * anything as anyone, and a daemon not running as root uses its own uid instead.
 */
export interface AdhocCaller {
  readonly uid: number;
  readonly gid: number;
}

/** A service as `kepler run` describes it, complete: the daemon adds nothing from elsewhere. */
export interface AdhocService {
  /** Absent: the command's basename, made unique in the ad-hoc config (`sleep`, `sleep-2`). */
  readonly name?: string;
  /** The argv, run without a shell. */
  readonly command: readonly string[];
  /** Absolute. */
  readonly workingDir: string;
  /** `KEY=VALUE`, the process's whole environment (the CLI's, then `--env-file`, then `-e`). */
  readonly environment: readonly string[];
  readonly restart: 'no' | 'always' | 'on-failure';
  /** `--user` (needs root unless it is the caller); absent: the caller's own user. */
  readonly user?: string;
}
