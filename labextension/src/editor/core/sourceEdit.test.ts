import { describe, expect, it } from 'vitest';

import { appendItem, assign, formatOf, readPath, removePath, SourceEditError } from './sourceEdit';

const yaml = { format: 'yaml' } as const;

describe('patching YAML in place', () => {
  it('fills an empty value after its colon', () => {
    expect(assign('a:\nb: 1\n', ['a'], 'x', yaml)).toBe('a: x\nb: 1\n');
  });

  it('keeps single quotes and escapes them', () => {
    expect(assign("a: 'x'\n", ['a'], "it's", yaml)).toBe("a: 'it''s'\n");
  });

  it('quotes what YAML would misread', () => {
    const out = assign('a: x\n', ['a'], '{{ $input }}: yes', yaml);
    expect(readPath(out, ['a'])).toBe('{{ $input }}: yes');
    const flow = assign('a: {b: 1}\n', ['a', 'c'], 'x, y', yaml);
    expect(readPath(flow, ['a'])).toEqual({ b: 1, c: 'x, y' });
  });

  it('removes the first key of a list item and moves the next one beside the dash', () => {
    const text = 'items:\n  - id: a\n    name: b\n';
    expect(removePath(text, ['items', 0, 'id'])).toBe('items:\n  - name: b\n');
  });

  it('removes a key with its comment but not the lines around it', () => {
    const text = '# head\na: 1  # one\nb: 2\n# tail\n';
    expect(removePath(text, ['a'])).toBe('# head\nb: 2\n# tail\n');
    expect(removePath(text, ['b'])).toBe('# head\na: 1  # one\n# tail\n');
  });

  it('replaces a block scalar and writes multi-line text as a block', () => {
    const text = 'a: |\n  one\n  two\nb: 1\n';
    const out = assign(text, ['a'], 'three\nfour', yaml);
    expect(readPath(out, ['a'])).toBe('three\nfour');
    expect(readPath(out, ['b'])).toBe(1);
  });

  it('writes a new mapping under a key as a block at the right depth', () => {
    const out = assign('n:\n  a: 1\n', ['n', 'p'], { x: { y: [1, 2] } }, yaml);
    expect(out).toBe('n:\n  a: 1\n  p:\n    x:\n      y:\n        - 1\n        - 2\n');
  });

  it('appends to flow lists in their own style', () => {
    expect(appendItem('a: [1, 2]\n', ['a'], 3, yaml)).toBe('a: [1, 2, 3]\n');
  });

  it('refuses text that is not YAML', () => {
    expect(() => assign('a: [1\n', ['a'], 1, yaml)).toThrow(SourceEditError);
  });

  it('knows JSON files by their name', () => {
    expect([formatOf('x.workflow.json'), formatOf('x.workflow.YAML')]).toEqual(['json', 'yaml']);
  });
});
