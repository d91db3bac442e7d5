import { describe, expect, it } from 'vitest';

import { canRedo, canUndo, record, redo, startHistory, undo } from './history';

describe('history', () => {
  it('undoes and redoes edits in order', () => {
    let h = startHistory('a');
    h = record(h, 'b');
    h = record(h, 'c');
    h = undo(h);
    expect(h.present).toBe('b');
    h = undo(h);
    expect([h.present, canUndo(h), canRedo(h)]).toEqual(['a', false, true]);
    h = redo(redo(h));
    expect(h.present).toBe('c');
  });

  it('a new edit drops the redo branch', () => {
    const h = record(undo(record(startHistory('a'), 'b')), 'x');
    expect([h.present, canRedo(h)]).toEqual(['x', false]);
    expect(undo(h).present).toBe('a');
  });

  it('merges quick edits of one kind into one step, not of different kinds', () => {
    let h = startHistory('a');
    h = record(h, 'ab', 'type:x', 1000);
    h = record(h, 'abc', 'type:x', 1500);
    h = record(h, 'abcd', 'move', 1600);
    expect(undo(h).present).toBe('abc');
    expect(undo(undo(h)).present).toBe('a');
    const late = record(record(startHistory('a'), 'ab', 'k', 0), 'abc', 'k', 5000);
    expect(undo(late).present).toBe('ab');
  });

  it('an unchanged text records nothing', () => {
    const h = startHistory('a');
    expect(record(h, 'a')).toBe(h);
  });
});
