/**
 * The Lua stage, between parse and normalise: evaluates the top-level `lua:` block, then every `!lua` /
 * `!lua_file` value, replacing each with the data it returned. Lua runs once per bake, in this order:
 * the `lua:` block; `kepler` (its `sys_env` first, then hooks and the rest); `services` in source order;
 * other top-level keys. Within a service: `sys_env`, `env_file`, `environment`, then every other key in
 * source order, hooks included. `global` is shared by all of them.
 *
 * What `ctx.env` holds is "the environment so far" at that point:
 * - top level, `kepler` and a service's own `sys_env`: the captured CLI environment when
 *   `kepler.sys_env` is `inherit`, else empty;
 * - a service's `env_file`: the same, but following the service's own `sys_env` policy;
 * - a service's `environment`: that, plus the env_file's variables;
 * - any other service key: the service's complete environment (sys env if inherit < env_file <
 *   environment), i.e. what the process will get;
 * - inside a hook: the same staging on top of the service's environment (hook env_file, then hook
 *   environment).
 * `ctx.sys_env` is always the whole captured environment and `ctx.env_file` the env_file's variables.
 *
 * A Lua `nil` for a map value removes the key (the default applies); a `nil` list item is dropped.
 * Tables with string keys come back with their keys sorted (Lua tables have no order).
 */
import { basename } from 'node:path';
import { expandEnvironment, readEnvFile, resolvePath } from '../environment.js';
import { expandVars, type Lookup, layeredLookup } from '../expand.js';
import { type IssueCollector, indexPath, joinPath, type Pos } from '../issues.js';
import type { RawConfig, RawEntry, RawLua, RawMap, RawNode } from '../parse.js';
import { type LuaContext, LuaEvalError, LuaEvaluator, type LuaPlain } from './LuaEvaluator.js';

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
    const stage = new LuaStage(evaluator, input, issues);
    return { ...input.raw, root: await stage.root(input.raw.root), hasLua: false };
  } finally {
    await evaluator.close();
  }
}

/** The env so far, as Lua sees it. */
interface Scope {
  readonly env: Readonly<Record<string, string>>;
  readonly envFile: Readonly<Record<string, string>>;
  readonly serviceName: string | null;
  readonly hookName: string | null;
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

class LuaStage {
  private readonly chunk: string;
  private readonly captured: Readonly<Record<string, string>>;
  private readonly home: string | undefined;
  private reportedStop = false;

  constructor(
    private readonly evaluator: LuaEvaluator,
    private readonly input: LuaStageInput,
    private readonly issues: IssueCollector,
  ) {
    this.chunk = `=${basename(issues.file)}`;
    this.captured = input.env;
    this.home = input.env.HOME;
  }

  async root(node: RawNode): Promise<RawNode> {
    const empty: Scope = { env: EMPTY, envFile: EMPTY, serviceName: null, hookName: null };
    let root = node;
    if (root.kind === 'lua')
      root = (await this.evaluate(root, empty, '')) ?? { kind: 'map', entries: [], pos: root.pos };
    if (root.kind !== 'map') return root;

    const keplerEntry = root.entries.find((entry) => entry.key === 'kepler');
    const peekedPolicy = keplerEntry ? policyOf(findEntry(keplerEntry.value, 'sys_env')?.value) : undefined;
    let global: Scope = { ...empty, env: peekedPolicy === 'inherit' ? this.captured : EMPTY };

    const resolved = new Map<RawEntry, RawNode | null>();
    const luaBlock = root.entries.find((entry) => entry.key === 'lua');
    if (luaBlock) {
      const code = luaBlock.value;
      if (code.kind === 'scalar' && typeof code.value === 'string') {
        await this.evaluate(
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
    if (keplerEntry) {
      const kepler = await this.kepler(keplerEntry.value, global);
      resolved.set(keplerEntry, kepler);
      const policy = policyOf(kepler ? findEntry(kepler, 'sys_env')?.value : undefined);
      global = { ...global, env: policy === 'inherit' ? this.captured : EMPTY };
    }
    const servicesEntry = root.entries.find((entry) => entry.key === 'services');
    if (servicesEntry) resolved.set(servicesEntry, await this.services(servicesEntry.value, global));
    for (const entry of root.entries) {
      if (!resolved.has(entry) && entry !== luaBlock)
        resolved.set(entry, await this.value(entry.value, global, entry.key));
    }
    return rebuild(root, resolved);
  }

  private async kepler(node: RawNode, global: Scope): Promise<RawNode | null> {
    const kepler = await this.shallow(node, global, 'kepler');
    if (kepler?.kind !== 'map') return kepler;
    const resolved = new Map<RawEntry, RawNode | null>();
    const sysEnv = kepler.entries.find((entry) => entry.key === 'sys_env');
    let scope = global;
    if (sysEnv) {
      const value = await this.value(sysEnv.value, global, 'kepler.sys_env');
      resolved.set(sysEnv, value);
      scope = { ...global, env: policyOf(value ?? undefined) === 'inherit' ? this.captured : EMPTY };
    }
    for (const entry of kepler.entries) {
      if (resolved.has(entry)) continue;
      const path = `kepler.${entry.key}`;
      const value =
        entry.key === 'hooks'
          ? await this.hooks(entry.value, scope, path, layeredLookup(this.captured))
          : await this.value(entry.value, scope, path);
      resolved.set(entry, value);
    }
    return rebuild(kepler, resolved);
  }

  private async services(node: RawNode, global: Scope): Promise<RawNode | null> {
    const services = await this.shallow(node, global, 'services');
    if (services?.kind !== 'map') return services;
    const resolved = new Map<RawEntry, RawNode | null>();
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
    const resolved = new Map<RawEntry, RawNode | null>();
    const take = async (key: string, scope: Scope): Promise<RawNode | null | undefined> => {
      const entry = service.entries.find((e) => e.key === key);
      if (!entry) return undefined;
      const value = await this.value(entry.value, scope, joinPath(path, key));
      resolved.set(entry, value);
      return value;
    };

    const policy =
      policyOf((await take('sys_env', base)) ?? undefined) ??
      (global.env === this.captured ? 'inherit' : 'clear');
    const sysScope: Scope = { ...base, env: policy === 'inherit' ? this.captured : EMPTY };
    const fileVars = this.envFileVars(await take('env_file', sysScope), layeredLookup(this.captured));
    const fileScope: Scope = { ...sysScope, env: { ...sysScope.env, ...fileVars }, envFile: fileVars };
    const own = this.environment(
      await take('environment', fileScope),
      layeredLookup(fileVars, this.captured),
    );
    const full: Scope = { ...fileScope, env: { ...fileScope.env, ...own } };
    const lookup = layeredLookup(own, fileVars, this.captured);

    for (const entry of service.entries) {
      if (resolved.has(entry)) continue;
      const childPath = joinPath(path, entry.key);
      const value =
        entry.key === 'hooks'
          ? await this.hooks(entry.value, full, childPath, lookup)
          : await this.value(entry.value, full, childPath);
      resolved.set(entry, value);
    }
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
    const resolved = new Map<RawEntry, RawNode | null>();
    for (const hookEntry of hooks.entries) {
      const hookPath = joinPath(path, hookEntry.key);
      const base: Scope = { ...parent, hookName: hookEntry.key };
      const hook = await this.shallow(hookEntry.value, base, hookPath);
      if (hook?.kind !== 'map') {
        resolved.set(hookEntry, hook);
        continue;
      }
      const inner = new Map<RawEntry, RawNode | null>();
      const take = async (key: string, scope: Scope): Promise<RawNode | null | undefined> => {
        const entry = hook.entries.find((e) => e.key === key);
        if (!entry) return undefined;
        const value = await this.value(entry.value, scope, joinPath(hookPath, key));
        inner.set(entry, value);
        return value;
      };
      const fileVars = this.envFileVars(await take('env_file', base), parentLookup);
      const fileScope: Scope = {
        ...base,
        env: { ...base.env, ...fileVars },
        envFile: { ...base.envFile, ...fileVars },
      };
      const fileLookup = layeredLookup(fileVars);
      const own = this.environment(
        await take('environment', fileScope),
        (name) => fileLookup(name) ?? parentLookup(name),
      );
      const full: Scope = { ...fileScope, env: { ...fileScope.env, ...own } };
      for (const entry of hook.entries) {
        if (!inner.has(entry))
          inner.set(entry, await this.value(entry.value, full, joinPath(hookPath, entry.key)));
      }
      resolved.set(hookEntry, rebuild(hook, inner));
    }
    return rebuild(hooks, resolved);
  }

  /** Evaluates `node` itself if it is Lua (children untouched); null when Lua returned nil. */
  private async shallow(node: RawNode, scope: Scope, path: string): Promise<RawNode | null> {
    return node.kind === 'lua' ? this.evaluate(node, scope, path) : node;
  }

  /** Evaluates every Lua value in `node`, depth first, in source order. */
  private async value(node: RawNode, scope: Scope, path: string): Promise<RawNode | null> {
    switch (node.kind) {
      case 'lua':
        return this.evaluate(node, scope, path);
      case 'map': {
        const resolved = new Map<RawEntry, RawNode | null>();
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

  private async evaluate(lua: RawLua, scope: Scope, path: string): Promise<RawNode | null> {
    if (this.evaluator.stopped && this.reportedStop) return { kind: 'errored', pos: lua.pos };
    const ctx: LuaContext = {
      env: scope.env,
      envFile: scope.envFile,
      serviceName: scope.serviceName,
      hookName: scope.hookName,
    };
    try {
      const value = await this.evaluator.evaluate({
        code: lua.code,
        file: lua.file,
        chunk: this.chunk,
        pad: Math.max(0, lua.codeLine - 1),
        ctx,
      });
      return fromPlain(value, lua.pos);
    } catch (error) {
      if (!(error instanceof LuaEvalError)) throw error;
      this.report(error, lua, path);
      return { kind: 'errored', pos: lua.pos };
    }
  }

  private report(error: LuaEvalError, lua: RawLua, path: string): void {
    switch (error.kind) {
      case 'lua': {
        // Inline code is padded so `kepler.yaml:LINE:` is already the YAML line.
        const prefix = `${this.chunk.slice(1)}:`;
        const match =
          lua.file === null
            ? new RegExp(`^${escapeRegExp(prefix)}(\\d+): ([\\s\\S]*)$`).exec(error.message)
            : null;
        const hint = /attempt to modify a readonly table/.test(error.message)
          ? ' (ctx and its tables are read-only; keep your own state in `global`)'
          : '';
        if (match) {
          // The line is Lua's (mapped onto the YAML file); the column is unknown.
          this.issues.add(path, `Lua error: ${match[2]}${hint}`, { line: Number(match[1]) });
        } else {
          this.issues.add(path, `Lua error: ${error.message}${hint}`, lua.pos);
        }
        return;
      }
      case 'convert':
        this.issues.add(path, `Lua returned an unusable value: ${error.message}`, lua.pos);
        return;
      case 'oom':
        this.stopOnce(
          path,
          'Lua ran out of memory (the sandbox has about 16 MB); evaluation was stopped',
          lua.pos,
        );
        return;
      default:
        this.stopOnce(path, error.message, lua.pos);
    }
  }

  private stopOnce(path: string, message: string, pos: Pos): void {
    if (this.reportedStop) return;
    this.reportedStop = true;
    // The sandbox is gone: later Lua blocks were not run, so their problems (if any) are not known yet.
    this.issues.add(path, `${message} (later Lua blocks were not evaluated)`, pos);
  }

  /** Reads the env_file named by an (evaluated) `env_file` node for `ctx`; problems are left to the bake. */
  private envFileVars(node: RawNode | null | undefined, lookup: Lookup): Record<string, string> {
    if (node?.kind !== 'scalar' || typeof node.value !== 'string') return {};
    try {
      return readEnvFile(
        resolvePath(this.input.configDir, expandVars(node.value, lookup, this.home)),
        lookup,
        this.home,
      );
    } catch {
      return {};
    }
  }

  /** Expands an (evaluated) `environment` node for `ctx`; problems are left to normalise and bake. */
  private environment(node: RawNode | null | undefined, below: Lookup): Record<string, string> {
    const entries: { key: string; value: string }[] = [];
    if (node?.kind === 'seq') {
      for (const item of node.items) {
        if (item.kind !== 'scalar' || typeof item.value !== 'string') continue;
        const eq = item.value.indexOf('=');
        if (eq > 0) entries.push({ key: item.value.slice(0, eq), value: item.value.slice(eq + 1) });
      }
    } else if (node?.kind === 'map') {
      for (const entry of node.entries) {
        const value = entry.value;
        if (value.kind === 'scalar' && value.value !== null)
          entries.push({ key: entry.key, value: value.text ?? String(value.value) });
      }
    }
    return expandEnvironment(entries, below, this.home, () => {});
  }
}

function findEntry(node: RawNode | undefined, key: string): RawEntry | undefined {
  return node?.kind === 'map' ? node.entries.find((entry) => entry.key === key) : undefined;
}

function policyOf(node: RawNode | undefined): 'clear' | 'inherit' | undefined {
  return node?.kind === 'scalar' && (node.value === 'clear' || node.value === 'inherit')
    ? node.value
    : undefined;
}

/** The map with each entry's value replaced; entries whose value became nil are dropped. */
function rebuild(map: RawMap, resolved: ReadonlyMap<RawEntry, RawNode | null>): RawMap {
  const entries: RawEntry[] = [];
  for (const entry of map.entries) {
    const value = resolved.has(entry) ? resolved.get(entry) : entry.value;
    if (value) entries.push(value === entry.value ? entry : { ...entry, value });
  }
  return { ...map, entries };
}

/** Plain Lua data -> raw nodes, all at the position of the `!lua` tag that produced them. */
function fromPlain(value: LuaPlain, pos: Pos): RawNode | null {
  if (value === null) return null;
  if (typeof value !== 'object') return { kind: 'scalar', value, pos, fromLua: true };
  switch (value.t) {
    case 'empty':
      return { kind: 'map', entries: [], pos, fromLua: true, emptyLuaTable: true };
    case 'seq':
      return {
        kind: 'seq',
        items: value.items
          .map((item) => fromPlain(item, pos))
          .filter((item): item is RawNode => item !== null),
        pos,
        fromLua: true,
      };
    case 'map':
      return {
        kind: 'map',
        entries: value.entries.flatMap(([key, item]) => {
          const node = fromPlain(item, pos);
          return node ? [{ key, keyPos: pos, value: node }] : [];
        }),
        pos,
        fromLua: true,
      };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
