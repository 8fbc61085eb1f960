/**
 * The Lua stage, between parse and normalise: evaluates the top-level `lua:` block, then every `!lua` /
 * `!lua_file` value, replacing each with the data it returned. Lua runs once per bake, in this order:
 * the `lua:` block; `kepler` (its `sys_env` first, then hooks and the rest); `services` in source order;
 * other top-level keys. Within a service: `sys_env`, `env_file`, `environment`, then every other key in
 * source order, hooks included. `global` is shared by all of them.
 *
 * What `ctx.env` holds is "the environment so far" at that point, built up as the Rust Kepler did:
 * - top level (the `lua:` block), `kepler`, a service's `sys_env` and `env_file`: the captured CLI
 *   environment, whatever `sys_env` says (so the seed's `ctx.env.PORT or "8080"` sees the shell's PORT);
 * - a service's `environment`: that, plus the env_file's variables;
 * - any other service key: the CLI environment < env_file < environment;
 * - inside a hook: the same staging on top of the service's (hook env_file, then hook environment).
 * `sys_env` decides only what reaches the running process (the bake), not what Lua sees.
 * `ctx.sys_env` is always the whole captured environment and `ctx.env_file` the env_file's variables.
 *
 * A Lua `nil` for a map value removes the key (the default applies); a `nil` list item is dropped.
 * Tables with string keys come back with their keys sorted (Lua tables have no order).
 */
import { type Lookup, layeredLookup } from '../expand.js';
import { type IssueCollector, indexPath, joinPath } from '../issues.js';
import type { RawConfig, RawEntry, RawMap, RawNode } from '../parse.js';
import { LuaBlockRunner } from './LuaBlockRunner.js';
import { LuaEvaluator } from './LuaEvaluator.js';
import { rebuild } from './rawNodes.js';
import { EMPTY_ENV, envFileVars, environmentVars, type Scope } from './scope.js';

/** Input of the Lua stage. */
export interface LuaStageInput {
  readonly raw: RawConfig;
  readonly configDir: string;
  /** The captured CLI environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Override of `LUA_DEADLINE_MS` (tests). */
  readonly deadlineMs?: number;
  readonly onPrint?: (text: string) => void;
}

/** Evaluates all Lua in `input.raw`, reporting failures to `issues`. A config without Lua is returned as is. */
export async function evaluateLua(input: LuaStageInput, issues: IssueCollector): Promise<RawConfig> {
  if (!input.raw.hasLua) return input.raw;
  const evaluator = new LuaEvaluator({
    configDir: input.configDir,
    sysEnv: input.env,
    ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
    ...(input.onPrint ? { onPrint: input.onPrint } : {}),
  });
  try {
    const stage = new LuaStage(new LuaBlockRunner(evaluator, issues), input);
    return { ...input.raw, root: await stage.root(input.raw.root), hasLua: false };
  } finally {
    await evaluator.close();
  }
}

/** Each map's evaluated entries, by entry; an entry absent from it is evaluated later (or kept). */
type Resolved = Map<RawEntry, RawNode | null>;

/** Walks the config in the documented order, evaluating each Lua value with the scope of its place. */
class LuaStage {
  private readonly captured: Readonly<Record<string, string>>;
  private readonly home: string | undefined;

  constructor(
    private readonly runner: LuaBlockRunner,
    private readonly input: LuaStageInput,
  ) {
    this.captured = input.env;
    this.home = input.env.HOME;
  }

  async root(node: RawNode): Promise<RawNode> {
    const global: Scope = { env: this.captured, envFile: EMPTY_ENV, serviceName: null, hookName: null };
    let root = node;
    if (root.kind === 'lua')
      root = (await this.runner.run(root, global, '')) ?? { kind: 'map', entries: [], pos: root.pos };
    if (root.kind !== 'map') return root;

    const resolved: Resolved = new Map();
    const luaBlock = root.entries.find((entry) => entry.key === 'lua');
    if (luaBlock) {
      const code = luaBlock.value;
      if (code.kind === 'scalar' && typeof code.value === 'string') {
        await this.runner.run(
          {
            kind: 'lua',
            code: code.value,
            file: null,
            pos: code.pos,
            codeLine: code.contentLine ?? code.pos.line,
          },
          global,
          'lua',
        );
      } else resolved.set(luaBlock, await this.value(code, global, 'lua'));
    }
    const keplerEntry = root.entries.find((entry) => entry.key === 'kepler');
    if (keplerEntry) resolved.set(keplerEntry, await this.kepler(keplerEntry.value, global));
    const servicesEntry = root.entries.find((entry) => entry.key === 'services');
    if (servicesEntry) resolved.set(servicesEntry, await this.services(servicesEntry.value, global));
    for (const entry of root.entries) {
      if (!resolved.has(entry) && entry !== luaBlock)
        resolved.set(entry, await this.value(entry.value, global, entry.key));
    }
    return rebuild(root, resolved);
  }

  private async kepler(node: RawNode, global: Scope): Promise<RawNode | null> {
    const path = 'kepler';
    const kepler = await this.shallow(node, global, path);
    if (kepler?.kind !== 'map') return kepler;
    const resolved: Resolved = new Map();
    await this.first(kepler, 'sys_env', global, path, resolved); // evaluated first, as documented
    await this.rest(kepler, global, path, resolved, layeredLookup(this.captured));
    return rebuild(kepler, resolved);
  }

  private async services(node: RawNode, global: Scope): Promise<RawNode | null> {
    const services = await this.shallow(node, global, 'services');
    if (services?.kind !== 'map') return services;
    const resolved: Resolved = new Map();
    for (const entry of services.entries) {
      resolved.set(entry, await this.service(entry.key, entry.value, global));
    }
    return rebuild(services, resolved);
  }

  private async service(name: string, node: RawNode, global: Scope): Promise<RawNode | null> {
    const path = joinPath('services', name);
    const base: Scope = { ...global, serviceName: name };
    const service = await this.shallow(node, base, path);
    if (service?.kind !== 'map') return service;
    const resolved: Resolved = new Map();

    await this.first(service, 'sys_env', base, path, resolved); // evaluated first, as documented
    const fileVars = envFileVars(
      await this.first(service, 'env_file', base, path, resolved),
      layeredLookup(this.captured),
      this.input.configDir,
      this.home,
    );
    const fileScope: Scope = { ...base, env: { ...base.env, ...fileVars }, envFile: fileVars };
    const own = environmentVars(
      await this.first(service, 'environment', fileScope, path, resolved),
      layeredLookup(fileVars, this.captured),
      this.home,
    );
    const full: Scope = { ...fileScope, env: { ...fileScope.env, ...own } };
    await this.rest(service, full, path, resolved, layeredLookup(own, fileVars, this.captured));
    return rebuild(service, resolved);
  }

  /** A `hooks` map: each hook staged like a service, on top of `parent`'s environment. */
  private async hooks(
    node: RawNode,
    parent: Scope,
    path: string,
    parentLookup: Lookup,
  ): Promise<RawNode | null> {
    const hooks = await this.shallow(node, parent, path);
    if (hooks?.kind !== 'map') return hooks;
    const resolved: Resolved = new Map();
    for (const hookEntry of hooks.entries) {
      const hookPath = joinPath(path, hookEntry.key);
      const base: Scope = { ...parent, hookName: hookEntry.key };
      const hook = await this.shallow(hookEntry.value, base, hookPath);
      if (hook?.kind !== 'map') {
        resolved.set(hookEntry, hook);
        continue;
      }
      const inner: Resolved = new Map();
      const fileVars = envFileVars(
        await this.first(hook, 'env_file', base, hookPath, inner),
        parentLookup,
        this.input.configDir,
        this.home,
      );
      const fileScope: Scope = {
        ...base,
        env: { ...base.env, ...fileVars },
        envFile: { ...base.envFile, ...fileVars },
      };
      const fileLookup = layeredLookup(fileVars);
      const own = environmentVars(
        await this.first(hook, 'environment', fileScope, hookPath, inner),
        (name) => fileLookup(name) ?? parentLookup(name),
        this.home,
      );
      const full: Scope = { ...fileScope, env: { ...fileScope.env, ...own } };
      await this.rest(hook, full, hookPath, inner, null);
      resolved.set(hookEntry, rebuild(hook, inner));
    }
    return rebuild(hooks, resolved);
  }

  /**
   * Evaluates `map`'s `key` entry ahead of the others (its value stages the scope of the rest) and
   * records it in `resolved`. Undefined when the key is absent; null when Lua returned nil.
   */
  private async first(
    map: RawMap,
    key: string,
    scope: Scope,
    path: string,
    resolved: Resolved,
  ): Promise<RawNode | null | undefined> {
    const entry = map.entries.find((e) => e.key === key);
    if (!entry) return undefined;
    const value = await this.value(entry.value, scope, joinPath(path, key));
    resolved.set(entry, value);
    return value;
  }

  /**
   * Evaluates the entries of `map` not yet in `resolved`, in source order. With `hooksLookup`, a
   * `hooks` entry is staged hook by hook on that lookup; without, it is a plain value.
   */
  private async rest(
    map: RawMap,
    scope: Scope,
    path: string,
    resolved: Resolved,
    hooksLookup: Lookup | null,
  ): Promise<void> {
    for (const entry of map.entries) {
      if (resolved.has(entry)) continue;
      const childPath = joinPath(path, entry.key);
      const value =
        entry.key === 'hooks' && hooksLookup
          ? await this.hooks(entry.value, scope, childPath, hooksLookup)
          : await this.value(entry.value, scope, childPath);
      resolved.set(entry, value);
    }
  }

  /** Evaluates `node` itself if it is Lua (children untouched); null when Lua returned nil. */
  private async shallow(node: RawNode, scope: Scope, path: string): Promise<RawNode | null> {
    return node.kind === 'lua' ? this.runner.run(node, scope, path) : node;
  }

  /** Evaluates every Lua value in `node`, depth first, in source order. */
  private async value(node: RawNode, scope: Scope, path: string): Promise<RawNode | null> {
    switch (node.kind) {
      case 'lua':
        return this.runner.run(node, scope, path);
      case 'map': {
        const resolved: Resolved = new Map();
        for (const entry of node.entries)
          resolved.set(entry, await this.value(entry.value, scope, joinPath(path, entry.key)));
        return rebuild(node, resolved);
      }
      case 'seq': {
        const items: RawNode[] = [];
        for (const [i, item] of node.items.entries()) {
          const value = await this.value(item, scope, indexPath(path, i));
          if (value) items.push(value);
        }
        return { ...node, items };
      }
      default:
        return node;
    }
  }
}
