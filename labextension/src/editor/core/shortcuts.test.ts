import { describe, expect, it } from 'vitest';

import { shortcutFor, type KeyPress } from './shortcuts';

const press = (key: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods
});

describe('shortcuts', () => {
  it('maps the editing keys', () => {
    expect(shortcutFor(press('z', { ctrlKey: true }))).toBe('undo');
    expect(shortcutFor(press('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(shortcutFor(press('y', { ctrlKey: true }))).toBe('redo');
    expect(shortcutFor(press('z', { metaKey: true }))).toBe('undo');
    expect(shortcutFor(press('c', { ctrlKey: true }))).toBe('copy');
    expect(shortcutFor(press('x', { ctrlKey: true }))).toBe('cut');
    expect(shortcutFor(press('v', { metaKey: true }))).toBe('paste');
    expect(shortcutFor(press('Delete'))).toBe('delete');
    expect(shortcutFor(press('Backspace'))).toBe('delete');
  });

  it('leaves other keys to JupyterLab', () => {
    expect(shortcutFor(press('s', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(press('c', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor(press('z', { ctrlKey: true, altKey: true }))).toBeNull();
    expect(shortcutFor(press('z'))).toBeNull();
    expect(shortcutFor(press('ArrowLeft'))).toBeNull();
  });
});
