import type { ServiceInfo, ServiceUsage } from '@kepler/protocol';
import { escapeLabelValue, type MetricRow, renderPrometheus } from './prometheus.js';

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface ParsedFamily {
  help: string;
  type: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label pairs `a="x",b="y"` with the format's escapes (\\, \", \n); throws on anything else. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name) || text[eq + 1] !== '"')
      throw new Error(`bad label at ${text.slice(i)}`);
    if (name in labels) throw new Error(`label ${name} twice`);
    let value = '';
    let j = eq + 2;
    for (; ; j++) {
      const c = text[j];
      if (c === undefined || c === '\n') throw new Error(`unterminated label value in ${text}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[++j];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else throw new Error(`bad escape \\${next}`);
      } else value += c;
    }
    labels[name] = value;
    i = j + 1;
    if (i < text.length) {
      if (text[i] !== ',') throw new Error(`expected , at ${text.slice(i)}`);
      i++;
    }
  }
  return labels;
}

/**
 * A strict reader of the text format (0.0.4) for what Kepler writes: every family has one HELP and
 * one TYPE before its samples, families are contiguous, names and values are valid.
 */
function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith('\n')) throw new Error('must end with a newline');
  const families = new Map<string, ParsedFamily>();
  let current: string | null = null;
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
      const f = families.get(name) ?? { help: '', type: '', samples: [] };
      if (f.samples.length > 0 || (kind === 'HELP' ? f.help : f.type) !== '')
        throw new Error(`${kind} of ${name} misplaced`);
      if (kind === 'TYPE' && !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest))
        throw new Error(`bad type ${rest}`);
      if (kind === 'HELP') f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      else f.type = rest;
      if (current !== name && families.has(name)) throw new Error(`family ${name} not contiguous`);
      families.set(name, f);
      current = name;
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = sample as unknown as [string, string, string | undefined, string];
    const f = families.get(name);
    if (!f || current !== name || f.type === '') throw new Error(`sample of ${name} outside its family`);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : Number(valueText);
    if (valueText !== 'NaN' && Number.isNaN(value)) throw new Error(`bad value ${valueText}`);
    f.samples.push({ name, labels: parseLabels(labelText ?? ''), value });
  }
  return families;
}

function info(patch: Partial<ServiceInfo>): ServiceInfo {
  return {
    config: '/srv/app/kepler.yaml',
    name: 'web',
    status: 'running',
    pid: 10,
    exitCode: null,
    signal: null,
    restarts: 0,
    startedAt: null,
    stoppedAt: null,
    health: null,
    healthFailures: 0,
    lastHealthOutput: null,
    reason: null,
    ...patch,
  };
}

function usage(row: ServiceInfo, cpuSeconds: number | null, memoryBytes: number | null): ServiceUsage {
  return { config: row.config, service: row.name, cpuSeconds, cpuPercent: null, memoryBytes, source: 'proc' };
}

const NOW = Date.parse('2024-01-01T00:01:00.000Z');
// A path with every character the format escapes.
const ODD = '/srv/we"ird\\dir/new\nline.yaml';

const web = info({
  name: 'web',
  status: 'healthy',
  health: 'healthy',
  restarts: 3,
  startedAt: '2024-01-01T00:00:00.000Z',
});
const odd = info({
  config: ODD,
  name: 'w"x',
  status: 'unhealthy',
  health: 'unhealthy',
  startedAt: '2024-01-01T00:00:30.000Z',
});
const down = info({
  name: 'batch',
  status: 'failed',
  pid: null,
  restarts: 1,
  startedAt: '2024-01-01T00:00:00.000Z',
});
const rows: MetricRow[] = [
  { info: web, usage: usage(web, 12.25, 50_000_000) },
  { info: odd, usage: usage(odd, 0, 1024) },
  { info: down, usage: null },
];

test('the exposition parses back: HELP and TYPE per family, labels escaped, values as given', () => {
  const families = parseExposition(renderPrometheus(rows, NOW));
  expect([...families.keys()]).toEqual([
    'kepler_service_up',
    'kepler_service_restarts_total',
    'kepler_service_cpu_seconds_total',
    'kepler_service_memory_bytes',
    'kepler_service_healthy',
    'kepler_service_uptime_seconds',
  ]);
  const values = (name: string) =>
    Object.fromEntries(
      families.get(name)!.samples.map((s) => [`${s.labels.config}|${s.labels.service}`, s.value]),
    );
  const W = '/srv/app/kepler.yaml|web';
  const O = `${ODD}|w"x`;
  const B = '/srv/app/kepler.yaml|batch';
  expect(values('kepler_service_up')).toEqual({ [W]: 1, [O]: 1, [B]: 0 });
  expect(values('kepler_service_restarts_total')).toEqual({ [W]: 3, [O]: 0, [B]: 1 });
  expect(values('kepler_service_cpu_seconds_total')).toEqual({ [W]: 12.25, [O]: 0 });
  expect(values('kepler_service_memory_bytes')).toEqual({ [W]: 50_000_000, [O]: 1024 });
  expect(values('kepler_service_healthy')).toEqual({ [W]: 1, [O]: 0 });
  expect(values('kepler_service_uptime_seconds')).toEqual({ [W]: 60, [O]: 30, [B]: 0 });
  expect(families.get('kepler_service_restarts_total')?.type).toBe('counter');
  expect(families.get('kepler_service_cpu_seconds_total')?.type).toBe('counter');
  expect(families.get('kepler_service_memory_bytes')?.type).toBe('gauge');
  for (const f of families.values()) expect(f.help.length).toBeGreaterThan(10);
});

test('label values escape backslash, double quote and newline, nothing else', () => {
  expect(escapeLabelValue('a\\b"c\nd é')).toBe('a\\\\b\\"c\\nd é');
});

test('no services: every family with its HELP and TYPE and no sample', () => {
  const families = parseExposition(renderPrometheus([], NOW));
  expect(families.size).toBe(6);
  for (const f of families.values()) expect(f.samples).toEqual([]);
});

test('the strict reader used here rejects what the format forbids', () => {
  expect(() => parseExposition('x{a="b} 1\n')).toThrow();
  expect(() => parseExposition('# TYPE x gauge\nx{a="\\q"} 1\n')).toThrow();
  expect(() => parseExposition('x 1\n')).toThrow();
  expect(() => parseExposition('# TYPE x gauge\nx 1')).toThrow();
});
