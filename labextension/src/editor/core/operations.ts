/**
 * Workflow edits as text-to-text functions: each patches the file (see `sourceEdit`) and
 * returns the new text, so undo/redo and saving work on exactly what the user sees in a text
 * editor.
 */
import { findNode, readGraph, type Position, type WorkflowGraph } from './graph';
import {
  appendItem,
  assign,
  removePath,
  SourceEditError,
  type EditOptions,
  type SourceFormat
} from './sourceEdit';

const NODE_FLOW_KEYS = ['ui', 'retry'] as const;

function options(format: SourceFormat): EditOptions {
  return { format, flowKeys: NODE_FLOW_KEYS };
}

function nodeIndex(graph: WorkflowGraph, id: string): number {
  const node = findNode(graph, id);
  if (node === undefined) {
    throw new SourceEditError(`There is no node "${id}" in this workflow.`);
  }
  return node.index;
}

const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** Whether `id` is a valid node id (the rule of the Python definition model). */
export function isValidNodeId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** A node id not yet used in `graph`, derived from `base` (an action id or an existing id). */
export function uniqueNodeId(
  graph: WorkflowGraph,
  base: string,
  taken: Set<string> = new Set()
): string {
  const used = new Set([...graph.nodes.map(node => node.id), ...taken]);
  let stem = base.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[^A-Za-z_]+/, '');
  stem = stem.replace(/_\d+$/, '') || 'node';
  stem = stem.slice(0, 120);
  if (!used.has(stem)) {
    return stem;
  }
  for (let n = 2; ; n += 1) {
    const candidate = `${stem}_${n}`;
    if (!used.has(candidate)) {
      return candidate;
    }
  }
}

export interface NewNode {
  id: string;
  action: string;
  version?: string;
  description?: string;
  parameters?: Record<string, unknown>;
  position?: Position | null;
  retry?: Record<string, unknown>;
  timeout_s?: number;
}

function roundPosition(position: Position): Position {
  return { x: Math.round(position.x), y: Math.round(position.y) };
}

/** The file form of a node: keys in the order people write them, defaults left out. */
export function nodeBody(node: NewNode): Record<string, unknown> {
  const body: Record<string, unknown> = { id: node.id, action: node.action };
  if (node.version !== undefined && node.version !== '1') {
    body.version = node.version;
  }
  if (node.description) {
    body.description = node.description;
  }
  body.parameters = node.parameters ?? {};
  if (node.retry !== undefined) {
    body.retry = node.retry;
  }
  if (node.timeout_s !== undefined) {
    body.timeout_s = node.timeout_s;
  }
  if (node.position) {
    body.ui = roundPosition(node.position);
  }
  return body;
}

export function addNode(text: string, format: SourceFormat, node: NewNode): string {
  if (!isValidNodeId(node.id)) {
    throw new SourceEditError(
      `"${node.id}" is not a valid node id: use letters, digits, '_' and '-', starting with a letter or '_'.`
    );
  }
  if (findNode(readGraph(text), node.id) !== undefined) {
    throw new SourceEditError(`A node "${node.id}" already exists.`);
  }
  return appendItem(text, ['nodes'], nodeBody(node), { ...options(format), flow: false });
}

/** Remove nodes and every connection that touches them. */
export function removeNodes(text: string, format: SourceFormat, ids: readonly string[]): string {
  const gone = new Set(ids);
  const graph = readGraph(text);
  const connections = graph.connections
    .filter(c => gone.has(c.from) || gone.has(c.to))
    .map(c => c.index);
  let out = removeConnections(text, format, connections);
  const indexes = graph.nodes.filter(node => gone.has(node.id)).map(node => node.index);
  for (const index of indexes.sort((a, b) => b - a)) {
    out = removePath(out, ['nodes', index]);
  }
  return out;
}

export function addConnection(
  text: string,
  format: SourceFormat,
  from: string,
  to: string,
  condition?: string | null
): string {
  const graph = readGraph(text);
  nodeIndex(graph, from);
  nodeIndex(graph, to);
  if (from === to) {
    throw new SourceEditError('A node cannot connect to itself.');
  }
  if (graph.connections.some(c => c.from === from && c.to === to)) {
    return text;
  }
  const body: Record<string, unknown> = { from, to };
  if (condition) {
    body.condition = condition;
  }
  return appendItem(text, ['connections'], body, {
    format,
    flow: format === 'yaml' ? true : undefined
  });
}

export function removeConnections(
  text: string,
  format: SourceFormat,
  indexes: readonly number[]
): string {
  void format;
  let out = text;
  for (const index of [...new Set(indexes)].sort((a, b) => b - a)) {
    out = removePath(out, ['connections', index]);
  }
  return out;
}

/** Set (or with an empty/null condition, remove) a connection's condition. */
export function setCondition(
  text: string,
  format: SourceFormat,
  index: number,
  condition: string | null
): string {
  const path = ['connections', index, 'condition'];
  return condition ? assign(text, path, condition, options(format)) : removePath(text, path);
}

/** Set one parameter (undefined removes it). */
export function setParameter(
  text: string,
  format: SourceFormat,
  nodeId: string,
  name: string,
  value: unknown
): string {
  const path = ['nodes', nodeIndex(readGraph(text), nodeId), 'parameters', name];
  return value === undefined ? removePath(text, path) : assign(text, path, value, options(format));
}

/** Set a node field such as `description`, `retry`, `timeout_s` (undefined removes it). */
export function setNodeField(
  text: string,
  format: SourceFormat,
  nodeId: string,
  field: string,
  value: unknown
): string {
  if (field === 'id' || field === 'nodes') {
    throw new SourceEditError('Rename a node with renameNode.');
  }
  const path = ['nodes', nodeIndex(readGraph(text), nodeId), field];
  return value === undefined || value === ''
    ? removePath(text, path)
    : assign(text, path, value, options(format));
}

/** Write `ui: {x, y}` for each moved node (rounded to whole pixels). */
export function moveNodes(
  text: string,
  format: SourceFormat,
  positions: ReadonlyMap<string, Position>
): string {
  let out = text;
  for (const [id, position] of positions) {
    const graph = readGraph(out);
    const node = findNode(graph, id);
    if (node === undefined) {
      continue;
    }
    const rounded = roundPosition(position);
    if (node.position && node.position.x === rounded.x && node.position.y === rounded.y) {
      continue;
    }
    out = assign(out, ['nodes', node.index, 'ui'], rounded, options(format));
  }
  return out;
}

const REFERENCE = (id: string): RegExp =>
  new RegExp(`(\\$nodes\\.)${id.replace(/[-]/g, '\\-')}(?![A-Za-z0-9_-])`, 'g');

/** Rename a node, its connections and `$nodes.<id>` references in parameters and conditions. */
export function renameNode(text: string, format: SourceFormat, from: string, to: string): string {
  if (from === to) {
    return text;
  }
  if (!isValidNodeId(to)) {
    throw new SourceEditError(`"${to}" is not a valid node id.`);
  }
  const graph = readGraph(text);
  if (findNode(graph, to) !== undefined) {
    throw new SourceEditError(`A node "${to}" already exists.`);
  }
  const index = nodeIndex(graph, from);
  let out = assign(text, ['nodes', index, 'id'], to, options(format));
  for (const connection of graph.connections) {
    for (const end of ['from', 'to'] as const) {
      if (connection[end] === from) {
        out = assign(out, ['connections', connection.index, end], to, options(format));
      }
    }
    if (connection.condition !== null) {
      const renamed = connection.condition.replace(REFERENCE(from), `$1${to}`);
      out = setCondition(out, format, connection.index, renamed);
    }
  }
  for (const node of readGraph(out).nodes) {
    const renamed = renameReferences(node.parameters, new Map([[from, to]]));
    if (JSON.stringify(renamed) !== JSON.stringify(node.parameters)) {
      out = assign(out, ['nodes', node.index, 'parameters'], renamed, options(format));
    }
  }
  return out;
}

/** A copy of `value` whose `$nodes.<old>` references point at the renamed nodes. */
export function renameReferences<T>(value: T, names: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') {
    let out: string = value;
    for (const [from, to] of names) {
      out = out.replace(REFERENCE(from), `$1${to}`);
    }
    return out as T;
  }
  if (Array.isArray(value)) {
    return value.map(item => renameReferences(item, names)) as T;
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, renameReferences(item, names)])
    ) as T;
  }
  return value;
}
