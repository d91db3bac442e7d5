/**
 * Copy and paste of nodes. The clipboard holds plain node bodies and the connections among
 * them; pasting gives every node a fresh id, rewires those connections and `$nodes.<id>`
 * references to the copies, and offsets the copies so they do not hide the originals.
 */
import { readGraph, type Position } from './graph';
import { addConnection, addNode, renameReferences, uniqueNodeId, type NewNode } from './operations';
import { readPath, type SourceFormat } from './sourceEdit';

export const CLIPBOARD_MIME = 'application/x-nebula-workflow-nodes+json';
export const PASTE_OFFSET = 40;

export interface ClipboardContent {
  kind: 'nebula.workflow.nodes';
  nodes: Array<NewNode & { position: Position | null }>;
  connections: Array<{ from: string; to: string; condition: string | null }>;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The selected nodes (with their drawn positions) and the connections among them. */
export function copyNodes(
  text: string,
  ids: readonly string[],
  positions: ReadonlyMap<string, Position>
): ClipboardContent {
  const wanted = new Set(ids);
  const graph = readGraph(text);
  const nodes = graph.nodes
    .filter(node => wanted.has(node.id))
    .map(node => {
      const body = record(readPath(text, ['nodes', node.index]));
      const copy: NewNode & { position: Position | null } = {
        id: node.id,
        action: node.action,
        version: node.version,
        description: node.description,
        parameters: node.parameters,
        position: positions.get(node.id) ?? node.position
      };
      if (body.retry !== undefined) {
        copy.retry = record(body.retry);
      }
      if (typeof body.timeout_s === 'number') {
        copy.timeout_s = body.timeout_s;
      }
      return copy;
    });
  const connections = graph.connections
    .filter(c => wanted.has(c.from) && wanted.has(c.to))
    .map(({ from, to, condition }) => ({ from, to, condition }));
  return { kind: 'nebula.workflow.nodes', nodes, connections };
}

export function parseClipboard(raw: string): ClipboardContent | null {
  try {
    const data = record(JSON.parse(raw));
    if (data.kind !== 'nebula.workflow.nodes' || !Array.isArray(data.nodes)) {
      return null;
    }
    return data as unknown as ClipboardContent;
  } catch {
    return null;
  }
}

/** Paste `content` into `text`; returns the new text and the ids of the pasted nodes. */
export function pasteNodes(
  text: string,
  format: SourceFormat,
  content: ClipboardContent,
  offset: number = PASTE_OFFSET
): { text: string; ids: string[] } {
  const graph = readGraph(text);
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const node of content.nodes) {
    const id = uniqueNodeId(graph, node.id, taken);
    taken.add(id);
    names.set(node.id, id);
  }
  let out = text;
  for (const node of content.nodes) {
    out = addNode(out, format, {
      ...node,
      id: names.get(node.id) ?? node.id,
      parameters: renameReferences(node.parameters ?? {}, names),
      position: node.position ? { x: node.position.x + offset, y: node.position.y + offset } : null
    });
  }
  for (const connection of content.connections) {
    const from = names.get(connection.from);
    const to = names.get(connection.to);
    if (from !== undefined && to !== undefined) {
      const condition =
        connection.condition === null ? null : renameReferences(connection.condition, names);
      out = addConnection(out, format, from, to, condition);
    }
  }
  return { text: out, ids: [...names.values()] };
}
