/** What a Nomad mapping row reads and fills in, and the helpers rows share. */
import type { BakedConfig, BakedHook, BakedService } from '@kepler/config';
import { notFoundText } from '../resolveExecutable.js';
import type { NomadDriver, NomadNetwork, NomadTask, NomadTaskGroup } from './nomadJob.js';

/** What a row may read besides the service. */
export interface GroupContext {
  readonly baked: BakedConfig;
  readonly service: BakedService;
  readonly job: string;
  readonly driver: NomadDriver;
  /** The services in this job. */
  readonly exported: ReadonlySet<string>;
  /** The Consul name a service of this config registers as. */
  consulName(service: string): string;
  /** Whether a service registers in Consul (it has a check, or another service waits for it). */
  isRegistered(service: string): boolean;
  /** argv with argv[0] made absolute, or null when no such file was found. */
  absolute(argv: readonly string[], cwd: string, env: Readonly<Record<string, string>>): string[] | null;
}

/** The task group being built: rows fill in the group, its main task and its lifecycle tasks. */
export interface GroupDraft {
  readonly group: Omit<NomadTaskGroup, 'Tasks'>;
  readonly main: NomadTask;
  /** Prestart tasks (dependency waits, then hooks), then poststart and poststop ones, in row order. */
  readonly lifecycle: NomadTask[];
  /** Variables every task of the group gets besides its own (PORT, as the daemon gives it to hooks too). */
  readonly groupEnv: Record<string, string>;
  /** Records a setting the job cannot carry, or carries only in part. */
  warn(key: string, message: string): void;
}

/** Adds a fixed port to the group's network (one network per group), unless it has that label. */
export function reservePort(draft: GroupDraft, label: string, value: number): void {
  const network = networkOf(draft);
  if (network.ReservedPorts?.some((p) => p.Label === label)) return;
  network.ReservedPorts = [...(network.ReservedPorts ?? []), { Label: label, Value: value }];
}

/** Adds a port Nomad picks to the group's network. */
export function dynamicPort(draft: GroupDraft, label: string): void {
  const network = networkOf(draft);
  network.DynamicPorts = [...(network.DynamicPorts ?? []), { Label: label }];
}

function networkOf(draft: GroupDraft): NomadNetwork {
  if (draft.group.Networks === undefined) draft.group.Networks = [{}];
  return draft.group.Networks[0] as NomadNetwork;
}

/** One Kepler key and how it maps. */
export interface NomadRow {
  /** The key in the config file's words. */
  readonly key: string;
  apply(ctx: GroupContext, draft: GroupDraft): void;
}

/** Milliseconds to the API's nanoseconds. */
export function ns(ms: number): number {
  return ms * 1_000_000;
}

/** An environment with its names in order (the same snapshot gives the same bytes). */
export function sortedEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(env)
      .sort()
      .map((name) => [name, env[name] ?? '']),
  );
}

/**
 * `user` for a task: Nomad takes a user name only; the gid of `uid:gid` is dropped (warned by
 * the caller).
 */
export function taskUser(user: string): { user: string; droppedGroup: string | null } {
  const colon = user.indexOf(':');
  return colon === -1
    ? { user, droppedGroup: null }
    : { user: user.slice(0, colon), droppedGroup: user.slice(colon + 1) };
}

/**
 * The warning for a task's `user`, or null: a dropped gid, and a numeric uid, which Nomad's executor
 * looks up as a user name (Go's user.Lookup), so the task fails to start unless a user has that name.
 */
export function taskUserWarning(split: { user: string; droppedGroup: string | null }): string | null {
  const parts: string[] = [];
  if (split.droppedGroup !== null)
    parts.push(`Nomad has no group setting: gid ${split.droppedGroup} not kept`);
  if (/^\d+$/.test(split.user)) {
    parts.push(
      `uid ${split.user}: Nomad looks User up by name (a task whose user has no such name fails to start): write the name`,
    );
  }
  return parts.length > 0 ? parts.join('; ') : null;
}

/** The `config` of a task running `argv` in `cwd`; argv[0] kept as written when not found (warned). */
export function taskConfig(
  ctx: GroupContext,
  draft: GroupDraft,
  key: string,
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): NomadTask['Config'] {
  const exe = ctx.absolute(argv, cwd, env);
  if (exe === null) draft.warn(key, `${notFoundText(argv[0] ?? '', cwd)}: the task names it as written`);
  const [command = '', ...args] = exe ?? argv;
  return { command, ...(args.length > 0 ? { args } : {}), work_dir: cwd };
}

/** A lifecycle task running a hook. */
export function hookTask(
  ctx: GroupContext,
  draft: GroupDraft,
  name: string,
  hook: BakedHook,
  lifecycle: NonNullable<NomadTask['Lifecycle']>['Hook'],
): NomadTask {
  const key = `hooks.${name}`;
  const task: NomadTask = {
    Name: `hook-${name}`,
    Driver: ctx.driver,
    Lifecycle: { Hook: lifecycle, Sidecar: false },
    Config: taskConfig(ctx, draft, key, hook.command, hook.workingDir, hook.environment),
  };
  const environment = { ...draft.groupEnv, ...hook.environment };
  if (Object.keys(environment).length > 0) task.Env = sortedEnv(environment);
  if (hook.user !== null) {
    const split = taskUser(hook.user);
    task.User = split.user;
    const warning = taskUserWarning(split);
    if (warning !== null) draft.warn(`${key}.user`, warning);
  }
  if (hook.group !== null) draft.warn(`${key}.group`, `Nomad has no group setting: ${hook.group} not kept`);
  return task;
}
