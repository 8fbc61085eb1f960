import {
  MAX_BAKED_CONFIG_CHARS,
  MAX_EXPANSION_DEPTH,
  MAX_SERVICES_PER_CONFIG,
  MAX_YAML_ALIAS_NODES,
  MAX_YAML_NESTING_DEPTH,
} from './bounds.js';
import { IssueCollector } from './issues.js';
import { parseConfigText } from './parse.js';
import { cleanupTmpDirs, issuesOf } from './testkit/tmpConfig.js';

afterAll(cleanupTmpDirs);

function parse(text: string) {
  const issues = new IssueCollector('kepler.yaml');
  const raw = parseConfigText(text, issues);
  return { raw, issues: issues.issues };
}

const HEAD = 'services:\n  web:\n    command: [sleep, "1"]\n';

/** Ten levels of ten aliases: 611 bytes that would expand to 10^10 nodes. */
function aliasBomb(): string {
  const lines = ['x-bomb:', `  x0: &a0 [${Array(10).fill('"lol"').join(', ')}]`];
  for (let i = 1; i < 10; i++)
    lines.push(
      `  x${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n${HEAD}    environment: *a9\n`;
}

describe('nesting depth', () => {
  it.each([
    ['block sequences', `${HEAD}x-deep:\n  ${'- '.repeat(3500)}1\n`, 5],
    ['flow sequences', `${HEAD}x-deep: ${'['.repeat(3500)}${']'.repeat(3500)}\n`, 4],
    ['flow maps', `${HEAD}x-deep: ${'{a: '.repeat(3500)}1${'}'.repeat(3500)}\n`, 4],
  ])(
    'refuses 3,500 levels of %s with the bound and the position of the first level too deep',
    (_, text, line) => {
      const { raw, issues } = parse(text);
      expect(raw).toBeNull();
      expect(issues).toHaveLength(1);
      expect(issues[0]?.message).toBe(
        `nested more than ${MAX_YAML_NESTING_DEPTH} levels deep (Kepler's limit for a config)`,
      );
      expect(issues[0]?.line).toBe(line);
      expect(issues[0]?.path).toMatch(/^x-deep[[.]/);
    },
  );

  it('refuses 3,500 levels of block maps followed by more keys (the dedent would overflow the parser)', () => {
    // One level per line, then a key back at column 0: yaml's parser pops the 3,500 levels recursively.
    const lines = Array.from({ length: 3500 }, (_, i) => `${' '.repeat(i + 1)}k:`);
    const { raw, issues } = parse(`x-deep:\n${lines.join('\n')} 1\n${HEAD}`);
    expect(raw).toBeNull();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 1 + MAX_YAML_NESTING_DEPTH, column: MAX_YAML_NESTING_DEPTH + 1 });
    expect(issues[0]?.path).toBe(['x-deep', ...Array(MAX_YAML_NESTING_DEPTH - 1).fill('k')].join('.'));
  });

  it('names the key path of a block map nested too deep', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`);
    const { issues } = parse(`${HEAD}x-deep:\n${lines.join('\n')} 1\n`);
    expect(issues[0]).toMatchObject({ line: 4 + MAX_YAML_NESTING_DEPTH, column: MAX_YAML_NESTING_DEPTH + 1 });
    expect(issues[0]?.path).toBe(['x-deep', ...Array.from({ length: 63 }, (_, i) => `k${i}`)].join('.'));
  });

  it('accepts nesting up to the bound', () => {
    const { raw, issues } = parse(
      `${HEAD}x-deep: ${'['.repeat(MAX_YAML_NESTING_DEPTH - 1)}${']'.repeat(63)}\n`,
    );
    expect(issues).toEqual([]);
    expect(raw).not.toBeNull();
  });
});

describe('alias expansion', () => {
  it('refuses an alias bomb at the alias that crosses the bound, quickly', () => {
    const started = Date.now();
    const { issues } = parse(aliasBomb());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toBe(
      "aliases expand to more than 250,000 nodes (Kepler's limit for a config; an alias bomb?)",
    );
    expect(issues[0]).toMatchObject({ line: 7, path: 'x-bomb.x5[0]' });
  });

  it('accepts a block of defaults merged into many services', () => {
    const services = Array.from(
      { length: 2000 },
      (_, i) => `  s${i}:\n    <<: *defaults\n    command: [sleep, "1"]`,
    );
    const text = `x-defaults: &defaults\n  restart: always\n  environment: {A: "1", B: "2"}\nservices:\n${services.join('\n')}\n`;
    const { raw, issues } = parse(text);
    expect(issues).toEqual([]);
    expect(raw?.root.kind).toBe('map');
    expect(MAX_YAML_ALIAS_NODES).toBeGreaterThan(2000 * 6);
  });

  it('still resolves each alias to the last anchor of its name before it', () => {
    const { raw } = parse('a: &x 1\nb: *x\nc: &x 2\nd: *x\n');
    const values = raw?.root.kind === 'map' ? raw.root.entries.map((e) => e.value) : [];
    expect(values.map((v) => (v.kind === 'scalar' ? v.value : v.kind))).toEqual([1, 1, 2, 2]);
  });
});

describe('services per config', () => {
  it(`refuses more than ${MAX_SERVICES_PER_CONFIG} services before normalising them`, async () => {
    const services = Array.from({ length: MAX_SERVICES_PER_CONFIG + 1 }, (_, i) => `  s${i}: {}`);
    const issues = await issuesOf(`services:\n${services.join('\n')}\n`);
    // Only the bound: the 10,001 services without a command are never looked at.
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 1, column: 1, path: 'services' });
    expect(issues[0]?.message).toBe(
      "10,001 services: more than 10,000 (Kepler's limit per config; split them across configs)",
    );
  });
});

describe('duplicate keys', () => {
  it('are reported by the walker, once per repeat', () => {
    const { issues } = parse('services:\n  web: {}\n  db: {}\n  web: {}\n  db: {}\n');
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [4, 'invalid YAML: Map keys must be unique ("web" is repeated)'],
      [5, 'invalid YAML: Map keys must be unique ("db" is repeated)'],
    ]);
  });
});

describe('expansion', () => {
  it('refuses a value that doubles line by line at the first one over the bound', async () => {
    const lines = [`      V0: "${'x'.repeat(1000)}"`];
    for (let i = 1; i < 24; i++) lines.push(`      V${i}: "\${V${i - 1}}\${V${i - 1}}"`);
    const issues = await issuesOf(`${HEAD}    environment:\n${lines.join('\n')}\n`);
    expect(issues).toEqual([
      expect.objectContaining({
        line: 16,
        path: 'services.web.environment.V11',
        message: "expands to more than 1,048,576 characters (Kepler's limit for one value)",
      }),
    ]);
  });

  it('refuses defaults nested past the bound instead of running out of stack', async () => {
    const value = `${'${A:-'.repeat(20_000)}x${'}'.repeat(20_000)}`;
    const issues = await issuesOf(`${HEAD}    environment:\n      V: "${value}"\n`);
    expect(issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [
        5,
        'services.web.environment.V',
        `\${...} nested more than ${MAX_EXPANSION_DEPTH} deep (Kepler's limit for one value)`,
      ],
    ]);
  });

  it('refuses a config whose baked form is over the bound', async () => {
    const services = Array.from(
      { length: 70 },
      (_, i) => `  s${i}:\n    command: ["true"]\n    environment: {A: *big}`,
    );
    const text = `x-big: &big "${'x'.repeat(1_000_000)}"\nservices:\n${services.join('\n')}\n`;
    expect(70 * 1_000_000).toBeGreaterThan(MAX_BAKED_CONFIG_CHARS);
    const issues = await issuesOf(text);
    expect(issues.map((i) => i.message)).toEqual([
      "the baked config is larger than 64 MiB of JSON (Kepler's limit for a config; env_files or expansions repeated across many services?)",
    ]);
  });
});
