/**
 * Runs one Lua block (the `lua:` block or a `!lua` / `!lua_file` value) in the sandbox with its `ctx`,
 * and turns the result into raw nodes or the failure into an issue at the block's key path.
 */
import { basename } from 'node:path';
import type { IssueCollector, Pos } from '../issues.js';
import type { RawLua, RawNode } from '../parse.js';
import { type LuaContext, LuaEvalError, type LuaEvaluator } from './LuaEvaluator.js';
import { fromPlain } from './rawNodes.js';
import type { Scope } from './scope.js';

export class LuaBlockRunner {
  private readonly chunk: string;
  private reportedStop = false;

  constructor(
    private readonly evaluator: LuaEvaluator,
    private readonly issues: IssueCollector,
  ) {
    this.chunk = `=${basename(issues.file)}`;
  }

  /** The block's value as raw nodes; null when Lua returned nil; an `errored` node when it failed. */
  async run(lua: RawLua, scope: Scope, path: string): Promise<RawNode | null> {
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
        dir: lua.dir ?? null,
        chunk: this.chunkOf(lua),
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

  /** The chunk name of inline code: the file it is written in (an overlay's own name for its tags). */
  private chunkOf(lua: RawLua): string {
    return lua.pos.file === undefined ? this.chunk : `=${basename(lua.pos.file)}`;
  }

  private report(error: LuaEvalError, lua: RawLua, path: string): void {
    switch (error.kind) {
      case 'lua': {
        // Inline code is padded so `kepler.yaml:LINE:` is already the YAML line.
        const prefix = `${this.chunkOf(lua).slice(1)}:`;
        const match =
          lua.file === null
            ? new RegExp(`^${escapeRegExp(prefix)}(\\d+): ([\\s\\S]*)$`).exec(error.message)
            : null;
        const hint = /attempt to modify a readonly table/.test(error.message)
          ? ' (ctx and its tables are read-only; keep your own state in `global`)'
          : '';
        if (match) {
          // The line is Lua's (mapped onto the YAML file); the column is unknown.
          const line = Number(match[1]);
          const at = lua.pos.file === undefined ? { line } : { line, file: lua.pos.file };
          this.issues.add(path, `Lua error: ${match[2]}${hint}`, at);
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
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
