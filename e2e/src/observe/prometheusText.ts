/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for what Kepler serves: every
 * family declares HELP and TYPE once before its samples, families are contiguous, names, label pairs
 * (with their escapes) and values are valid. Throws naming the first line that is not.
 */

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  help: string;
  type: string;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    const name = text.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name) || text[eq + 1] !== '"')
      throw new Error(`bad label at ${text.slice(i)}`);
    if (Object.hasOwn(labels, name)) throw new Error(`label ${name} twice`);
    let value = '';
    let j = eq + 2;
    for (; ; j++) {
      const c = text[j];
      if (c === undefined) throw new Error(`unterminated label value in ${text}`);
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

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/** The families of `text` by name, in order. */
export function parsePrometheusText(text: string): Map<string, PromFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('must end with a newline');
  const families = new Map<string, PromFamily>();
  let current: string | null = null;
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('#')) {
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!meta) continue; // a comment
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (current !== name && families.has(name)) throw new Error(`family ${name} is not contiguous`);
      const f = families.get(name) ?? { help: '', type: '', samples: [] };
      if (f.samples.length > 0) throw new Error(`${kind} of ${name} after its samples`);
      if (kind === 'HELP') {
        if (f.help !== '') throw new Error(`HELP of ${name} twice`);
        f.help = rest.replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      } else {
        if (f.type !== '') throw new Error(`TYPE of ${name} twice`);
        if (!TYPES.includes(rest)) throw new Error(`bad type ${rest}`);
        f.type = rest;
      }
      families.set(name, f);
      current = name;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const [, name, labelText, valueText] = m as unknown as [string, string, string | undefined, string];
    const f = families.get(name);
    if (!f || current !== name || f.type === '') throw new Error(`sample of ${name} outside its family`);
    f.samples.push({ name, labels: parseLabels(labelText ?? ''), value: parseValue(valueText) });
  }
  return families;
}

/** The value of `family`'s sample for one service; undefined when there is none. */
export function sampleOf(
  families: ReadonlyMap<string, PromFamily>,
  family: string,
  config: string,
  service: string,
): number | undefined {
  return families.get(family)?.samples.find((s) => s.labels.config === config && s.labels.service === service)
    ?.value;
}
