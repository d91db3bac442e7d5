/**
 * What the live overlay shows on each node, from an execution's detail (`GET S/executions/{id}`)
 * and then from each journal entry the gateway pushes.
 */
import type { JournalEntryOut, NodeDetailOut } from '../../generated/models';

export type NodeRunState =
  'queued' | 'running' | 'retrying' | 'done' | 'failed' | 'skipped' | 'cancelled';

export interface NodeRun {
  state: NodeRunState;
  attempts: number;
  failures: number;
  durationMs: number | null;
  error: string | null;
}

export type JournalEntry = JournalEntryOut;
export type NodeDetail = NodeDetailOut;

export type RunStates = ReadonlyMap<string, NodeRun>;

const EMPTY_RUN: NodeRun = {
  state: 'queued',
  attempts: 0,
  failures: 0,
  durationMs: null,
  error: null
};

export function errorText(error: unknown): string | null {
  if (error === null || error === undefined) {
    return null;
  }
  if (typeof error === 'string') {
    return error;
  }
  const record = error as Record<string, unknown>;
  if (typeof record.message === 'string') {
    return typeof record.code === 'string' ? `${record.code}: ${record.message}` : record.message;
  }
  return JSON.stringify(error);
}

/** The contract's label mapping: pending→queued, running with failures→retrying, completed→done. */
export function stateOf(status: NodeDetail['status'], failures: number): NodeRunState {
  switch (status) {
    case 'pending':
      return 'queued';
    case 'running':
      return failures > 0 ? 'retrying' : 'running';
    case 'completed':
      return 'done';
    default:
      return status;
  }
}

export function statesFromDetail(nodes: Record<string, NodeDetail>): Map<string, NodeRun> {
  const out = new Map<string, NodeRun>();
  for (const [id, node] of Object.entries(nodes)) {
    out.set(id, {
      state: stateOf(node.status, node.failures),
      attempts: node.attempts,
      failures: node.failures,
      durationMs: node.duration_ms,
      error: errorText(node.error)
    });
  }
  return out;
}

function seconds(body: Record<string, unknown>): number | null {
  return typeof body.duration_s === 'number' ? Math.round(body.duration_s * 1000) : null;
}

/** The node states after one journal entry. Entries without a node leave them unchanged. */
export function applyEntry(states: RunStates, entry: JournalEntry): Map<string, NodeRun> {
  const out = new Map(states);
  const id = entry.node_id;
  if (id === null) {
    if (entry.kind === 'execution_started') {
      const plan = entry.body.plan as { nodes?: Array<{ id: string }> } | undefined;
      for (const node of plan?.nodes ?? []) {
        if (!out.has(node.id)) {
          out.set(node.id, EMPTY_RUN);
        }
      }
    }
    return out;
  }
  const run = out.get(id) ?? EMPTY_RUN;
  switch (entry.kind) {
    case 'attempt_started':
      out.set(id, {
        ...run,
        state: run.failures > 0 ? 'retrying' : 'running',
        attempts: Math.max(run.attempts, entry.attempt ?? run.attempts + 1)
      });
      break;
    case 'attempt_completed':
      out.set(id, { ...run, state: 'done', durationMs: seconds(entry.body), error: null });
      break;
    case 'attempt_failed': {
      const retry = entry.body.will_retry === true;
      out.set(id, {
        ...run,
        state: retry ? 'retrying' : 'failed',
        failures: run.failures + 1,
        durationMs: seconds(entry.body),
        error: errorText(entry.body.error)
      });
      break;
    }
    case 'node_skipped':
      out.set(id, { ...run, state: 'skipped' });
      break;
    default:
      break;
  }
  return out;
}

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

/**
 * The node states to show once the execution has ended: a node that was still waiting will
 * not run (skipped), and one that was running was cut off (cancelled, or failed with its run).
 */
export function settle(states: RunStates, status: string): RunStates {
  if (!TERMINAL_STATUSES.has(status) || status === 'completed') {
    return states;
  }
  const out = new Map(states);
  for (const [id, run] of states) {
    if (run.state === 'queued') {
      out.set(id, { ...run, state: 'skipped' });
    } else if (run.state === 'running' || run.state === 'retrying') {
      out.set(id, { ...run, state: status === 'cancelled' ? 'cancelled' : 'failed' });
    }
  }
  return out;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return '';
  }
  if (ms < 10) {
    return `${Number(ms.toFixed(2))} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  if (ms < 60_000) {
    return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  }
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
