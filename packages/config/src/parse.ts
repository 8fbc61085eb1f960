/**
 * Stage 1, parse: YAML text -> `RawConfig`, a tree of positioned nodes. `!lua` and `!lua_file` values
 * stay unevaluated (`RawLua`); anchors, aliases and `<<` merge keys are resolved here, so later stages
 * only see maps, sequences and scalars.
 */
import { dirname } from 'node:path';
import {
  type Alias,
  Composer,
  type CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Scalar,
  type ScalarTag,
  visit,
  YAMLParseError,
  type Node as YamlNode,
} from 'yaml';
import {
  aliasMessage,
  MAX_YAML_ALIAS_NODES,
  MAX_YAML_NESTING_DEPTH,
  nestingMessage,
  parseTokensBounded,
} from './bounds.js';
import { type IssueCollector, indexPath, joinPath, type Pos } from './issues.js';
import { MERGE_TAGS, type MergeTag } from './mergeTags.js';

/** A scalar. YAML scalars keep their source `text` (so `user: 1000` can become "1000"). */
export interface RawScalar {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly pos: Pos;
  readonly text?: string;
  /** True when the value came out of a Lua evaluation (error messages then suggest `tostring`). */
  readonly fromLua?: boolean;
  /** The line of the string's first content line (the line after the header for `|` and `>` blocks). */
  readonly contentLine?: number;
  readonly mergeTag?: MergeTag;
}

/** One key of a map, with the key's own position. */
export interface RawEntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: RawNode;
}

/** A map, keys in source order (merge keys already applied). */
export interface RawMap {
  readonly kind: 'map';
  readonly entries: readonly RawEntry[];
  readonly pos: Pos;
  readonly fromLua?: boolean;
  /** An empty Lua table: it may stand for an empty list as well as an empty map. */
  readonly emptyLuaTable?: boolean;
  readonly mergeTag?: MergeTag;
}

/** A sequence. */
export interface RawSeq {
  readonly kind: 'seq';
  readonly items: readonly RawNode[];
  readonly pos: Pos;
  readonly fromLua?: boolean;
  readonly mergeTag?: MergeTag;
}

/** An unevaluated `!lua` (inline `code`) or `!lua_file` (`file`, relative to the config's directory). */
export interface RawLua {
  readonly kind: 'lua';
  readonly code: string | null;
  readonly file: string | null;
  readonly pos: Pos;
  /** The YAML line holding the first line of `code`, so Lua line numbers map back onto the file. */
  readonly codeLine: number;
  /** The directory `file` is relative to when it is not the config's: the overlay's, for a tag in one. */
  readonly dir?: string;
}

/** A value whose evaluation already failed and was reported: later stages skip it silently. */
export interface RawErrored {
  readonly kind: 'errored';
  readonly pos: Pos;
}

/** Any node of the parsed tree. */
export type RawNode = RawScalar | RawMap | RawSeq | RawLua | RawErrored;

/** The parsed file before Lua, normalisation and validation. */
export interface RawConfig {
  readonly file: string;
  readonly root: RawNode;
  /** Whether any `!lua` / `!lua_file` value (or a top-level `lua:` block) is present. */
  readonly hasLua: boolean;
  /** Whether any `!reset` / `!override` tag is present (`overlays.ts` resolves them). */
  readonly hasMergeTags?: boolean;
}

const LUA_TAGS: ScalarTag[] = [
  { tag: '!lua', resolve: (source: string) => source },
  { tag: '!lua_file', resolve: (source: string) => source },
];

/** Options of `parseConfigText`. */
export interface ParseOptions {
  /**
   * The text is an overlay (a second `-f` file) to be merged into another file's tree: every position
   * names its file (`issues.file`) and `!lua_file` paths are relative to that file's directory.
   */
  readonly overlay?: boolean;
}

/**
 * Parses `text` (the content of `issues.file`) into a `RawConfig`, reporting YAML syntax errors,
 * unknown tags and misplaced Lua tags to `issues`. Returns null when the YAML itself is unusable.
 */
export function parseConfigText(
  text: string,
  issues: IssueCollector,
  options: ParseOptions = {},
): RawConfig | null {
  const lineCounter = new LineCounter();
  // parseDocument's two steps, the depth bounded while parsing: composing recurses once per level.
  const tokens = parseTokensBounded(text, lineCounter, issues);
  if (!tokens) return null;
  const doc = composeFirstDocument(tokens, text.length);
  const file = options.overlay ? issues.file : undefined;
  const posAt = (offset: number | undefined): Pos => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return file === undefined ? { line, column: col } : { line, column: col, file };
  };
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      issues.add('', `invalid YAML: ${firstLine(error.message)}`, posAt(error.pos[0]));
    }
    return null;
  }
  for (const warning of doc.warnings) {
    if (warning.code === 'TAG_RESOLVE_FAILED') continue; // reported below with its key path
    issues.add('', `YAML: ${firstLine(warning.message)}`, posAt(warning.pos[0]));
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    issues.add('', 'the file is empty: a config needs a `services:` map', { line: 1, column: 1 });
    return null;
  }
  const walker = new Walker(doc, text, posAt, issues, file === undefined ? undefined : dirname(file));
  const root = walker.node(doc.contents, '', 0);
  return {
    file: issues.file,
    root,
    hasLua: walker.hasLua || hasLuaBlock(root),
    ...(walker.hasMergeTags ? { hasMergeTags: true } : {}),
  };
}

function composeFirstDocument(tokens: readonly CST.Token[], length: number): Document {
  // Keys are checked for uniqueness by the Walker, with a Set: yaml's `uniqueKeys` compares each key
  // with every earlier one (2 s for a 10,000-service map).
  const composer = new Composer({ customTags: LUA_TAGS, merge: true, uniqueKeys: false });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, length)) {
    if (!doc) {
      doc = next;
      continue;
    }
    const range: [number, number] = [next.range[0], next.range[1]];
    doc.errors.push(
      new YAMLParseError(range, 'MULTIPLE_DOCS', 'a config is one YAML document (found a second)'),
    );
    break;
  }
  // compose(…, forceDoc = true) always yields a document, empty input included.
  return doc as Document;
}

function hasLuaBlock(root: RawNode): boolean {
  return root.kind === 'map' && root.entries.some((entry) => entry.key === 'lua');
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

class Walker {
  hasLua = false;
  hasMergeTags = false;
  /** Each alias's target, found in one pass (`Alias.resolve` scans the whole document per call). */
  private readonly targets: Map<Alias, YamlNode>;
  /** Nodes made so far by expanding aliases (counted against `MAX_YAML_ALIAS_NODES`). */
  private aliasNodes = 0;
  /** The outermost alias being expanded (where the user wrote it), or null outside aliases. */
  private outerAlias: { path: string; pos: Pos } | null = null;
  private aliasLimitReported = false;

  constructor(
    doc: Document,
    private readonly text: string,
    private readonly posAt: (offset: number | undefined) => Pos,
    private readonly issues: IssueCollector,
    /** The overlay's directory, which its `!lua_file` paths are relative to; undefined in the main file. */
    private readonly luaDir: string | undefined,
  ) {
    this.targets = aliasTargets(doc);
  }

  node(node: unknown, path: string, depth: number): RawNode {
    const yamlNode = node as YamlNode;
    const pos = this.posAt(yamlNode?.range?.[0]);
    if (depth > MAX_YAML_NESTING_DEPTH) {
      this.issues.add(path, nestingMessage(), pos);
      return { kind: 'errored', pos };
    }
    if (this.outerAlias && ++this.aliasNodes > MAX_YAML_ALIAS_NODES) {
      // Reported once, at the alias written in the file; every later expansion stops here, so the
      // walk costs no more than the file and the bound.
      if (!this.aliasLimitReported)
        this.issues.add(this.outerAlias.path, aliasMessage(), this.outerAlias.pos);
      this.aliasLimitReported = true;
      return { kind: 'errored', pos };
    }
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (!target) {
        this.issues.add(path, `unknown alias *${node.source}`, pos);
        return { kind: 'errored', pos };
      }
      if (this.outerAlias) return this.node(target, path, depth + 1);
      this.outerAlias = { path, pos };
      try {
        return this.node(target, path, depth + 1);
      } finally {
        this.outerAlias = null;
      }
    }
    const tag = (yamlNode as { tag?: string } | null)?.tag;
    if (tag === '!lua' || tag === '!lua_file')
      return this.lua(yamlNode, tag, path, pos, this.tagPos(yamlNode, tag, pos));
    const mergeTag = MERGE_TAGS.get(tag ?? '');
    if (tag !== undefined && mergeTag === undefined && !tag.startsWith('tag:yaml.org,2002:')) {
      this.issues.add(
        path,
        `unknown tag ${tag} (Kepler knows !lua and !lua_file)`,
        this.tagPos(yamlNode, tag, pos),
      );
      return { kind: 'errored', pos };
    }
    const data = this.data(node, yamlNode, path, depth, pos);
    if (mergeTag === undefined || data.kind === 'errored' || data.kind === 'lua') return data;
    this.hasMergeTags = true;
    return { ...data, mergeTag };
  }

  /** A map, sequence or scalar (tags already handled). */
  private data(node: unknown, yamlNode: YamlNode, path: string, depth: number, pos: Pos): RawNode {
    if (isMap(node)) {
      const entries: RawEntry[] = [];
      const seen = new Set<string>();
      const merged: RawEntry[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode | null;
        const keyPos = this.posAt(keyNode?.range?.[0] ?? yamlNode.range?.[0]);
        const keyValue = isScalar(keyNode) ? keyNode.value : undefined;
        if (typeof keyValue === 'symbol' || keyValue === '<<') {
          merged.push(...this.mergeSources(pair.value, path, depth));
          continue;
        }
        if (!isScalar(keyNode) || (keyValue !== null && typeof keyValue === 'object')) {
          this.issues.add(path, 'keys must be plain strings', keyPos);
          continue;
        }
        const key = this.scalarText(keyNode);
        if (seen.has(key)) {
          this.issues.add(
            '',
            `invalid YAML: Map keys must be unique (${JSON.stringify(key)} is repeated)`,
            keyPos,
          );
          continue;
        }
        seen.add(key);
        entries.push({ key, keyPos, value: this.node(pair.value, joinPath(path, key), depth + 1) });
      }
      // Merged keys come after the map's own keys and never override them (YAML merge semantics).
      for (const entry of merged) {
        if (seen.has(entry.key)) continue;
        seen.add(entry.key);
        entries.push(entry);
      }
      return { kind: 'map', entries, pos };
    }
    if (isSeq(node)) {
      return {
        kind: 'seq',
        items: node.items.map((item, i) => this.node(item, indexPath(path, i), depth + 1)),
        pos,
      };
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === 'string') {
        const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
        return { kind: 'scalar', value, pos, contentLine: pos.line + (block ? 1 : 0) };
      }
      if (value === null || typeof value === 'boolean') {
        return { kind: 'scalar', value, pos, text: this.source(node) };
      }
      if (typeof value === 'number') {
        return { kind: 'scalar', value, pos, text: this.source(node) };
      }
      if (typeof value === 'bigint')
        return { kind: 'scalar', value: Number(value), pos, text: this.source(node) };
      return { kind: 'scalar', value: String(value), pos, text: this.source(node) };
    }
    // An absent value (`key:` with nothing after it) arrives as null.
    return { kind: 'scalar', value: null, pos };
  }

  private mergeSources(value: unknown, path: string, depth: number): RawEntry[] {
    const sources = isSeq(value) ? value.items : [value];
    const out: RawEntry[] = [];
    for (const source of sources) {
      const resolved = this.node(source, path, depth + 1);
      if (resolved.kind !== 'map') {
        this.issues.add(path, '`<<` merges only maps', resolved.pos);
        continue;
      }
      for (const entry of resolved.entries) if (!out.some((e) => e.key === entry.key)) out.push(entry);
    }
    return out;
  }

  /** Where the tag itself is written (the node's range starts after it), else the value's position. */
  private tagPos(node: YamlNode, tag: string, fallback: Pos): Pos {
    const start = node.range?.[0];
    if (start === undefined) return fallback;
    const at = this.text.lastIndexOf(tag, start);
    if (at < 0 || this.text.slice(at, start).includes('\n')) return fallback;
    return this.posAt(at);
  }

  private lua(node: YamlNode, tag: '!lua' | '!lua_file', path: string, valuePos: Pos, pos: Pos): RawNode {
    this.hasLua = true;
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.issues.add(path, `${tag} takes a string (${tag === '!lua' ? 'Lua code' : 'a file name'})`, pos);
      return { kind: 'errored', pos };
    }
    const scalar = node as Scalar<string>;
    // A block scalar's content starts on the line after its `|` header; other styles start in place.
    const block = scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED';
    const codeLine = valuePos.line + (block ? 1 : 0);
    const dir = this.luaDir === undefined ? {} : { dir: this.luaDir };
    if (tag === '!lua_file')
      return { kind: 'lua', code: null, file: scalar.value.trim(), pos, codeLine, ...dir };
    return { kind: 'lua', code: scalar.value, file: null, pos, codeLine, ...dir };
  }

  private scalarText(node: Scalar): string {
    const value = node.value;
    if (typeof value === 'string') return value;
    return this.source(node) ?? String(value);
  }

  private source(node: Scalar): string | undefined {
    const range = node.range;
    if (!range || node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') return undefined;
    if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') return undefined;
    return this.text.slice(range[0], range[1]).trim();
  }
}

/**
 * Every alias's target: the last node before it (in document order) with that anchor, as YAML defines
 * and `Alias.resolve` computes, but in one pass over the document instead of one per alias.
 */
function aliasTargets(doc: Document): Map<Alias, YamlNode> {
  const anchors = new Map<string, YamlNode>();
  const targets = new Map<Alias, YamlNode>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchors.get(node.source);
        if (target) targets.set(node, target);
      } else if (node.anchor) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}
