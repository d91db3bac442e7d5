/**
 * Edits that patch a YAML or JSON text in place.
 *
 * The file stays the user's: every edit parses the text with the `yaml` Document API (which
 * knows the source range of every node), then splices only the characters that change. Comments,
 * key order, quoting and layout of everything else are left byte for byte as they were. Each
 * primitive makes one splice and re-parses, so composite edits never juggle stale offsets.
 */
import {
  Document,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  Scalar,
  type Node as YamlNode,
  type Pair,
  type YAMLMap,
  type YAMLSeq
} from 'yaml';

export type SourceFormat = 'yaml' | 'json';
export type PathKey = string | number;
export type Path = readonly PathKey[];
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A text that cannot be patched (a syntax error, or a path through a scalar). */
export class SourceEditError extends Error {}

type Collection = YAMLMap<unknown, unknown> | YAMLSeq<unknown>;

const STRINGIFY = { lineWidth: 0, flowCollectionPadding: false } as const;

export function parseSource(text: string): Document.Parsed {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SourceEditError(
      `The file is not valid YAML/JSON (${doc.errors[0].message.split('\n')[0]}); ` +
        'fix it in the text editor first.'
    );
  }
  return doc;
}

/** The file format a path implies: `.json` files stay JSON, everything else is YAML. */
export function formatOf(path: string): SourceFormat {
  return path.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

// ---- positions --------------------------------------------------------------------------

const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

function lineEnd(text: string, at: number): number {
  const found = text.indexOf('\n', at);
  return found < 0 ? text.length : found;
}

const column = (text: string, at: number): number => at - lineStart(text, at);

/** Where a node's content really ends: block nodes' ranges run over their final newline. */
function contentEnd(text: string, node: YamlNode): number {
  let end = node.range?.[1] ?? 0;
  while (end > 0 && /\s/.test(text[end - 1])) {
    end -= 1;
  }
  return end;
}

function startOf(node: YamlNode): number {
  return node.range?.[0] ?? 0;
}

function isMultiline(text: string, node: YamlNode): boolean {
  return text.slice(startOf(node), contentEnd(text, node)).includes('\n');
}

function splice(text: string, from: number, to: number, insert: string): string {
  return text.slice(0, from) + insert + text.slice(to);
}

function indentUnit(text: string, doc: Document.Parsed, format: SourceFormat): number {
  if (format === 'json') {
    const root = doc.contents;
    if (isMap(root) && root.items.length > 0 && isMultiline(text, root as YamlNode)) {
      return Math.max(1, column(text, startOf(root.items[0].key as YamlNode)));
    }
  }
  return 2;
}

function reindent(rendered: string, indent: number): string {
  const pad = ' '.repeat(indent);
  return rendered
    .split('\n')
    .map((line, index) => (index === 0 || line === '' ? line : pad + line))
    .join('\n');
}

// ---- rendering new values ---------------------------------------------------------------

interface RenderContext {
  format: SourceFormat;
  /** Inside a flow collection (or JSON): no block styles. */
  flow: boolean;
  /** The column continuation lines start at. */
  indent: number;
  unit: number;
  /** Spread JSON over lines (the surrounding JSON is multi-line). */
  multiline: boolean;
  /** Keys whose mapping values stay compact (`ui: {x: 1, y: 2}`). */
  flowKeys?: readonly string[];
}

function flowYaml(value: unknown): string {
  const doc = new Document([value]);
  (doc.contents as YAMLSeq).flow = true;
  return doc.toString(STRINGIFY).trimEnd().slice(1, -1);
}

function blockYaml(value: unknown, flowKeys: readonly string[]): string {
  const doc = new Document(value);
  const mark = (node: unknown): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (typeof key === 'string' && flowKeys.includes(key) && isCollection(pair.value)) {
          pair.value.flow = true;
        } else {
          mark(pair.value);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach(mark);
    }
  };
  mark(doc.contents);
  return doc.toString(STRINGIFY).replace(/\n$/, '');
}

function jsonEntries(value: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(value).filter(([, item]) => item !== undefined);
}

/** One-line JSON as people write it: `{"x": 1, "y": [1, 2]}`. */
function inlineJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(inlineJson).join(', ')}]`;
  }
  if (isPlainObject(value)) {
    const items = jsonEntries(value).map(
      ([key, item]) => `${JSON.stringify(key)}: ${inlineJson(item)}`
    );
    return `{${items.join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Indented JSON whose `flowKeys` values stay on one line (`"ui": {"x": 1, "y": 2}`). */
function blockJson(
  value: unknown,
  unit: number,
  flowKeys: readonly string[],
  indent: number
): string {
  const pad = ' '.repeat(indent + unit);
  const close = ' '.repeat(indent);
  if (Array.isArray(value) && value.length > 0) {
    const items = value.map(item => pad + blockJson(item, unit, flowKeys, indent + unit));
    return `[\n${items.join(',\n')}\n${close}]`;
  }
  if (isPlainObject(value) && jsonEntries(value).length > 0) {
    const items = jsonEntries(value).map(([key, item]) => {
      const rendered = flowKeys.includes(key)
        ? inlineJson(item)
        : blockJson(item, unit, flowKeys, indent + unit);
      return `${pad}${JSON.stringify(key)}: ${rendered}`;
    });
    return `{\n${items.join(',\n')}\n${close}}`;
  }
  return inlineJson(value);
}

function renderValue(value: unknown, ctx: RenderContext): string {
  if (ctx.format === 'json') {
    const text = ctx.multiline
      ? blockJson(value, ctx.unit, ctx.flowKeys ?? [], 0)
      : inlineJson(value);
    return reindent(text, ctx.indent);
  }
  if (ctx.flow || !isNonEmptyCollection(value)) {
    return reindent(ctx.flow ? flowYaml(value) : blockYaml(value, []), ctx.indent);
  }
  return reindent(blockYaml(value, ctx.flowKeys ?? []), ctx.indent);
}

function renderKey(key: string, format: SourceFormat): string {
  return format === 'json' ? JSON.stringify(key) : flowYaml(key);
}

function isNonEmptyCollection(value: unknown): boolean {
  if (Array.isArray(value)) {
    return value.length > 0;
  }
  return isPlainObject(value) && Object.keys(value).length > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `key: value` in the style of its map, starting at column `indent`. */
function renderPair(key: string, value: unknown, ctx: RenderContext): string {
  const head = renderKey(key, ctx.format);
  const compact = ctx.flowKeys?.includes(key) === true;
  if (!ctx.flow && ctx.format === 'yaml' && isNonEmptyCollection(value) && !compact) {
    const inner = ctx.indent + ctx.unit;
    return `${head}:\n${' '.repeat(inner)}${renderValue(value, { ...ctx, indent: inner })}`;
  }
  const inline = { ...ctx, flow: ctx.flow || compact, multiline: ctx.multiline && !compact };
  return `${head}: ${renderValue(value, inline)}`;
}

// ---- locating ---------------------------------------------------------------------------

function keyOf(pair: Pair<unknown, unknown>): unknown {
  return isScalar(pair.key) ? pair.key.value : pair.key;
}

function pairIndex(map: YAMLMap<unknown, unknown>, key: string): number {
  return map.items.findIndex(pair => keyOf(pair) === key);
}

function child(node: unknown, key: PathKey): unknown {
  if (isMap(node) && typeof key === 'string') {
    const at = pairIndex(node, key);
    return at < 0 ? undefined : node.items[at].value;
  }
  if (isSeq(node) && typeof key === 'number') {
    return node.items[key];
  }
  return undefined;
}

function nodeAt(doc: Document.Parsed, path: Path): unknown {
  let node: unknown = doc.contents;
  for (const key of path) {
    node = child(node, key);
    if (node === undefined) {
      return undefined;
    }
  }
  return node;
}

/** The plain value at `path`, or undefined when the path is absent. */
export function readPath(text: string, path: Path): unknown {
  const node = nodeAt(parseSource(text), path);
  if (node === undefined) {
    return undefined;
  }
  return isCollection(node) || isScalar(node) ? node.toJSON() : node;
}

function contextFor(
  text: string,
  doc: Document.Parsed,
  format: SourceFormat,
  collection: Collection,
  flowKeys?: readonly string[]
): RenderContext {
  const first = collection.items[0] as Pair<YamlNode, unknown> | YamlNode | undefined;
  const firstNode =
    first === undefined
      ? undefined
      : isMap(collection)
        ? (first as Pair<YamlNode>).key
        : (first as YamlNode);
  const unit = indentUnit(text, doc, format);
  const multiline = collection.flow === true && isMultiline(text, collection as YamlNode);
  const indent =
    firstNode !== undefined && (collection.flow !== true || multiline)
      ? column(text, startOf(firstNode))
      : column(text, startOf(collection as YamlNode)) + (collection.flow === true ? unit : 0);
  return {
    format,
    flow: collection.flow === true || format === 'json',
    indent,
    unit,
    // JSON spreads over lines where its collection does (an empty one follows the file)
    multiline:
      format === 'json' &&
      (firstNode !== undefined ? multiline : isMultiline(text, doc.contents as YamlNode)),
    flowKeys
  };
}

// ---- primitives -------------------------------------------------------------------------

function replaceNode(
  text: string,
  format: SourceFormat,
  node: YamlNode,
  value: unknown,
  parentCtx: RenderContext
): string {
  const start = startOf(node);
  const end = contentEnd(text, node);
  if (isScalar(node) && typeof value === 'string' && format === 'yaml' && !value.includes('\n')) {
    if (node.type === Scalar.QUOTE_DOUBLE) {
      return splice(text, start, end, JSON.stringify(value));
    }
    if (node.type === Scalar.QUOTE_SINGLE) {
      return splice(text, start, end, `'${value.replace(/'/g, "''")}'`);
    }
  }
  const blockCollection = isCollection(node) && node.flow !== true && format === 'yaml';
  const ctx: RenderContext = {
    ...parentCtx,
    indent: blockCollection ? column(text, start) : parentCtx.indent,
    flow: parentCtx.flow || (!blockCollection && isNonEmptyCollection(value))
  };
  if (start === end && !isCollection(node)) {
    // an empty value (`key:`): write after the colon
    const colon = text.lastIndexOf(':', start);
    return splice(text, colon + 1, end, ` ${renderValue(value, { ...ctx, flow: true })}`);
  }
  return splice(text, start, end, renderValue(value, ctx));
}

function insertPair(
  text: string,
  doc: Document.Parsed,
  format: SourceFormat,
  map: YAMLMap<unknown, unknown>,
  key: string,
  value: unknown,
  flowKeys?: readonly string[]
): string {
  const ctx = contextFor(text, doc, format, map, flowKeys);
  const mapNode = map as unknown as YamlNode;
  const last = map.items[map.items.length - 1] as Pair<YamlNode, YamlNode | null> | undefined;
  if (last === undefined) {
    const body = renderPair(key, value, { ...ctx, flow: true });
    return splice(text, startOf(mapNode), contentEnd(text, mapNode), `{${body}}`);
  }
  const lastEnd = contentEnd(text, last.value ?? last.key);
  if (map.flow === true) {
    const sep = isMultiline(text, mapNode) ? `,\n${' '.repeat(ctx.indent)}` : ', ';
    return splice(text, lastEnd, lastEnd, sep + renderPair(key, value, ctx));
  }
  const at = lineEnd(text, lastEnd);
  return splice(text, at, at, `\n${' '.repeat(ctx.indent)}${renderPair(key, value, ctx)}`);
}

function removeFromCollection(
  text: string,
  collection: Collection,
  index: number,
  itemStart: number,
  itemEnd: number,
  empty: string
): string {
  const node = collection as unknown as YamlNode;
  if (collection.items.length === 1) {
    const before = text.slice(0, startOf(node)).trimEnd();
    if (collection.flow !== true && before.endsWith(':')) {
      // a block collection under its key becomes `key: []` / `key: {}` on the key's line
      return splice(text, before.length, contentEnd(text, node), ` ${empty}`);
    }
    return splice(text, startOf(node), contentEnd(text, node), empty);
  }
  const startOfItem = (i: number): number => {
    const item = collection.items[i] as Pair<YamlNode> | YamlNode;
    return startOf(isMap(collection) ? (item as Pair<YamlNode>).key : (item as YamlNode));
  };
  const endOfItem = (i: number): number => {
    const item = collection.items[i] as Pair<YamlNode, YamlNode | null> | YamlNode;
    return isMap(collection)
      ? contentEnd(
          text,
          (item as Pair<YamlNode, YamlNode | null>).value ?? (item as Pair<YamlNode>).key
        )
      : contentEnd(text, item as YamlNode);
  };
  if (collection.flow === true) {
    if (index < collection.items.length - 1) {
      return splice(text, itemStart, startOfItem(index + 1), '');
    }
    return splice(text, endOfItem(index - 1), itemEnd, '');
  }
  const first = lineStart(text, itemStart);
  const prefix = text.slice(first, itemStart);
  if (/^\s*$/.test(prefix) || isSeq(collection)) {
    const from = first > 0 ? first - 1 : 0;
    const to =
      first > 0 ? lineEnd(text, itemEnd) : Math.min(text.length, lineEnd(text, itemEnd) + 1);
    return splice(text, from, to, '');
  }
  // the first key of a `- key: …` item: the next key moves up beside the dash
  return splice(text, itemStart, startOfItem(index + 1), '');
}

function removePair(text: string, map: YAMLMap<unknown, unknown>, index: number): string {
  const pair = map.items[index] as Pair<YamlNode, YamlNode | null>;
  return removeFromCollection(
    text,
    map,
    index,
    startOf(pair.key),
    contentEnd(text, pair.value ?? pair.key),
    '{}'
  );
}

function removeItem(text: string, seq: YAMLSeq<unknown>, index: number): string {
  const item = seq.items[index] as YamlNode;
  let start = startOf(item);
  if (seq.flow !== true) {
    start = text.lastIndexOf('-', start);
  }
  return removeFromCollection(text, seq, index, start, contentEnd(text, item), '[]');
}

function parentAndKey(doc: Document.Parsed, path: Path): [unknown, PathKey] {
  if (path.length === 0) {
    throw new SourceEditError('The whole document cannot be replaced by an edit.');
  }
  return [nodeAt(doc, path.slice(0, -1)), path[path.length - 1]];
}

export interface EditOptions {
  format: SourceFormat;
  /** Keys whose new mapping values are written compactly (`ui: {x: 1, y: 2}`). */
  flowKeys?: readonly string[];
}

/**
 * Set the value at `path`. Mappings are merged key by key (a key missing from `value` is
 * removed), so a change inside a mapping touches only what changed; missing parents are created.
 */
export function assign(text: string, path: Path, value: unknown, options: EditOptions): string {
  const doc = parseSource(text);
  if (doc.contents === null && path.length > 0) {
    return startDocument(text, path, value, options);
  }
  const [parent, key] = parentAndKey(doc, path);
  const current = child(parent, key);
  if (current !== undefined && isMap(current) && isPlainObject(value)) {
    return mergeMap(text, path, current, value, options);
  }
  if (current !== undefined) {
    if (isScalar(current) && current.toJSON() === value) {
      return text;
    }
    if (isSeq(current) && JSON.stringify(current.toJSON()) === JSON.stringify(value)) {
      return text;
    }
    const container = parent as Collection;
    const ctx = contextFor(text, doc, options.format, container, options.flowKeys);
    const inner = { ...ctx, indent: ctx.indent + (container.flow === true ? 0 : ctx.unit) };
    return replaceNode(text, options.format, current as YamlNode, value, inner);
  }
  if (isMap(parent) && typeof key === 'string') {
    return insertPair(text, doc, options.format, parent, key, value, options.flowKeys);
  }
  if (parent === undefined && path.length > 1) {
    // create the missing parent as a mapping holding this one key
    const last = path[path.length - 1];
    if (typeof last !== 'string') {
      throw new SourceEditError(`Nothing at ${path.slice(0, -1).join('.')} to index into.`);
    }
    return assign(text, path.slice(0, -1), { [last]: value }, options);
  }
  if (isScalar(parent) && parent.value === null && typeof key === 'string') {
    return assign(text, path.slice(0, -1), { [key]: value }, options);
  }
  throw new SourceEditError(`Cannot set ${path.join('.')}: its parent is not a mapping.`);
}

/** An empty file (only comments, or nothing) gets its first mapping after what it holds. */
function startDocument(text: string, path: Path, value: unknown, options: EditOptions): string {
  let nested: unknown = value;
  for (const key of [...path].reverse()) {
    if (typeof key !== 'string') {
      throw new SourceEditError(`Nothing at ${path.join('.')} to index into.`);
    }
    nested = { [key]: nested };
  }
  const body =
    options.format === 'json'
      ? JSON.stringify(nested, null, 2)
      : blockYaml(nested, options.flowKeys ?? []);
  const head = text.trimEnd();
  return `${head}${head ? '\n' : ''}${body}\n`;
}

function mergeMap(
  text: string,
  path: Path,
  current: YAMLMap<unknown, unknown>,
  value: Record<string, unknown>,
  options: EditOptions
): string {
  let out = text;
  const existing = current.items.map(keyOf).filter((k): k is string => typeof k === 'string');
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) {
      out = assign(out, [...path, k], v, options);
    }
  }
  for (const k of existing) {
    if (!(k in value) || value[k] === undefined) {
      out = removePath(out, [...path, k]);
    }
  }
  return out;
}

/** Remove the mapping key or sequence item at `path` (nothing happens when it is absent). */
export function removePath(text: string, path: Path): string {
  const doc = parseSource(text);
  const [parent, key] = parentAndKey(doc, path);
  if (isMap(parent) && typeof key === 'string') {
    const at = pairIndex(parent, key);
    return at < 0 ? text : removePair(text, parent, at);
  }
  if (isSeq(parent) && typeof key === 'number' && key < parent.items.length) {
    return removeItem(text, parent, key);
  }
  return text;
}

/** Append `value` to the sequence at `path`, creating the sequence when it is absent. */
export function appendItem(
  text: string,
  path: Path,
  value: unknown,
  options: EditOptions & { flow?: boolean }
): string {
  const doc = parseSource(text);
  const seq = nodeAt(doc, path);
  if (seq === undefined || (isScalar(seq) && seq.value === null)) {
    return assign(text, path, [value], options);
  }
  if (!isSeq(seq)) {
    throw new SourceEditError(`${path.join('.')} is not a list.`);
  }
  const format = options.format;
  const ctx = contextFor(text, doc, format, seq, options.flowKeys);
  const seqNode = seq as unknown as YamlNode;
  const last = seq.items[seq.items.length - 1] as YamlNode | undefined;
  if (last === undefined) {
    if (format === 'yaml') {
      // `nodes: []` becomes a block list under its key
      const keyEnd = text.lastIndexOf(':', startOf(seqNode));
      const owner = lineStart(text, keyEnd);
      const indent = text.slice(owner).search(/\S/) + ctx.unit;
      const item = renderValue(value, { ...ctx, flow: options.flow === true, indent: indent + 2 });
      return splice(
        text,
        keyEnd + 1,
        contentEnd(text, seqNode),
        `\n${' '.repeat(indent)}- ${item}`
      );
    }
    const lineIndent = text.slice(lineStart(text, startOf(seqNode))).search(/\S/);
    if (ctx.multiline) {
      const inner = lineIndent + ctx.unit;
      const item = renderValue(value, { ...ctx, indent: inner });
      return splice(
        text,
        startOf(seqNode),
        contentEnd(text, seqNode),
        `[\n${' '.repeat(inner)}${item}\n${' '.repeat(lineIndent)}]`
      );
    }
    return splice(
      text,
      startOf(seqNode),
      contentEnd(text, seqNode),
      `[${renderValue(value, ctx)}]`
    );
  }
  const lastEnd = contentEnd(text, last);
  if (seq.flow === true) {
    const multiline = isMultiline(text, seqNode);
    const sep = multiline ? `,\n${' '.repeat(ctx.indent)}` : ', ';
    return splice(
      text,
      lastEnd,
      lastEnd,
      sep + renderValue(value, { ...ctx, multiline: ctx.multiline && isMultiline(text, last) })
    );
  }
  const dash = column(text, text.lastIndexOf('-', startOf(last)));
  const flow = options.flow ?? (isCollection(last) && last.flow === true);
  const item = renderValue(value, { ...ctx, flow, indent: column(text, startOf(last)) });
  const at = lineEnd(text, lastEnd);
  return splice(text, at, at, `\n${' '.repeat(dash)}- ${item}`);
}
