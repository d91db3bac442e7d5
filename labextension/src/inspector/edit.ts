/** The inspector's pure logic: reading the edited text and describing snapshots. */
import type { ResourceOut } from '../generated/models';

export type Parsed = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

/** The edited text as a resource value (a JSON object), or what is wrong with it. */
export function parseValue(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'A resource value is a JSON object ({ ... }).' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

export interface IFieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

/** What one snapshot changed: each field of `_PreviousValues` with its old and new value. */
export function snapshotChanges(snapshot: ResourceOut): IFieldChange[] {
  return Object.entries(snapshot.previous_values).map(([field, old]) => ({
    field,
    old,
    new: snapshot.value[field]
  }));
}

/** The index of the snapshot valid at `at` (ISO), or -1 if none was. */
export function snapshotAt(snapshots: ResourceOut[], at: string): number {
  const t = Date.parse(at);
  return snapshots.findIndex(s => Date.parse(s.valid_from) <= t && t < Date.parse(s.valid_to));
}
