/**
 * The bounds on what one config may cost. One daemon bakes every config on the machine, so each input
 * that could make a bake expensive (size, aliases, nesting, services) has a limit far above any real
 * config, and a config over it is refused with an issue that states the limit. The README's Security
 * and Reliability section lists them; keep the two in step.
 */
import { CST, Lexer, type LineCounter, Parser } from 'yaml';
import type { IssueCollector, Pos } from './issues.js';
import type { RawConfig } from './parse.js';

export { MAX_EXPANDED_VALUE_CHARS, MAX_EXPANSION_DEPTH } from './expand.js';
export { MAX_CONFIG_FILE_BYTES, MAX_ENV_FILE_BYTES } from './readUserFile.js';

/**
 * Deepest nesting of maps and sequences in a config (an alias counts as one more level). The YAML
 * composer recurses per level and runs out of stack near 1,000 levels; real configs stay under 10.
 */
export const MAX_YAML_NESTING_DEPTH = 64;

/**
 * Most nodes that aliases (`*name`, `<<: *name`) may expand to in one config, counted as they are
 * expanded. Ten levels of ten aliases (a 600-byte "billion laughs") would expand to 10^10 nodes; a
 * config that shares a 20-key `x-defaults` block with 10,000 services stays under it.
 */
export const MAX_YAML_ALIAS_NODES = 250_000;

/** Most services in one config (a 5,000-service config is supported; twice that is accepted). */
export const MAX_SERVICES_PER_CONFIG = 10_000;

/**
 * Largest baked config, as JSON (a 10,000-service config bakes to ~8 MB). Expansion and env_files can
 * multiply a small file (one 1 MiB env_file shared by 10,000 services is 10 GB baked): what is over
 * is refused before the snapshot is copied, hashed and written.
 */
export const MAX_BAKED_CONFIG_CHARS = 64 * 1024 * 1024;

/** `value` as JSON, or null when that is longer than `MAX_BAKED_CONFIG_CHARS` (or than V8 allows). */
export function boundedJson(value: unknown): string | null {
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return null; // Invalid string length: far over the bound
    throw error;
  }
  return json.length > MAX_BAKED_CONFIG_CHARS ? null : json;
}

/** The issue for a config whose baked form is over `MAX_BAKED_CONFIG_CHARS`. */
export function bakedSizeMessage(): string {
  return `the baked config is larger than ${MAX_BAKED_CONFIG_CHARS / 1024 / 1024} MiB of JSON (Kepler's limit for a config; env_files or expansions repeated across many services?)`;
}

/**
 * Parses `text` into YAML tokens (the CST), refusing it as soon as the collections open at once pass
 * `MAX_YAML_NESTING_DEPTH`. A collection N levels deep has its N ancestors open on the parser's stack
 * while it is parsed, so this bounds the finished tree too (composing it recurses once per level), and
 * it acts before yaml's parser closes thousands of levels recursively on a dedent (a stack overflow).
 * Reports the first collection too deep, with its key path, and returns null.
 */
export function parseTokensBounded(
  text: string,
  lineCounter: LineCounter,
  issues: IssueCollector,
): CST.Token[] | null {
  const parser = new Parser(lineCounter.addNewLine);
  const tokens: CST.Token[] = [];
  lineCounter.addNewLine(0); // as Parser.parse does for the start of input
  for (const lexeme of new Lexer().lex(text)) {
    tokens.push(...parser.next(lexeme));
    // The stack holds the document, the open collections and at most a token or two in the making.
    if (
      parser.stack.length > MAX_YAML_NESTING_DEPTH &&
      !checkOpenCollections(parser.stack, lineCounter, issues)
    )
      return null;
  }
  tokens.push(...parser.end());
  return tokens;
}

/** The key path of a collection's item: `path.key` for a scalar map key, else `path[index]`. */
function itemPath(
  collection: CST.BlockMap | CST.BlockSequence | CST.FlowCollection,
  item: CST.CollectionItem | undefined,
  index: number,
  path: string,
): string {
  const isSeq =
    collection.type === 'block-seq' ||
    (collection.type === 'flow-collection' && collection.start.source === '[');
  const key = item?.key && CST.isScalar(item.key) ? item.key.source : undefined;
  if (isSeq || key === undefined) return `${path}[${index}]`;
  return path ? `${path}.${key}` : key;
}

/** The depth check for the parser's stack of tokens still open (each nested in the one before). */
function checkOpenCollections(
  stack: readonly CST.Token[],
  lineCounter: LineCounter,
  issues: IssueCollector,
): boolean {
  let depth = 0;
  let path = '';
  for (const token of stack) {
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    if (depth >= MAX_YAML_NESTING_DEPTH) {
      const { line, col } = lineCounter.linePos(token.offset);
      issues.add(path, nestingMessage(), { line, column: col });
      return false;
    }
    // The next open collection is the value (or key) of this one's last item.
    const index = token.items.length - 1;
    path = itemPath(token, token.items[index], index, path);
    depth++;
  }
  return true;
}

/** The issue for a config nested deeper than `MAX_YAML_NESTING_DEPTH`. */
export function nestingMessage(): string {
  return `nested more than ${MAX_YAML_NESTING_DEPTH} levels deep (Kepler's limit for a config)`;
}

/** The issue for aliases that expand past `MAX_YAML_ALIAS_NODES`. */
export function aliasMessage(): string {
  return `aliases expand to more than ${MAX_YAML_ALIAS_NODES.toLocaleString('en-US')} nodes (Kepler's limit for a config; an alias bomb?)`;
}

/**
 * Refuses a config with more than `MAX_SERVICES_PER_CONFIG` services, before the per-service stages
 * (normalise, validate, bake) spend time on them. Returns false (with an issue at `services:`) when over.
 */
export function checkServiceCount(raw: RawConfig, issues: IssueCollector): boolean {
  if (raw.root.kind !== 'map') return true;
  const services = raw.root.entries.find((entry) => entry.key === 'services');
  if (services?.value.kind !== 'map') return true;
  const count = services.value.entries.length;
  if (count <= MAX_SERVICES_PER_CONFIG) return true;
  const pos: Pos = services.keyPos;
  issues.add(
    'services',
    `${count.toLocaleString('en-US')} services: more than ${MAX_SERVICES_PER_CONFIG.toLocaleString('en-US')} (Kepler's limit per config; split them across configs)`,
    pos,
  );
  return false;
}
