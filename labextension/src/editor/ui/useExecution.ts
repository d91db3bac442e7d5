/**
 * The live execution overlay's state: one execution's node states, journal and detail, kept
 * current by the gateway's `executions` topic; plus the workflow's recent executions.
 */
import * as React from 'react';

import type { Disposable, EditorBackend, ExecutionDetail, ExecutionSummary } from '../backend';
import {
  applyEntry,
  statesFromDetail,
  TERMINAL_STATUSES,
  type JournalEntry,
  type NodeRun
} from '../core/execution';

export const RECENT_LIMIT = 10;

export interface RunState {
  star: string;
  id: string;
  status: string;
  states: Map<string, NodeRun>;
  detail: ExecutionDetail | null;
  journal: JournalEntry[];
  lastSeq: number;
  note: string | null;
}

export interface ExecutionOverlay {
  run: RunState | null;
  recent: ExecutionSummary[];
  busy: boolean;
  error: string | null;
  refreshRecent: () => void;
  /** Re-read the open execution's detail and journal. */
  refresh: () => void;
  open: (star: string, id: string) => Promise<void>;
  close: () => void;
  /** Start a run of the file `prepare` returns (after saving it); false when it failed. */
  start: (prepare: () => Promise<string>, input: unknown) => Promise<boolean>;
  control: (what: 'cancel' | 'resume') => Promise<void>;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useExecution(backend: EditorBackend, workflowId: string): ExecutionOverlay {
  const [run, setRun] = React.useState<RunState | null>(null);
  const [recent, setRecent] = React.useState<ExecutionSummary[]>([]);
  const [busy, setBusy] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const subscription = React.useRef<Disposable | null>(null);

  const refreshRecent = React.useCallback(() => {
    if (!workflowId) {
      return;
    }
    backend
      .defaultStar()
      .then(star => backend.executions(star, workflowId, RECENT_LIMIT))
      .then(setRecent, () => setRecent([]));
  }, [backend, workflowId]);
  React.useEffect(refreshRecent, [refreshRecent]);

  const loadDetail = React.useCallback(
    async (star: string, id: string) => {
      const [detail, journal] = await Promise.all([
        backend.execution(star, id),
        backend.journal(star, id)
      ]);
      setRun(current => {
        if (current === null || current.id !== id) {
          return current;
        }
        const seen = new Set(journal.map(entry => entry.seq));
        const merged = [...journal, ...current.journal.filter(entry => !seen.has(entry.seq))];
        const states = new Map(current.states);
        for (const [node, run] of statesFromDetail(detail.nodes)) {
          states.set(node, run);
        }
        for (const node of detail.plan.nodes) {
          if (!states.has(node.id)) {
            states.set(node.id, {
              state: 'queued',
              attempts: 0,
              failures: 0,
              durationMs: null,
              error: null
            });
          }
        }
        return {
          ...current,
          detail,
          status: detail.execution.status,
          states,
          journal: merged,
          lastSeq: Math.max(current.lastSeq, ...journal.map(entry => entry.seq))
        };
      });
      return journal;
    },
    [backend]
  );

  const openExecution = React.useCallback(
    async (star: string, id: string) => {
      subscription.current?.dispose();
      setRun({
        star,
        id,
        status: 'running',
        states: new Map(),
        detail: null,
        journal: [],
        lastSeq: 0,
        note: null
      });
      // subscribe first, then read: nothing committed in between is missed (entries dedupe by seq)
      subscription.current = backend.watchExecution(
        star,
        id,
        event => {
          setRun(current => {
            if (
              current === null ||
              current.id !== event.execution_id ||
              event.entry.seq <= current.lastSeq
            ) {
              return current;
            }
            return {
              ...current,
              status: event.status,
              states: applyEntry(current.states, event.entry),
              journal: [...current.journal, event.entry],
              lastSeq: event.entry.seq
            };
          });
          if (TERMINAL_STATUSES.has(event.status)) {
            void loadDetail(star, id).catch(() => undefined);
            refreshRecent();
          }
        },
        (note, reread) => {
          setRun(current =>
            current === null || current.id !== id
              ? current
              : { ...current, note: reread ? null : note }
          );
          if (reread) {
            void loadDetail(star, id).catch(() => undefined);
          }
        }
      );
      try {
        await loadDetail(star, id);
      } catch (error) {
        setRun(current =>
          current === null || current.id !== id
            ? current
            : { ...current, note: errorMessage(error) }
        );
      }
    },
    [backend, loadDetail, refreshRecent]
  );

  React.useEffect(() => () => subscription.current?.dispose(), []);

  const close = React.useCallback(() => {
    subscription.current?.dispose();
    subscription.current = null;
    setRun(null);
  }, []);

  const start = async (prepare: () => Promise<string>, input: unknown): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      const path = await prepare();
      const star = await backend.defaultStar();
      const summary = await backend.startExecution(star, path, input);
      refreshRecent();
      await openExecution(star, summary.id);
      return true;
    } catch (caught) {
      setError(errorMessage(caught));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const control = async (what: 'cancel' | 'resume'): Promise<void> => {
    if (run === null) {
      return;
    }
    try {
      const summary = await (what === 'cancel'
        ? backend.cancel(run.star, run.id)
        : backend.resume(run.star, run.id));
      setRun(current => (current === null ? current : { ...current, status: summary.status }));
    } catch (caught) {
      setRun(current => (current === null ? current : { ...current, note: errorMessage(caught) }));
    }
  };

  const refresh = (): void => {
    if (run !== null) {
      void loadDetail(run.star, run.id).catch(() => undefined);
    }
  };

  return {
    run,
    recent,
    busy,
    error,
    refreshRecent,
    refresh,
    open: openExecution,
    close,
    start,
    control
  };
}
