/**
 * What the daemon tells a command about the snapshot it ran from, when that differs from what the
 * command's files would bake now: so the CLI can name what is not applied and how to apply it.
 * Optional on every message that carries it (older daemons never send it; no version bump).
 */

/** The running snapshot of one config, as far as the CLI needs it to explain itself. */
export interface SnapshotNote {
  /** Canonical path of the config (the first `-f` file). */
  readonly config: string;
  /**
   * Canonical paths of the overlays the snapshot was baked with, in merge order; empty when none.
   * A `kepler up` that keeps them names these after the config.
   */
  readonly overlays: readonly string[];
  /**
   * Canonical paths of the files the snapshot was baked from (the config, an overlay, a Lua file, an
   * env file) whose content changed since (or that are gone): empty when none did. Non-empty exactly
   * when the config is stale.
   */
  readonly changed: readonly string[];
}
