/**
 * Stage 1, parse: YAML text -> `RawConfig`, a tree of positioned nodes. `!lua` and `!lua_file` values
 * stay unevaluated (`RawLua`); anchors, aliases and `<<` merge keys are resolved here, so later stages
 * only see maps, sequences and scalars.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Scalar,
  type ScalarTag,
  type Node as YamlNode,
} from 'yaml';
import { type IssueCollector, indexPath, joinPath, type Pos } from './issues.js';

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
}

/** A sequence. */
export interface RawSeq {
  readonly kind: 'seq';
  readonly items: readonly RawNode[];
  readonly pos: Pos;
  readonly fromLua?: boolean;
}

/** An unevaluated `!lua` (inline `code`) or `!lua_file` (`file`, relative to the config's directory). */
export interface RawLua {
  readonly kind: 'lua';
  readonly code: string | null;
  readonly file: string | null;
  readonly pos: Pos;
  /** The YAML line holding the first line of `code`, so Lua line numbers map back onto the file. */
  readonly codeLine: number;
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
}

const LUA_TAGS: ScalarTag[] = [
  { tag: '!lua', resolve: (source: string) => source },
  { tag: '!lua_file', resolve: (source: string) => source },
];

/**
 * Parses `text` (the content of `file`) into a `RawConfig`, reporting YAML syntax errors, unknown tags
 * and misplaced Lua tags to `issues`. Returns null when the YAML itself is unusable.
 */
export function parseConfigText(text: string, issues: IssueCollector): RawConfig | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    customTags: LUA_TAGS,
    merge: true,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const posAt = (offset: number | undefined): Pos => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { line, column: col };
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
  const walker = new Walker(doc, text, posAt, issues);
  const root = walker.node(doc.contents, '', 0);
  return { file: issues.file, root, hasLua: walker.hasLua || hasLuaBlock(root) };
}

function hasLuaBlock(root: RawNode): boolean {
  return root.kind === 'map' && root.entries.some((entry) => entry.key === 'lua');
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Alias chains deeper than this are treated as a (billion-laughs style) abuse. */
const MAX_DEPTH = 64;

class Walker {
  hasLua = false;

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly posAt: (offset: number | undefined) => Pos,
    private readonly issues: IssueCollector,
  ) {}

  node(node: unknown, path: string, depth: number): RawNode {
    const yamlNode = node as YamlNode;
    const pos = this.posAt(yamlNode?.range?.[0]);
    if (depth > MAX_DEPTH) {
      this.issues.add(path, 'nested too deeply (an alias loop?)', pos);
      return { kind: 'errored', pos };
    }
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) {
        this.issues.add(path, `unknown alias *${node.source}`, pos);
        return { kind: 'errored', pos };
      }
      return this.node(target, path, depth + 1);
    }
    const tag = (yamlNode as { tag?: string } | null)?.tag;
    if (tag === '!lua' || tag === '!lua_file')
      return this.lua(yamlNode, tag, path, pos, this.tagPos(yamlNode, tag, pos));
    if (tag !== undefined && !tag.startsWith('tag:yaml.org,2002:')) {
      this.issues.add(
        path,
        `unknown tag ${tag} (Kepler knows !lua and !lua_file)`,
        this.tagPos(yamlNode, tag, pos),
      );
      return { kind: 'errored', pos };
    }
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
    if (tag === '!lua_file') return { kind: 'lua', code: null, file: scalar.value.trim(), pos, codeLine };
    return { kind: 'lua', code: scalar.value, file: null, pos, codeLine };
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
