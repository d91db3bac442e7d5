/**
 * Undo/redo as a stack of document texts. Every edit is text → text, so a snapshot is exact
 * and small; rapid edits of one kind (typing in a field, dragging) merge into one step.
 */
export interface HistoryState {
  readonly past: readonly string[];
  readonly present: string;
  readonly future: readonly string[];
  /** The kind of the last recorded edit and when it happened, for merging. */
  readonly lastKind: string | null;
  readonly lastAt: number;
}

export const HISTORY_LIMIT = 200;
export const MERGE_WINDOW_MS = 800;

export function startHistory(present: string): HistoryState {
  return { past: [], present, future: [], lastKind: null, lastAt: 0 };
}

/**
 * Record `next` as the new present. An edit of the same `kind` as the previous one within
 * `MERGE_WINDOW_MS` replaces it instead of adding a step (pass no kind to never merge).
 */
export function record(
  state: HistoryState,
  next: string,
  kind: string | null = null,
  now = 0
): HistoryState {
  if (next === state.present) {
    return state;
  }
  const merge = kind !== null && kind === state.lastKind && now - state.lastAt <= MERGE_WINDOW_MS;
  const past = merge ? state.past : [...state.past, state.present].slice(-HISTORY_LIMIT);
  return { past, present: next, future: [], lastKind: kind, lastAt: now };
}

/** Take a text that changed outside the editor (the text editor, a revert) as the present. */
export function replacePresent(state: HistoryState, present: string): HistoryState {
  return present === state.present ? state : record(state, present);
}

export function undo(state: HistoryState): HistoryState {
  if (state.past.length === 0) {
    return state;
  }
  return {
    past: state.past.slice(0, -1),
    present: state.past[state.past.length - 1],
    future: [state.present, ...state.future],
    lastKind: null,
    lastAt: 0
  };
}

export function redo(state: HistoryState): HistoryState {
  if (state.future.length === 0) {
    return state;
  }
  return {
    past: [...state.past, state.present],
    present: state.future[0],
    future: state.future.slice(1),
    lastKind: null,
    lastAt: 0
  };
}

export const canUndo = (state: HistoryState): boolean => state.past.length > 0;
export const canRedo = (state: HistoryState): boolean => state.future.length > 0;
