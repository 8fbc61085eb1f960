import { IssueCollector } from './issues.js';
import { parseConfigText, type RawNode } from './parse.js';
import { cleanupTmpDirs, errorsOf } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

function parse(text: string) {
  const issues = new IssueCollector('kepler.yaml');
  const raw = parseConfigText(text, issues);
  return { raw, issues: issues.issues };
}

function plain(node: RawNode): unknown {
  switch (node.kind) {
    case 'map':
      return Object.fromEntries(node.entries.map((entry) => [entry.key, plain(entry.value)]));
    case 'seq':
      return node.items.map(plain);
    case 'scalar':
      return node.value;
    default:
      return `<${node.kind}>`;
  }
}

describe('parseConfigText', () => {
  it('keeps positions of values and keys', () => {
    const { raw } = parse('services:\n  web:\n    command: ["a", "b"]\n');
    const web = raw?.root.kind === 'map' ? raw.root.entries[0]?.value : undefined;
    const entry = web?.kind === 'map' ? web.entries[0] : undefined;
    const command = entry?.value.kind === 'map' ? entry.value.entries[0] : undefined;
    expect(command?.keyPos).toEqual({ line: 3, column: 5 });
    expect(command?.value.pos).toEqual({ line: 3, column: 14 });
  });

  it('reports invalid YAML with its position and stops', () => {
    const { raw, issues } = parse('services:\n  web:\n    command: [a, b\n  other: 1\n');
    expect(raw).toBeNull();
    expect(issues[0]?.message).toMatch(/^invalid YAML: /);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('reports duplicate keys as invalid YAML', () => {
    const { issues } = parse('services:\n  web: {}\n  web: {}\n');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 3, column: 3 });
    expect(issues[0]?.message).toMatch(/^invalid YAML: Map keys must be unique/);
  });

  it('reports an empty file', () => {
    expect(parse('').issues[0]?.message).toBe('the file is empty: a config needs a `services:` map');
    expect(parse('# only a comment\n').issues[0]?.message).toMatch(/the file is empty/);
  });

  it('resolves anchors, aliases and << merge keys', () => {
    const { raw, issues } = parse(
      'x-base: &base\n  restart: always\n  environment: [A=1]\nservices:\n  web:\n    <<: *base\n    restart: no\n    command: *cmd\n  cmd: &cmd [sleep, "1"]\n',
    );
    // `*cmd` is used before its anchor: YAML reports it.
    expect(raw === null || issues.length > 0).toBe(true);
    const ok = parse(
      'x-base: &base\n  restart: always\n  environment: [A=1]\nservices:\n  web:\n    <<: *base\n    restart: "no"\n',
    );
    expect(ok.issues).toEqual([]);
    expect(plain((ok.raw as { root: RawNode }).root)).toEqual({
      'x-base': { restart: 'always', environment: ['A=1'] },
      services: { web: { restart: 'no', environment: ['A=1'] } },
    });
  });

  it('turns !lua and !lua_file into Lua nodes with the code line', () => {
    const { raw, issues } = parse(
      'services:\n  web:\n    command: !lua |\n      return {"a"}\n    user: !lua_file  u.lua\n',
    );
    expect(issues).toEqual([]);
    expect(raw?.hasLua).toBe(true);
    const web = raw?.root.kind === 'map' ? raw.root.entries[0]?.value : undefined;
    const svc = web?.kind === 'map' ? web.entries[0]?.value : undefined;
    const [command, user] = svc?.kind === 'map' ? svc.entries.map((e) => e.value) : [];
    expect(command).toMatchObject({ kind: 'lua', code: 'return {"a"}\n', file: null, codeLine: 4 });
    expect(user).toMatchObject({ kind: 'lua', code: null, file: 'u.lua', codeLine: 5 });
  });

  it('marks a top-level lua: block as Lua', () => {
    expect(parse('lua: |\n  x = 1\nservices: {}\n').raw?.hasLua).toBe(true);
    expect(parse('services: {}\n').raw?.hasLua).toBe(false);
  });

  it('keeps the source text of numbers (for user: 1000)', () => {
    const { raw } = parse('a: 1000\nb: 0x10\n');
    const entries = raw?.root.kind === 'map' ? raw.root.entries : [];
    expect(entries.map((e) => (e.value.kind === 'scalar' ? e.value.text : undefined))).toEqual([
      '1000',
      '0x10',
    ]);
  });
});

describe('tag errors (through the bake)', () => {
  it('rejects unknown tags and !lua on a non-string', async () => {
    expect(await errorsOf('services:\n  web:\n    command: !shell "x"\n    user: !lua [1]\n')).toEqual([
      'kepler.yaml:3:14 services.web.command: unknown tag !shell (Kepler knows !lua and !lua_file)',
      'kepler.yaml:4:11 services.web.user: !lua takes a string (Lua code)',
    ]);
  });

  it('rejects a config that is not a map', async () => {
    expect(await errorsOf('- a\n- b\n')).toEqual([
      'kepler.yaml:1:1: a config must be a map with a `services:` key',
    ]);
  });

  it('reports invalid YAML with file:line:col', async () => {
    const [line] = await errorsOf('services:\n  web:\n    command: "unterminated\n');
    expect(line).toMatch(/^kepler\.yaml:\d+:\d+: invalid YAML: /);
  });
});
