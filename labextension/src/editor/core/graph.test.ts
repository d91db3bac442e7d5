import { describe, expect, it } from 'vitest';

import { readGraph } from './graph';
import { SourceEditError } from './sourceEdit';

describe('reading the graph', () => {
  it('draws what a half-written file has', () => {
    const graph = readGraph(
      'id: w\nnodes:\n  - action: log\n  - id: b\n    ui: {x: 1}\n  - 7\nconnections:\n  - {from: b}\n'
    );
    expect(graph.nodes.map(n => [n.id, n.action, n.position])).toEqual([
      ['#1', 'log', null],
      ['b', '', null],
      ['#3', '', null]
    ]);
    expect(graph.connections).toEqual([{ from: 'b', to: '', condition: null, index: 0 }]);
  });

  it('an empty file is an empty graph; broken YAML is an error that says what to do', () => {
    expect(readGraph('')).toEqual({ id: '', name: '', nodes: [], connections: [] });
    expect(() => readGraph('nodes: [\n')).toThrow(SourceEditError);
    expect(() => readGraph('nodes: [\n')).toThrow(/text editor/);
  });
});
