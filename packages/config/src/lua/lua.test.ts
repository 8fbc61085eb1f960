// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these tests are about literal shell expansion syntax
/** Lua: the lua: block, !lua / !lua_file, ctx, global, require, the sandbox, deadlines and errors. */
import { bakeYaml, cleanupTmpDirs, errorsOf, TEST_ENV } from '../testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

const y = (...lines: string[]) => `${lines.join('\n')}\n`;

describe('evaluation', () => {
  it('runs the lua: block first and !lua values wherever a value goes', async () => {
    const baked = await bakeYaml(
      y(
        'lua: |',
        '  function get_port()',
        '    return ctx.env.PORT or "8080"',
        '  end',
        'services:',
        '  backend:',
        '    command: !lua |',
        '      return {"node", "server.js", "--port", get_port()}',
        '    environment: !lua |',
        '      local result = {"NODE_ENV=production"}',
        '      if ctx.sys_env.DEBUG then',
        '        table.insert(result, "DEBUG=true")',
        '      end',
        '      return result',
        '    restart: !lua return "always"',
        '    healthcheck:',
        '      test: ["sh", !lua "return \'-c\'", "true"]',
        '      retries: !lua return 2 + 3',
        '  other:',
        '    command: [x]',
        '    sys_env: inherit',
        '    environment: !lua return {"P=" .. get_port()}',
      ),
      { env: { ...TEST_ENV, DEBUG: '1', PORT: '9000' } },
    );
    const backend = baked.services.backend;
    // ctx.env is the CLI's environment even under sys_env: clear (the seed's example, issue 13).
    expect(backend?.command).toEqual(['node', 'server.js', '--port', '9000']);
    expect(backend?.environment).toEqual({ NODE_ENV: 'production', DEBUG: 'true' });
    expect(backend?.restart.policy).toBe('always');
    expect(backend?.healthcheck?.probe).toEqual({ kind: 'command', test: ['sh', '-c', 'true'] });
    expect(backend?.healthcheck?.retries).toBe(5);
    // So does it with inherit.
    expect(baked.services.other?.environment.P).toBe('9000');
  });

  it('can produce whole sections, and a nil value removes its key', async () => {
    const baked = await bakeYaml(
      y(
        'services: !lua |',
        '  local s = {}',
        '  for i = 1, 3 do',
        '    s["w" .. i] = { command = {"sleep", tostring(i)}, user = nil }',
        '  end',
        '  return s',
        'kepler:',
        '  timeout: !lua return nil',
      ),
    );
    expect(baked.serviceOrder).toEqual(['w1', 'w2', 'w3']);
    expect(baked.services.w2?.command).toEqual(['sleep', '2']);
    expect(baked.kepler.timeoutMs).toBeNull();
  });

  it('drops nil list items and accepts an empty table as an empty list or map', async () => {
    const baked = await bakeYaml(
      y(
        'services:',
        '  a:',
        '    command: [x, !lua "return nil", y]',
        '    environment: !lua return {}',
        '    depends_on: !lua return {}',
        '    hooks: !lua return {}',
      ),
    );
    expect(baked.services.a?.command).toEqual(['x', 'y']);
    expect(baked.services.a?.environment).toEqual({});
    expect(baked.services.a?.hooks).toEqual({});
  });

  it('reads !lua_file relative to the config directory', async () => {
    const baked = await bakeYaml(y('services:', '  a:', '    command: !lua_file lua/cmd.lua'), {
      files: { 'lua/cmd.lua': 'return {"echo", ctx.service_name}\n' },
    });
    expect(baked.services.a?.command).toEqual(['echo', 'a']);
  });

  it('shares the mutable global table across blocks, in source order, once per bake', async () => {
    const baked = await bakeYaml(
      y(
        'lua: |',
        '  global.count = 0',
        '  function next_id()',
        '    global.count = global.count + 1',
        '    return tostring(global.count)',
        '  end',
        'services:',
        '  a:',
        '    command: !lua return {"id", next_id()}',
        '  b:',
        '    command: !lua |',
        '      global.count = global.count + 10',
        '      return {"id", tostring(global.count), next_id()}',
      ),
    );
    expect(baked.services.a?.command).toEqual(['id', '1']);
    expect(baked.services.b?.command).toEqual(['id', '11', '12']);
  });

  it('sorts the keys of Lua maps so a bake is reproducible', async () => {
    const baked = await bakeYaml(
      y('services:', '  a:', '    command: [x]', '    environment: !lua return {Z = "1", A = "2", M = 3}'),
    );
    expect(Object.keys(baked.services.a?.environment ?? {})).toEqual(['A', 'M', 'Z']);
    expect(baked.services.a?.environment.M).toBe('3');
  });

  it('sends print to the print handler', async () => {
    const printed: string[] = [];
    await bakeYaml(y('lua: print("hello", 1, nil, true)', 'services:', '  a:', '    command: [x]'), {
      onLuaPrint: (text) => printed.push(text),
    });
    expect(printed).toEqual(['hello\t1\tnil\ttrue']);
  });
});

describe('ctx', () => {
  const files = { '.env': 'FILE_VAR=file\nSHARED=file\n', 'hook.env': 'HOOK_FILE=1\n' };
  const env = { ...TEST_ENV, SHARED: 'sys', ONLY_SYS: 'sys' };

  it('exposes the env so far, sys_env, env_file, service_name and hook_name', async () => {
    const baked = await bakeYaml(
      y(
        'lua: |',
        '  function show(...)',
        '    local out = {}',
        '    for i = 1, select("#", ...) do out[i] = tostring((select(i, ...))) end',
        '    return table.concat(out, ",")',
        '  end',
        'services:',
        '  web:',
        '    env_file: .env',
        '    environment:',
        '      - OWN=own',
        '      - !lua return "AT_ENV=" .. show(ctx.env.FILE_VAR, ctx.env.OWN, ctx.env.ONLY_SYS, ctx.env_file.FILE_VAR)',
        '    command: !lua |',
        '      return {show(ctx.service_name, ctx.hook_name, ctx.env.OWN, ctx.env.AT_ENV, ctx.sys_env.ONLY_SYS, ctx.env.ONLY_SYS)}',
        '    hooks:',
        '      pre_start:',
        '        env_file: hook.env',
        '        environment: [H=1]',
        '        run: !lua return show(ctx.service_name, ctx.hook_name, ctx.env.H, ctx.env.HOOK_FILE, ctx.env.OWN, ctx.env_file.HOOK_FILE)',
        '  inh:',
        '    sys_env: inherit',
        '    command: !lua return {show(ctx.env.ONLY_SYS, ctx.env.SHARED)}',
        'kepler:',
        '  hooks:',
        '    pre_start:',
        '      run: !lua return show(ctx.service_name, ctx.hook_name, ctx.env.ONLY_SYS)',
      ),
      { env, files },
    );
    // Under sys_env: clear too, ctx.env starts from the CLI's environment (issue 13).
    expect(baked.services.web?.environment.AT_ENV).toBe('file,nil,sys,file');
    expect(baked.services.web?.command).toEqual(['web,nil,own,file,nil,sys,file,sys,sys']);
    expect(baked.services.web?.hooks.pre_start?.run).toBe('web,pre_start,1,1,own,1');
    expect(baked.services.inh?.command).toEqual(['sys,sys']);
    expect(baked.kepler.hooks.pre_start?.run).toBe('nil,pre_start,sys');
  });

  it('builds ctx.env up as CLI environment < env_file < environment; sys_env only decides what the process gets', async () => {
    const baked = await bakeYaml(
      y(
        'lua: |',
        '  global.port = ctx.env.ONLY_SYS',
        'services:',
        '  web:',
        '    env_file: .env',
        '    environment:',
        '      - !lua return "AT_ENV=" .. ctx.env.SHARED',
        '      - SHARED=own',
        '    command: !lua return {ctx.env.SHARED, ctx.env.ONLY_SYS, global.port}',
      ),
      { env, files },
    );
    const web = baked.services.web;
    expect(web?.environment.AT_ENV).toBe('file');
    expect(web?.command).toEqual(['own', 'sys', 'sys']);
    // sys_env: clear still keeps the CLI's environment out of the process.
    expect(web?.environment).toEqual({ FILE_VAR: 'file', SHARED: 'own', AT_ENV: 'file' });
  });

  it('is read-only: a write raises an error naming the line', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: !lua |',
      '      local x = 1',
      '      ctx.env.FOO = "bar"',
      '  b:',
      '    command: !lua ctx.service_name = "x"',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:5 services.a.command: Lua error: attempt to modify a readonly table (ctx and its tables are read-only; keep your own state in `global`)',
      'kepler.yaml:7 services.b.command: Lua error: attempt to modify a readonly table (ctx and its tables are read-only; keep your own state in `global`)',
    ]);
  });
});

describe('require', () => {
  it('loads modules from the config directory, once', async () => {
    const baked = await bakeYaml(
      y(
        'lua: |',
        '  local h = require("helpers")',
        '  global.port = h.port',
        'services:',
        '  a:',
        '    command: !lua |',
        '      local h = require("helpers")',
        '      local u = require("lib.util")',
        '      return {"serve", tostring(global.port), u.name(), tostring(h.loads)}',
      ),
      {
        files: {
          'helpers.lua':
            'global.loads = (global.loads or 0) + 1\nreturn { port = 8080, loads = global.loads }\n',
          'lib/util.lua': 'return { name = function() return "util" end }\n',
        },
      },
    );
    expect(baked.services.a?.command).toEqual(['serve', '8080', 'util', '1']);
  });

  it('rejects absolute paths, .. escapes, symlinks out and missing modules', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: !lua return require("/etc/passwd")',
      '  b:',
      '    command: !lua return require("../secret")',
      '  c:',
      '    command: !lua return require("nope")',
      '  d:',
      '    command: !lua_file ../x.lua',
    );
    const errors = await errorsOf(yaml);
    expect(errors.slice(0, 2)).toEqual([
      'kepler.yaml:3 services.a.command: Lua error: require("/etc/passwd"): absolute paths are not allowed (Lua files must be in the config directory)',
      'kepler.yaml:5 services.b.command: Lua error: require("../secret"): ".." is not allowed (Lua files must be in the config directory)',
    ]);
    expect(errors[2]).toMatch(
      /^kepler\.yaml:7 services\.c\.command: Lua error: require\("nope"\): not found in \/.* \(tried nope\.lua, nope\.luau, nope\/init\.lua, nope\)$/,
    );
    expect(errors[3]).toBe(
      'kepler.yaml:9:14 services.d.command: Lua error: !lua_file ../x.lua: ".." is not allowed (Lua files must be in the config directory)',
    );
  });

  it('reports errors inside a module with the module file and line', async () => {
    const errors = await errorsOf(y('services:', '  a:', '    command: !lua return require("bad")'), {
      files: { 'bad.lua': 'local x = 1\nerror("broken module")\n' },
    });
    expect(errors).toEqual(['kepler.yaml:3:14 services.a.command: Lua error: bad.lua:2: broken module']);
  });
});

describe('sandbox', () => {
  it('has no io, os.execute/remove/rename/exit/getenv/tmpname, loadfile, dofile, load or debug', async () => {
    const names = [
      'io',
      'os.execute',
      'os.remove',
      'os.rename',
      'os.exit',
      'os.getenv',
      'os.tmpname',
      'loadfile',
      'dofile',
      'load',
      'loadstring',
      'debug',
      'getfenv',
      'setfenv',
    ];
    const expr = names.map((name) => `type(${name})`).join(', ');
    const baked = await bakeYaml(
      y('services:', '  a:', `    command: !lua return {${expr}, type(os.time), type(require)}`),
    );
    expect(baked.services.a?.command).toEqual([...names.map(() => 'nil'), 'function', 'function']);
  });

  it('stops an endless loop within 5 s with a clear error', async () => {
    const started = Date.now();
    const errors = await errorsOf(
      y(
        'services:',
        '  a:',
        '    command: !lua |',
        '      while true do end',
        '  b:',
        '    command: !lua return {"x"}',
      ),
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(errors).toEqual([
      'kepler.yaml:3:14 services.a.command: Lua did not finish within 2.5 s (an endless loop?); evaluation was stopped (later Lua blocks were not evaluated)',
    ]);
  }, 10_000);

  it('fails cleanly when a script allocates past the memory cap', async () => {
    const errors = await errorsOf(
      y(
        'services:',
        '  a:',
        '    command: !lua |',
        '      local t = {}',
        '      for i = 1, 1e8 do t[i] = string.rep("x", 64) .. i end',
        '      return t',
      ),
    );
    expect(errors).toEqual([
      'kepler.yaml:3:14 services.a.command: Lua ran out of memory (the sandbox has about 16 MB); evaluation was stopped (later Lua blocks were not evaluated)',
    ]);
  }, 10_000);
});

describe('errors', () => {
  it('maps runtime and compile errors onto the YAML lines', async () => {
    const yaml = y(
      'lua: |', //                         1
      '  function boom()', //              2
      '    error("kaput")', //             3
      '  end', //                          4
      'services:', //                      5
      '  a:', //                           6
      '    command: !lua |', //            7
      '      local x = 1', //              8
      '      return nil + x', //           9
      '  b:', //                           10
      '    command: !lua boom()', //       11
      '  c:', //                           12
      '    command: !lua |', //            13
      '      return {', //                 14
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3 services.b.command: Lua error: kaput',
      'kepler.yaml:9 services.a.command: Lua error: attempt to perform arithmetic (add) on nil and number',
      'kepler.yaml:15 services.c.command: Lua error: Expected identifier when parsing expression, got <eof>',
    ]);
  });

  it('asks for tostring when a number lands in a string list', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: !lua return {"sleep", 5}',
      '    environment: !lua return {"PORT=", 8080}',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:14 services.a.command[1]: expected a string, got the number 5 (use tostring(5) in Lua)',
      'kepler.yaml:4:18 services.a.environment[1]: expected a string, got the number 8080 (use tostring(8080) in Lua)',
    ]);
  });

  it('rejects values that are not data', async () => {
    const yaml = y(
      'services:',
      '  a:',
      '    command: !lua return {1, 2, x = 3}',
      '  b:',
      '    command: !lua return function() end',
      '  c:',
      '    command: !lua return {[1] = "a", [3] = "b"}',
      '  d:',
      '    command: !lua return {0/0}',
      '  e:',
      '    command: !lua |',
      '      local t = {}',
      '      t.self = t',
      '      return t',
    );
    expect(await errorsOf(yaml)).toEqual([
      'kepler.yaml:3:14 services.a.command: Lua returned an unusable value: a table mixing list items and named keys (use one or the other)',
      'kepler.yaml:5:14 services.b.command: Lua returned an unusable value: a function (did you mean to call it?)',
      'kepler.yaml:7:14 services.c.command: Lua returned an unusable value: a list with holes or numeric keys other than 1..n (a nil inside a list?)',
      'kepler.yaml:9:14 services.d.command: Lua returned an unusable value: the number NaN',
      'kepler.yaml:11:14 services.e.command: Lua returned an unusable value: tables nested more than 32 deep (a table that contains itself?)',
    ]);
  });
});
