/** The editor's keyboard shortcuts (Ctrl on Linux/Windows, Cmd on macOS). */
export type Shortcut = 'undo' | 'redo' | 'copy' | 'cut' | 'paste' | 'delete';

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function shortcutFor(event: KeyPress): Shortcut | null {
  if (event.altKey) {
    return null;
  }
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (!mod) {
    return !event.shiftKey && (key === 'delete' || key === 'backspace') ? 'delete' : null;
  }
  if (key === 'z') {
    return event.shiftKey ? 'redo' : 'undo';
  }
  if (event.shiftKey) {
    return null;
  }
  switch (key) {
    case 'y':
      return 'redo';
    case 'c':
      return 'copy';
    case 'x':
      return 'cut';
    case 'v':
      return 'paste';
    default:
      return null;
  }
}
