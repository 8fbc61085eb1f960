import type { BakedConfig, BakedHook, GlobalHookName, ServiceHookName } from '@kepler/config';
import type { LogStore } from '../logs/index.js';
import type { Platform } from '../platform/index.js';
import { runHook } from './HookRunner.js';

/** What a config's hooks need from it. */
export interface HookContext {
  readonly platform: Platform;
  readonly logs: LogStore;
  baked(): BakedConfig;
  /** `<config id>.<owner>`: the hook shares its owner's marker, so a stop of the owner ends it. */
  serviceIdOf(owner: string): string;
  /** A progress line for foreground clients (`running pre_start hook`, or the failure). */
  progress(owner: string, message: string): void;
}

/** Runs a config's service hooks and global (`kepler.hooks`) hooks, reporting progress. */
export class ConfigHooks {
  constructor(private readonly ctx: HookContext) {}

  /** Runs a service's hook to completion; resolves with null when it succeeded, else its one-line failure reason. */
  async runServiceHook(
    service: string,
    hookName: ServiceHookName,
    hook: BakedHook,
    signal?: AbortSignal,
  ): Promise<string | null> {
    this.ctx.progress(service, `running ${hookName} hook`);
    const outcome = await this.run(service, hookName, hook, signal);
    if (outcome.ok) return null;
    const reason = outcome.reason ?? `${hookName} hook failed`;
    this.ctx.progress(service, reason);
    return reason;
  }

  /** Runs a global hook if the config has one; false when it failed. */
  async runGlobalHook(hookName: GlobalHookName): Promise<boolean> {
    const hook = this.ctx.baked().kepler.hooks[hookName];
    if (!hook) return true;
    this.ctx.progress('global', `running ${hookName} hook`);
    const outcome = await this.run('global', hookName, hook);
    if (!outcome.ok) this.ctx.progress('global', outcome.reason ?? `${hookName} hook failed`);
    return outcome.ok;
  }

  private run(owner: string, hookName: string, hook: BakedHook, signal?: AbortSignal) {
    const { platform, logs } = this.ctx;
    return runHook({ platform, logs, owner, hookName, hook, serviceId: this.ctx.serviceIdOf(owner), signal });
  }
}
