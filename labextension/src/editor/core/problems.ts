/**
 * Validation problems (from `POST workflows/validate`) placed on what the editor draws: a node
 * and its field, a connection, or the workflow as a whole.
 */
import { isMap, isSeq, type Node as YamlNode } from 'yaml';

import type { WorkflowGraph } from './graph';
import { parseSource } from './sourceEdit';

export interface Problem {
  message: string;
  node: string | null;
  path: Array<string | number>;
  line: number | null;
}

export interface PlacedProblem extends Problem {
  /** The node the problem concerns, from its `node`, its path, or its line. */
  nodeId: string | null;
  /** The field inside the node, dotted (`parameters.url`), when the path names one. */
  field: string | null;
  /** The index of the connection the problem concerns. */
  connection: number | null;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
  }
  return line;
}

/** The first and last line of each item of a top-level list (`nodes`, `connections`). */
export function itemLines(text: string, key: string): Array<[number, number]> {
  let doc;
  try {
    doc = parseSource(text);
  } catch {
    return [];
  }
  const root = doc.contents;
  const list = isMap(root) ? root.get(key, true) : undefined;
  if (!isSeq(list)) {
    return [];
  }
  return list.items.map(item => {
    const range = (item as YamlNode).range ?? [0, 0, 0];
    return [lineOf(text, range[0]), lineOf(text, Math.max(range[0], range[1] - 1))];
  });
}

function indexAt(spans: Array<[number, number]>, line: number): number | null {
  const found = spans.findIndex(([first, last]) => line >= first && line <= last);
  return found < 0 ? null : found;
}

export function placeProblems(
  text: string,
  graph: WorkflowGraph,
  problems: readonly Problem[]
): PlacedProblem[] {
  const nodeSpans = itemLines(text, 'nodes');
  const connectionSpans = itemLines(text, 'connections');
  return problems.map(problem => {
    const [head, index, ...rest] = problem.path;
    let nodeId = problem.node;
    let field: string | null = null;
    let connection: number | null = null;
    if (head === 'nodes' && typeof index === 'number') {
      nodeId = nodeId ?? graph.nodes[index]?.id ?? null;
      field = rest.length > 0 ? rest.join('.') : null;
    } else if (head === 'connections' && typeof index === 'number') {
      connection = index;
    } else if (nodeId === null && problem.line !== null) {
      const atNode = indexAt(nodeSpans, problem.line);
      nodeId = atNode === null ? null : (graph.nodes[atNode]?.id ?? null);
      connection = nodeId === null ? indexAt(connectionSpans, problem.line) : null;
    }
    return { ...problem, nodeId, field, connection };
  });
}

export function problemsByNode(problems: readonly PlacedProblem[]): Map<string, PlacedProblem[]> {
  const out = new Map<string, PlacedProblem[]>();
  for (const problem of problems) {
    if (problem.nodeId !== null) {
      out.set(problem.nodeId, [...(out.get(problem.nodeId) ?? []), problem]);
    }
  }
  return out;
}

/** The problems of one field of one node (`parameters.url` and anything under it). */
export function fieldProblems(
  problems: readonly PlacedProblem[],
  nodeId: string,
  field: string
): PlacedProblem[] {
  return problems.filter(
    p =>
      p.nodeId === nodeId &&
      p.field !== null &&
      (p.field === field || p.field.startsWith(`${field}.`))
  );
}
