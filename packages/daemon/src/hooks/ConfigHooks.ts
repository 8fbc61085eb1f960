import {
  type BakedConfig,
  type BakedHook,
  DEFAULT_STOP_GRACE_MS,
  type GlobalHookName,
  type ServiceHookName,
} from '@kepler/config';
import type { LogStore } from '../logs/index.js';
import type { Platform } from '../platform/index.js';
import { HOOK_ABORT_GRACE_MS, type HookLimit, runHook, serviceMarker } from './HookRunner.js';

/** What a config's hooks need from it. */
export interface HookContext {
  readonly platform: Platform;
  readonly logs: LogStore;
  baked(): BakedConfig;
  /** `<config id>.<owner>`: the hook shares its owner's marker, so a stop of the owner ends it. */
  serviceIdOf(owner: string): string;
  /** A progress line for foreground clients (`running pre_start hook`, or the failure). */
  progress(owner: string, message: string): void;
  /** A line for daemon.log (a sweep that failed). */
  log(line: string): void;
}

/** The hooks a stop waits for: bounded, so one that hangs cannot hold `kepler stop` for ever. */
const STOP_PATH_HOOKS: ReadonlySet<string> = new Set(['pre_restart', 'pre_stop', 'post_stop', 'pre_cleanup']);

/**
 * A stop-path hook's limit: `ms` of `setting`, or the default stop grace period when that is 0 or
 * unset (`stop_grace_period: 0` kills the service at once, not its hooks before they can run).
 */
function stopPathLimit(ms: number, setting: string): HookLimit {
  return ms > 0 ? { ms, setting } : { ms: DEFAULT_STOP_GRACE_MS, setting: 'the default stop grace period' };
}

/** Runs a config's service hooks and global (`kepler.hooks`) hooks, reporting progress. */
export class ConfigHooks {
  /** A global hook ran in this daemon life: its marker may have processes left to end. */
  private globalRan = false;

  constructor(private readonly ctx: HookContext) {}

  /** Runs a service's hook to completion; resolves with null when it succeeded, else its one-line failure reason. */
  async runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null> {
    this.ctx.progress(service, `running ${hookName} hook`);
    const grace = this.ctx.baked().services[service]?.stopGracePeriodMs ?? DEFAULT_STOP_GRACE_MS;
    const limit = STOP_PATH_HOOKS.has(hookName) ? stopPathLimit(grace, 'stop_grace_period') : undefined;
    const outcome = await this.run(service, hookName, hook, signal, limit);
    if (outcome.ok) return null;
    const reason = outcome.reason ?? `${hookName} hook failed`;
    this.ctx.progress(service, reason);
    return reason;
  }

  /** Runs a global hook if the config has one; false when it failed. */
  async runGlobalHook(hookName: GlobalHookName): Promise<boolean> {
    const { kepler } = this.ctx.baked();
    const hook = kepler.hooks[hookName];
    if (!hook) return true;
    this.globalRan = true;
    this.ctx.progress('global', `running ${hookName} hook`);
    const limit = STOP_PATH_HOOKS.has(hookName)
      ? stopPathLimit(kepler.timeoutMs ?? 0, 'kepler.timeout')
      : undefined;
    const outcome = await this.run('global', hookName, hook, undefined, limit);
    if (!outcome.ok) this.ctx.progress('global', outcome.reason ?? `${hookName} hook failed`);
    return outcome.ok;
  }

  /**
   * Ends what global hooks left running (`sleep 1000 &` in a post_start): every process carrying the
   * `<config id>.global` marker, as a service's stop ends its own. Called once the config's services
   * are stopped and its global post_stop has run. Looks only when the config has global hooks or ran
   * one in this daemon life (without cgroups a look is a /proc pass).
   */
  async endGlobalLeftovers(): Promise<void> {
    if (!this.globalRan && Object.keys(this.ctx.baked().kepler.hooks).length === 0) return;
    const marker = serviceMarker(this.ctx.serviceIdOf('global'));
    try {
      await this.ctx.platform.sweepMarker({ marker, signal: 'SIGTERM', graceMs: HOOK_ABORT_GRACE_MS });
    } catch (e) {
      this.ctx.log(`cannot end what global hooks left running: ${(e as Error).message}`);
    }
  }

  private run(owner: string, hookName: string, hook: BakedHook, signal?: AbortSignal, limit?: HookLimit) {
    const { platform, logs } = this.ctx;
    const serviceId = this.ctx.serviceIdOf(owner);
    return runHook({ platform, logs, owner, hookName, hook, serviceId, signal, limit });
  }
}
