import { describe, expect, it } from 'vitest';

import { readGraph } from './graph';
import { layoutGraph, positionsFor } from './layout';

const CHAIN = `id: chain
nodes:
  - {id: a, action: log}
  - {id: b, action: log}
  - {id: c, action: log, ui: {x: 500, y: 9}}
connections:
  - {from: a, to: b}
  - {from: b, to: c}
`;

describe('layout', () => {
  it('puts each rank below the last, top to bottom', () => {
    const at = layoutGraph(readGraph(CHAIN), 'TB');
    expect(at.get('a')!.y).toBeLessThan(at.get('b')!.y);
    expect(at.get('b')!.y).toBeLessThan(at.get('c')!.y);
    expect(at.get('a')!.x).toBe(at.get('b')!.x);
  });

  it('left to right puts ranks side by side', () => {
    const at = layoutGraph(readGraph(CHAIN), 'LR');
    expect(at.get('a')!.x).toBeLessThan(at.get('b')!.x);
    expect(at.get('a')!.y).toBe(at.get('b')!.y);
  });

  it('keeps the positions a file gives and lays out only the rest', () => {
    const at = positionsFor(readGraph(CHAIN));
    expect(at.get('c')).toEqual({ x: 500, y: 9 });
    expect(at.get('a')).not.toEqual(at.get('b'));
  });
});
