/** Automatic layout with dagre, for files without positions and for the "Arrange" button. */
import dagre from '@dagrejs/dagre';

import type { Position, WorkflowGraph } from './graph';

export type LayoutDirection = 'TB' | 'LR';

export interface NodeSize {
  width: number;
  height: number;
}

export const DEFAULT_NODE_SIZE: NodeSize = { width: 200, height: 64 };

/** Top-left positions for every node (React Flow's convention), ranks 80 px apart. */
export function layoutGraph(
  graph: WorkflowGraph,
  direction: LayoutDirection = 'TB',
  sizes: ReadonlyMap<string, NodeSize> = new Map()
): Map<string, Position> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: direction, nodesep: 40, ranksep: 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    g.setNode(node.id, { ...(sizes.get(node.id) ?? DEFAULT_NODE_SIZE) });
  }
  const ids = new Set(graph.nodes.map(node => node.id));
  for (const edge of graph.connections) {
    if (ids.has(edge.from) && ids.has(edge.to) && edge.from !== edge.to) {
      g.setEdge(edge.from, edge.to);
    }
  }
  dagre.layout(g);
  const positions = new Map<string, Position>();
  for (const node of graph.nodes) {
    const placed = g.node(node.id);
    const size = sizes.get(node.id) ?? DEFAULT_NODE_SIZE;
    positions.set(node.id, {
      x: Math.round(placed.x - size.width / 2),
      y: Math.round(placed.y - size.height / 2)
    });
  }
  return positions;
}

/**
 * Where each node is drawn: its own `ui` position, or the layout's when any node lacks one
 * (then only the unpositioned nodes take layout positions, so hand-placed nodes stay put).
 */
export function positionsFor(
  graph: WorkflowGraph,
  direction: LayoutDirection = 'TB'
): Map<string, Position> {
  const missing = graph.nodes.filter(node => node.position === null);
  const laid = missing.length > 0 ? layoutGraph(graph, direction) : new Map<string, Position>();
  const out = new Map<string, Position>();
  for (const node of graph.nodes) {
    out.set(node.id, node.position ?? laid.get(node.id) ?? { x: 0, y: 0 });
  }
  return out;
}
