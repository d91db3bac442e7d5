import { describe, expect, it } from 'vitest';

import {
  applyEntry,
  formatDuration,
  settle,
  stateOf,
  statesFromDetail,
  type JournalEntry,
  type NodeRun
} from './execution';

const entry = (
  seq: number,
  kind: string,
  node: string | null,
  body: Record<string, unknown> = {},
  attempt: number | null = 1
): JournalEntry => ({
  seq,
  kind,
  node_id: node,
  attempt,
  written_at: '2026-01-01T00:00:00Z',
  body
});

describe('execution overlay states', () => {
  it('follows the contract label mapping', () => {
    expect(stateOf('pending', 0)).toBe('queued');
    expect(stateOf('running', 0)).toBe('running');
    expect(stateOf('running', 1)).toBe('retrying');
    expect(stateOf('completed', 0)).toBe('done');
    expect(stateOf('skipped', 0)).toBe('skipped');
  });

  it('reads the detail endpoint', () => {
    const states = statesFromDetail({
      a: {
        status: 'failed',
        attempts: 2,
        failures: 2,
        started_at: null,
        finished_at: null,
        duration_ms: 12,
        input: {},
        output: null,
        error: { code: 'boom', message: 'it broke' },
        omitted: []
      }
    });
    expect(states.get('a')).toEqual({
      state: 'failed',
      attempts: 2,
      failures: 2,
      durationMs: 12,
      error: 'boom: it broke'
    });
  });

  it('replays journal entries into node states', () => {
    let states = applyEntry(
      new Map(),
      entry(1, 'execution_started', null, {
        plan: { nodes: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] }
      })
    );
    expect([...states.values()].map(s => s.state)).toEqual(['queued', 'queued', 'queued']);
    states = applyEntry(states, entry(2, 'attempt_started', 'a'));
    expect(states.get('a')?.state).toBe('running');
    states = applyEntry(
      states,
      entry(3, 'attempt_failed', 'a', {
        will_retry: true,
        error: { message: 'x' },
        duration_s: 0.01
      })
    );
    expect(states.get('a')?.state).toBe('retrying');
    states = applyEntry(states, entry(4, 'attempt_started', 'a', {}, 2));
    expect(states.get('a')).toMatchObject({ state: 'retrying', attempts: 2 });
    states = applyEntry(states, entry(5, 'attempt_completed', 'a', { duration_s: 0.25 }, 2));
    states = applyEntry(states, entry(6, 'node_skipped', 'b'));
    states = applyEntry(
      states,
      entry(7, 'attempt_failed', 'c', { will_retry: false, error: 'no' })
    );
    expect([...states.entries()].map(([id, s]) => [id, s.state, s.durationMs])).toEqual([
      ['a', 'done', 250],
      ['b', 'skipped', null],
      ['c', 'failed', null]
    ]);
    expect(states.get('c')?.error).toBe('no');
  });

  it('settles unfinished nodes once the execution has ended', () => {
    const run = (state: NodeRun['state']): NodeRun => ({
      state,
      attempts: 1,
      failures: 0,
      durationMs: null,
      error: null
    });
    const states = new Map([
      ['a', run('done')],
      ['b', run('running')],
      ['c', run('queued')]
    ]);
    const shown = (status: string): string[] =>
      [...settle(states, status).values()].map(r => r.state);
    expect(shown('running')).toEqual(['done', 'running', 'queued']);
    expect(shown('cancelled')).toEqual(['done', 'cancelled', 'skipped']);
    expect(shown('failed')).toEqual(['done', 'failed', 'skipped']);
    expect(settle(states, 'completed')).toBe(states);
  });

  it('formats durations', () => {
    expect([
      formatDuration(null),
      formatDuration(0.123),
      formatDuration(12.4),
      formatDuration(2500),
      formatDuration(61_000)
    ]).toEqual(['', '0.12 ms', '12 ms', '2.50 s', '1 min 1 s']);
  });
});
