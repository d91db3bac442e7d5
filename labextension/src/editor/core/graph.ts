/**
 * The workflow as the editor draws it, read tolerantly from the file's text: a half-written
 * file still gives whatever nodes and connections it has (validation reports the rest).
 */
import { parseSource, type SourceFormat } from './sourceEdit';

export interface Position {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  action: string;
  version: string;
  description: string;
  parameters: Record<string, unknown>;
  position: Position | null;
  /** The node's index in the file's `nodes` list. */
  index: number;
}

export interface GraphConnection {
  from: string;
  to: string;
  condition: string | null;
  /** The connection's index in the file's `connections` list. */
  index: number;
}

export interface WorkflowGraph {
  id: string;
  name: string;
  nodes: GraphNode[];
  connections: GraphConnection[];
}

export const EMPTY_GRAPH: WorkflowGraph = { id: '', name: '', nodes: [], connections: [] };

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : fallback;
}

function position(value: unknown): Position | null {
  const ui = record(value);
  return typeof ui.x === 'number' && typeof ui.y === 'number' && isFinite(ui.x) && isFinite(ui.y)
    ? { x: ui.x, y: ui.y }
    : null;
}

/** The graph in `source`; throws `SourceEditError` when the text is not YAML/JSON at all. */
export function readGraph(source: string): WorkflowGraph {
  const root = record(parseSource(source).toJS({ maxAliasCount: 100 }));
  const nodes = (Array.isArray(root.nodes) ? root.nodes : []).map(
    (item: unknown, index: number): GraphNode => {
      const node = record(item);
      return {
        id: text(node.id, `#${index + 1}`),
        action: text(node.action),
        version: text(node.version, '1'),
        description: text(node.description),
        parameters: record(node.parameters),
        position: position(node.ui),
        index
      };
    }
  );
  const connections = (Array.isArray(root.connections) ? root.connections : []).map(
    (item: unknown, index: number): GraphConnection => {
      const connection = record(item);
      const condition = connection.condition;
      return {
        from: text(connection.from),
        to: text(connection.to),
        condition: typeof condition === 'string' ? condition : null,
        index
      };
    }
  );
  return { id: text(root.id), name: text(root.name), nodes, connections };
}

export function findNode(graph: WorkflowGraph, id: string): GraphNode | undefined {
  return graph.nodes.find(node => node.id === id);
}

export type { SourceFormat };
