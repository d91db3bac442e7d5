import { describe, expect, it } from 'vitest';

import type { ResourceOut } from '../generated/models';
import { parseValue, snapshotAt, snapshotChanges } from './edit';

function snapshot(
  n: number,
  from: string,
  to: string,
  value: Record<string, unknown>,
  previous: Record<string, unknown> = {}
): ResourceOut {
  return {
    star: 's',
    type: 'T',
    id: 'a',
    value,
    etag: `e${n}`,
    snapshot_number: n,
    valid_from: from,
    valid_to: to,
    previous_values: previous,
    changed_by: 'u',
    schema_version: 1
  };
}

describe('inspector edits', () => {
  it('accepts a JSON object and explains anything else', () => {
    expect(parseValue('{"a": 1}')).toEqual({ ok: true, value: { a: 1 } });
    const broken = parseValue('{"a": }');
    expect(broken.ok).toBe(false);
    expect(!broken.ok && broken.error).toMatch(/^Not valid JSON/);
    expect(parseValue('[1]')).toEqual({
      ok: false,
      error: 'A resource value is a JSON object ({ ... }).'
    });
  });

  it('lists what a snapshot changed, old and new', () => {
    const s = snapshot(
      2,
      '2024-01-02T00:00:00Z',
      '9999-01-01T00:00:00Z',
      { status: 'done', n: 2 },
      { status: 'open', extra: null }
    );
    expect(snapshotChanges(s)).toEqual([
      { field: 'status', old: 'open', new: 'done' },
      { field: 'extra', old: null, new: undefined }
    ]);
  });

  it('finds the snapshot valid at a time', () => {
    const history = [
      snapshot(1, '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', {}),
      snapshot(2, '2024-01-02T00:00:00Z', '9999-01-01T00:00:00Z', {})
    ];
    expect(snapshotAt(history, '2024-01-01T12:00:00Z')).toBe(0);
    expect(snapshotAt(history, '2024-01-02T00:00:00Z')).toBe(1);
    expect(snapshotAt(history, '2023-12-31T00:00:00Z')).toBe(-1);
  });
});
