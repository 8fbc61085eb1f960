/**
 * The Lua worker's code, kept as a plain CommonJS string and started with `new Worker(src, {eval: true})`.
 * A string works the same under jest (TypeScript sources) and from dist, with no file to copy or
 * resolve. The worker imports luau-web from the absolute URL the parent resolved, so it does not
 * depend on the current directory.
 *
 * Messages in:  {type: 'eval', id, code | file, dir, chunk, pad, ctx: {env, envFile, serviceName, hookName}}
 * Messages out: {type: 'ready'} | {type: 'fatal', message} | {type: 'print', text}
 *               | {type: 'result', id, ok: true, value} | {type: 'result', id, ok: false, kind, message}
 * Values out are plain: null | string | number | boolean | {t: 'seq', items} | {t: 'map', entries} |
 * {t: 'empty'} (an empty table, which may be a list or a map).
 */

/** Lua run once in a fresh state before anything else: the sandbox, `require`, `global`, `ctx`. */
const PRELUDE = String.raw`
local load_module = __kepler_load
local host_print = __kepler_print
__kepler_load = nil
__kepler_print = nil

-- Calling getfenv once turns off Luau's import caching for the shared environment. Without it,
-- dotted global reads are resolved when a chunk loads, so "global.n = 1 return global.n" would
-- return the old value. (The worker removes getfenv, setfenv, debug and the loaders from _G after
-- this prelude; Luau itself has no io, loadfile or dofile.)
getfenv(1)

-- Keep only os's clock functions (Luau has no os.execute/remove/rename/exit/getenv/tmpname; this
-- also guards against a future Luau that adds them).
local os_clock, os_date, os_difftime, os_time = os.clock, os.date, os.difftime, os.time
os = table.freeze({ clock = os_clock, date = os_date, difftime = os_difftime, time = os_time })

print = function(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  host_print(table.concat(parts, "\t"))
end

local loaded = {}
local loading = {}
-- require(name): modules live in the config's directory only ("helpers" -> helpers.lua,
-- "lib.util" -> lib/util.lua, "lib/util.lua" as written). Each module runs once per bake.
function require(name)
  if type(name) ~= "string" then
    error("require expects a module name (a string), got " .. type(name), 2)
  end
  local cached = loaded[name]
  if cached ~= nil then
    return cached
  end
  if loading[name] then
    error("require loop: module '" .. name .. "' is already being loaded", 2)
  end
  local chunk = load_module(name)
  if type(chunk) == "string" then
    error(chunk, 2)
  end
  loading[name] = true
  local ok, result = pcall(chunk)
  loading[name] = nil
  if not ok then
    error(result, 0)
  end
  if result == nil then
    result = true
  end
  loaded[name] = result
  return result
end

-- Shared, mutable state across every Lua block of this config.
global = {}

local SYS_ENV = table.freeze(__kepler_sys_env)
__kepler_sys_env = nil

-- Called before each evaluation. Every table handed to Lua is frozen: a write raises an error.
function __kepler_set_ctx(env, env_file, service_name, hook_name)
  ctx = table.freeze({
    env = table.freeze(env),
    sys_env = SYS_ENV,
    env_file = table.freeze(env_file),
    service_name = service_name,
    hook_name = hook_name,
  })
end
ctx = table.freeze({ env = table.freeze({}), sys_env = SYS_ENV, env_file = table.freeze({}) })
`;

/** The worker's whole source (CommonJS- and ESM-safe: it only uses dynamic `import()`). */
export const LUA_WORKER_SOURCE = String.raw`
// Only dynamic import(): this code runs as CommonJS or as an ES module depending on the parent's flags.
(async () => {
const { parentPort, workerData } = await import('node:worker_threads');
const fs = await import('node:fs');
const path = await import('node:path');
const v8 = await import('node:v8');

const PRELUDE = ${JSON.stringify(PRELUDE)};
const MAX_DEPTH = 32;
const { luauUrl, configDir, sysEnv } = workerData;
let configReal = configDir;
try { configReal = fs.realpathSync(configDir); } catch {}
let state = null;
let abortMessage = null;

function post(message) { parentPort.postMessage(message); }

// Lua string literal holding exactly the UTF-8 bytes of s.
function luaString(s) {
  let out = '"';
  for (const byte of Buffer.from(String(s), 'utf8')) {
    if (byte === 34) out += '\\"';
    else if (byte === 92) out += '\\\\';
    else if (byte < 32 || byte >= 127) out += '\\' + String(byte).padStart(3, '0');
    else out += String.fromCharCode(byte);
  }
  return out + '"';
}

function luaTable(record) {
  const parts = [];
  for (const key of Object.keys(record)) parts.push('[' + luaString(key) + ']=' + luaString(record[key]));
  return '{' + parts.join(',') + '}';
}

function luaOptional(value) { return value === null || value === undefined ? 'nil' : luaString(value); }

// Finds a Lua file inside baseReal (the config's directory, or an overlay's for a !lua_file written
// there). Returns {abs, display} or an error message.
function resolveLuaFile(name, asModule, baseReal = configReal) {
  const what = asModule ? 'require("' + name + '")' : '!lua_file ' + name;
  if (typeof name !== 'string' || name.trim() === '') return what + ': the name is empty';
  if (path.isAbsolute(name)) return what + ': absolute paths are not allowed (Lua files must be in the config directory)';
  let rel = name;
  if (asModule && !name.includes('/') && !/\.luau?$/.test(name)) rel = name.split('.').join('/');
  if (rel.split(/[\\/]+/).includes('..')) return what + ': ".." is not allowed (Lua files must be in the config directory)';
  const candidates = asModule && !/\.luau?$/.test(rel) ? [rel + '.lua', rel + '.luau', rel + '/init.lua', rel] : [rel];
  for (const candidate of candidates) {
    const abs = path.resolve(baseReal, candidate);
    let real;
    try {
      if (!fs.statSync(abs).isFile()) continue;
      real = fs.realpathSync(abs);
    } catch { continue; }
    if (real !== baseReal && !real.startsWith(baseReal + path.sep)) {
      return what + ': ' + candidate + ' leads outside the config directory';
    }
    return { abs: real, display: path.relative(baseReal, real) };
  }
  return what + ': not found in ' + baseReal + ' (tried ' + candidates.join(', ') + ')';
}

function realDir(dir) {
  try { return fs.realpathSync(dir); } catch { return dir; }
}

// Compiles a Lua file; returns the chunk (a function) or an error message.
function loadLuaFile(name, asModule, dir) {
  const found = resolveLuaFile(name, asModule, dir ? realDir(dir) : configReal);
  if (typeof found === 'string') return found;
  let source;
  try { source = fs.readFileSync(found.abs, 'utf8'); }
  catch (error) { return 'cannot read ' + found.display + ': ' + (error.code || error.message); }
  post({ type: 'read', path: found.abs });
  return state.loadstring(source, '=' + found.display, false);
}

class ConvertError extends Error {}

// Converts a Lua value (luau-web hands tables over as proxies) to plain data.
function toPlain(value, depth) {
  if (value === null || value === undefined) return null;
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return value;
  if (type === 'number') {
    if (!Number.isFinite(value)) throw new ConvertError('the number ' + String(value));
    return value;
  }
  if (type === 'function') throw new ConvertError('a function (did you mean to call it?)');
  if (depth > MAX_DEPTH) throw new ConvertError('tables nested more than ' + MAX_DEPTH + ' deep (a table that contains itself?)');
  if (Array.isArray(value)) return { t: 'seq', items: value.map((item) => toPlain(item, depth + 1)) };
  if (type === 'object' && typeof value.keys === 'function' && typeof value[Symbol.iterator] === 'function') {
    const pairs = [...value];
    if (pairs.length === 0) return { t: 'empty' };
    if (pairs.every(([key]) => typeof key === 'number')) {
      pairs.sort((a, b) => a[0] - b[0]);
      if (!pairs.every(([key], i) => key === i + 1)) {
        throw new ConvertError('a list with holes or numeric keys other than 1..n (a nil inside a list?)');
      }
      return { t: 'seq', items: pairs.map(([, item]) => toPlain(item, depth + 1)) };
    }
    if (pairs.every(([key]) => typeof key === 'string')) {
      // Lua tables have no order: sort keys so a bake is reproducible.
      pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      return { t: 'map', entries: pairs.map(([key, item]) => [key, toPlain(item, depth + 1)]) };
    }
    throw new ConvertError('a table mixing list items and named keys (use one or the other)');
  }
  throw new ConvertError('a ' + type + ' value');
}

function failure(id, error) {
  const message = error && typeof error.message === 'string' ? error.message : String(error);
  if (abortMessage !== null || /^Aborted\(/.test(message)) {
    post({ type: 'result', id, ok: false, kind: 'oom', message: abortMessage || message });
    return;
  }
  const kind = error instanceof ConvertError ? 'convert' : 'lua';
  post({ type: 'result', id, ok: false, kind, message: message.replace(/^Error: /, '') });
}

async function evaluate(request) {
  const { id } = request;
  try {
    const ctx = request.ctx;
    const setCtx = state.loadstring(
      '__kepler_set_ctx(' + luaTable(ctx.env) + ',' + luaTable(ctx.envFile) + ',' +
        luaOptional(ctx.serviceName) + ',' + luaOptional(ctx.hookName) + ')',
      '=kepler-ctx',
      true,
    );
    await setCtx();
    let chunk;
    if (request.file !== null) chunk = loadLuaFile(request.file, false, request.dir);
    else chunk = state.loadstring('\n'.repeat(request.pad) + request.code, request.chunk, false);
    if (typeof chunk === 'string') {
      post({ type: 'result', id, ok: false, kind: 'lua', message: chunk });
      return;
    }
    const results = await chunk();
    post({ type: 'result', id, ok: true, value: toPlain(results[0], 0) });
  } catch (error) {
    failure(id, error);
  }
}

try {
    // Baseline wasm code only: optimising luau-web's large module in a fresh worker stalls the thread
    // for 100-250 ms on every bake, far more than config scripts ever run. (A V8 flag is process-wide:
    // it affects only WebAssembly compiled from now on, and Kepler compiles no other.)
    v8.setFlagsFromString('--liftoff-only');
    const luau = await import(luauUrl);
    // luau-web's wasm prints an abort (out of memory) to stderr: keep it for the error message instead.
    luau.InternalLuauWasmModule.printErr = (text) => { if (/^Aborted\(/.test(String(text))) abortMessage = String(text); };
    state = await luau.LuauState.createAsync({
      __kepler_load: (name) => loadLuaFile(name, true),
      __kepler_print: (text) => post({ type: 'print', text: String(text) }),
    });
    await state.loadstring('__kepler_sys_env = ' + luaTable(sysEnv), '=kepler-init', true)();
    await state.loadstring(PRELUDE, '=kepler-prelude', true)();
    // _G is read-only to Lua (assigning nil there only unshadows it), so remove these from the host side.
    for (const name of ['debug', 'getfenv', 'setfenv', 'load', 'loadstring', 'loadfile', 'dofile', 'io', 'collectgarbage']) {
      state.env.set(name, undefined, true);
    }
  } catch (error) {
    post({ type: 'fatal', message: String(error && error.message ? error.message : error) });
    return;
  }
  let queue = Promise.resolve();
  parentPort.on('message', (request) => {
    if (request && request.type === 'eval') queue = queue.then(() => evaluate(request));
  });
  post({ type: 'ready' });
})();
`;
