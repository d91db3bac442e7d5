/**
 * The document the editor works on, and its undo/redo history. Every edit goes through here:
 * it becomes the document's text (so JupyterLab's dirty/save flow sees it) and a history step.
 * A change made elsewhere (the text editor, a revert) becomes a step too.
 */
import * as React from 'react';
import type { ISignal } from '@lumino/signaling';

import { record, replacePresent, startHistory, type HistoryState } from '../core/history';
import type { SourceFormat } from '../core/sourceEdit';
import { errorMessage } from './useExecution';

export type EditorCommand = 'run' | 'layout' | 'undo' | 'redo';

/** What the editor needs from its document widget. */
export interface WorkflowDocumentBridge {
  readonly path: string;
  readonly format: SourceFormat;
  getText(): string;
  setText(text: string): void;
  isDirty(): boolean;
  save(): Promise<void>;
  openAsText(): void;
  readonly contentChanged: ISignal<unknown, void>;
  readonly dirtyChanged: ISignal<unknown, void>;
  readonly resized: ISignal<unknown, void>;
  readonly commands: ISignal<unknown, EditorCommand>;
}

/** Call `handler` on each emission of `signal` while the component is mounted. */
export function useSignal<T>(signal: ISignal<unknown, T>, handler: (value: T) => void): void {
  const latest = React.useRef(handler);
  latest.current = handler;
  React.useEffect(() => {
    const slot = (_: unknown, value: T): void => latest.current(value);
    signal.connect(slot);
    return () => {
      signal.disconnect(slot);
    };
  }, [signal]);
}

export interface DocumentHistory {
  history: HistoryState;
  /** Make `next` the text; edits of one `kind` in quick succession merge into one step. */
  commit: (next: string, kind?: string | null) => void;
  /** Apply a text → text edit; an error (a bad id, a broken file) goes to `onError`. */
  edit: (change: (text: string) => string, kind?: string | null) => void;
  /** Undo or redo. */
  travel: (move: (state: HistoryState) => HistoryState) => void;
}

export function useDocumentHistory(
  doc: WorkflowDocumentBridge,
  onError: (message: string | null) => void
): DocumentHistory {
  // a ref, not state: the document's change signal fires inside setText, before a re-render
  const ref = React.useRef<HistoryState>(startHistory(doc.getText()));
  const [, rerender] = React.useReducer((n: number) => n + 1, 0);

  const commit = React.useCallback(
    (next: string, kind: string | null = null): void => {
      if (next === ref.current.present) {
        return;
      }
      ref.current = record(ref.current, next, kind, Date.now());
      doc.setText(next);
      rerender();
    },
    [doc]
  );

  const edit = React.useCallback(
    (change: (text: string) => string, kind: string | null = null): void => {
      try {
        commit(change(ref.current.present), kind);
        onError(null);
      } catch (error) {
        onError(errorMessage(error));
      }
    },
    [commit, onError]
  );

  const travel = React.useCallback(
    (move: (state: HistoryState) => HistoryState): void => {
      ref.current = move(ref.current);
      doc.setText(ref.current.present);
      rerender();
    },
    [doc]
  );

  useSignal(doc.contentChanged, () => {
    const now = doc.getText();
    if (now !== ref.current.present) {
      ref.current = replacePresent(ref.current, now);
      rerender();
    }
  });

  return { history: ref.current, commit, edit, travel };
}
