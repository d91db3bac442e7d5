import { describe, expect, it } from 'vitest';

import { readGraph } from './graph';
import { fieldProblems, placeProblems, problemsByNode } from './problems';

const SOURCE = `id: p
nodes:
  - id: a
    action: log
    parameters:
      message: "{{ $nodes.nope }}"
  - id: b
    action: lgo
connections:
  - {from: a, to: b, condition: "1 +"}
`;

describe('problems', () => {
  it('places problems on nodes, fields and connections', () => {
    const placed = placeProblems(SOURCE, readGraph(SOURCE), [
      { message: 'unknown node', node: null, path: ['nodes', 0, 'parameters', 'message'], line: 6 },
      { message: 'unknown action', node: 'b', path: [], line: null },
      { message: 'syntax', node: null, path: ['connections', 0, 'condition'], line: 10 },
      { message: 'somewhere in b', node: null, path: [], line: 8 },
      { message: 'whole file', node: null, path: [], line: 1 }
    ]);
    expect(placed.map(p => [p.nodeId, p.field, p.connection])).toEqual([
      ['a', 'parameters.message', null],
      ['b', null, null],
      [null, null, 0],
      ['b', null, null],
      [null, null, null]
    ]);
    expect([...problemsByNode(placed).keys()]).toEqual(['a', 'b']);
    expect(fieldProblems(placed, 'a', 'parameters').map(p => p.message)).toEqual(['unknown node']);
  });
});
