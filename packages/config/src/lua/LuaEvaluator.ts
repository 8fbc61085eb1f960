/**
 * Runs Lua for one bake in a worker thread, so a runaway script can be stopped: the whole bake's Lua
 * shares one deadline, after which the worker is terminated. Memory is capped by luau-web's fixed wasm
 * heap (about 16 MB) and the worker's own V8 limits.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LUA_WORKER_SOURCE } from './workerSource.js';

/** Wall-clock budget for all Lua of one bake, worker start-up included. */
export const LUA_DEADLINE_MS = 2500;
/** V8 heap limit for the worker (the Lua heap itself is luau-web's fixed wasm memory). */
const WORKER_HEAP_MB = 64;

/** Plain data returned by Lua. `{t: 'empty'}` is an empty table (a list or a map). */
export type LuaPlain =
  | null
  | string
  | number
  | boolean
  | { readonly t: 'seq'; readonly items: readonly LuaPlain[] }
  | { readonly t: 'map'; readonly entries: readonly (readonly [string, LuaPlain])[] }
  | { readonly t: 'empty' };

/** The `ctx` a Lua block sees (`sys_env` is fixed for the bake and given at start). */
export interface LuaContext {
  readonly env: Readonly<Record<string, string>>;
  readonly envFile: Readonly<Record<string, string>>;
  readonly serviceName: string | null;
  readonly hookName: string | null;
}

/** One chunk to evaluate: inline `code` or a `!lua_file`. */
export interface LuaEvalRequest {
  /** Inline code, or null when `file` is set. */
  readonly code: string | null;
  /** A `!lua_file` path relative to `dir`. */
  readonly file: string | null;
  /** The directory `file` must be in: null for the config's, an overlay's for a tag written there. */
  readonly dir: string | null;
  /** Lua chunk name (`=kepler.yaml`): errors read `kepler.yaml:LINE: message`. */
  readonly chunk: string;
  /** Blank lines put before `code` so Lua's line numbers equal the YAML file's. */
  readonly pad: number;
  readonly ctx: LuaContext;
}

/** Why an evaluation failed: a Lua error, an unconvertible value, the deadline, memory, or a crash. */
export type LuaFailureKind = 'lua' | 'convert' | 'timeout' | 'oom' | 'crash';

/** A failed evaluation; `kind` says whether the evaluator can still be used (`lua`, `convert`). */
export class LuaEvalError extends Error {
  override readonly name = 'LuaEvalError';
  constructor(
    readonly kind: LuaFailureKind,
    message: string,
  ) {
    super(message);
  }
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'print'; text: string }
  | { type: 'read'; path: string }
  | { type: 'result'; id: number; ok: true; value: LuaPlain }
  | { type: 'result'; id: number; ok: false; kind: LuaFailureKind; message: string };

interface Pending {
  resolve(value: LuaPlain): void;
  reject(error: LuaEvalError): void;
}

let luauUrl: string | undefined;
function resolveLuauUrl(): string {
  luauUrl ??= pathToFileURL(createRequire(import.meta.url).resolve('luau-web')).href;
  return luauUrl;
}

/** Options of `LuaEvaluator`. */
export interface LuaEvaluatorOptions {
  readonly configDir: string;
  /** The captured CLI environment, exposed as `ctx.sys_env`. */
  readonly sysEnv: Readonly<Record<string, string>>;
  readonly deadlineMs?: number;
  /** Receives Lua `print` output. */
  readonly onPrint?: (text: string) => void;
  /** Receives the absolute path of every Lua file read (`!lua_file`, `require`). */
  readonly onFileRead?: (path: string) => void;
}

/** One Lua state in one worker, for one bake. Always `close()` it. */
export class LuaEvaluator {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: LuaEvalError | undefined;
  private readonly ready: Promise<void>;
  private readonly timer: NodeJS.Timeout;
  private stderr = '';
  private onFail: (error: LuaEvalError) => void = () => {};

  constructor(private readonly options: LuaEvaluatorOptions) {
    const deadlineMs = options.deadlineMs ?? LUA_DEADLINE_MS;
    this.worker = new Worker(LUA_WORKER_SOURCE, {
      eval: true,
      workerData: { luauUrl: resolveLuauUrl(), configDir: options.configDir, sysEnv: { ...options.sysEnv } },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: true,
      stderr: true,
    });
    // Keep the worker's own output off our stdout (`kepler config --json` must stay parseable).
    this.worker.stdout.resume();
    this.worker.stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += chunk.toString();
    });
    let markReady!: () => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      this.onFail = reject;
    });
    this.ready.catch(() => {}); // observed through eval()
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message, markReady));
    this.worker.on('error', (error) =>
      this.fail(
        new LuaEvalError(
          /memory/i.test(error.message) ? 'oom' : 'crash',
          `Lua worker failed: ${error.message}`,
        ),
      ),
    );
    this.worker.on('exit', (code) => {
      this.fail(
        new LuaEvalError(
          'crash',
          `Lua worker exited (code ${code})${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
        ),
      );
    });
    this.timer = setTimeout(() => {
      this.fail(
        new LuaEvalError(
          'timeout',
          `Lua did not finish within ${deadlineMs / 1000} s (an endless loop?); evaluation was stopped`,
        ),
      );
    }, deadlineMs);
  }

  private onMessage(message: WorkerMessage, markReady: () => void): void {
    switch (message.type) {
      case 'ready':
        markReady();
        return;
      case 'fatal':
        this.fail(new LuaEvalError('crash', `Lua could not start: ${message.message}`));
        return;
      case 'print':
        (this.options.onPrint ?? ((text: string) => process.stderr.write(`[lua] ${text}\n`)))(message.text);
        return;
      case 'read':
        this.options.onFileRead?.(message.path);
        return;
      case 'result': {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (!pending) return;
        if (message.ok) pending.resolve(message.value);
        else {
          const error = new LuaEvalError(message.kind, message.message);
          if (message.kind === 'oom') this.fail(error);
          pending.reject(error);
        }
      }
    }
  }

  /** Marks the evaluator dead (first failure wins), rejects everything pending and stops the worker. */
  private fail(error: LuaEvalError): void {
    if (this.failure) return;
    this.failure = error;
    clearTimeout(this.timer);
    this.onFail(error);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    void this.worker.terminate();
  }

  /** The failure that stopped this evaluator, if any (later evaluations are refused with it). */
  get stopped(): LuaEvalError | undefined {
    return this.failure;
  }

  /** Evaluates one chunk and returns its first result as plain data. Rejects with `LuaEvalError`. */
  async evaluate(request: LuaEvalRequest): Promise<LuaPlain> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    return new Promise<LuaPlain>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'eval', id, ...request });
    });
  }

  /** Stops the worker. Safe to call more than once. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.failure) {
      this.failure = new LuaEvalError('crash', 'Lua evaluator closed');
      this.onFail(this.failure);
      await this.worker.terminate();
    }
  }
}
