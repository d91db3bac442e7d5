/** The action palette: search, then drag an action onto the canvas (or press Enter on it). */
import * as React from 'react';

import type { ActionSpec } from '../backend';

export const ACTION_MIME = 'application/x-nebula-action';

export interface PaletteProps {
  actions: ActionSpec[] | null;
  error: string | null;
  onAdd: (action: ActionSpec) => void;
}

export function Palette({ actions, error, onAdd }: PaletteProps): React.ReactElement {
  const [query, setQuery] = React.useState('');
  const needle = query.trim().toLowerCase();
  const shown = (actions ?? []).filter(
    action =>
      needle === '' ||
      action.id.toLowerCase().includes(needle) ||
      action.description.toLowerCase().includes(needle)
  );
  return (
    <aside className="jp-NebulaWorkflow-palette" aria-label="Actions" data-testid="wf-palette">
      <input
        type="search"
        placeholder="Search actions"
        aria-label="Search actions"
        value={query}
        onChange={event => setQuery(event.target.value)}
        data-testid="wf-palette-search"
      />
      {actions === null && error === null && (
        <span className="jp-NebulaWorkflow-muted">Loading actions…</span>
      )}
      {error !== null && <span className="jp-NebulaWorkflow-error">{error}</span>}
      {shown.map(action => (
        <div
          key={`${action.id}@${action.version}`}
          className="jp-NebulaWorkflow-paletteItem"
          role="button"
          tabIndex={0}
          draggable
          title={`${action.description}\nDrag onto the canvas, or press Enter to add.`}
          data-testid={`wf-palette-item-${action.id}`}
          onDragStart={event => {
            event.dataTransfer.setData(
              ACTION_MIME,
              JSON.stringify({ id: action.id, version: action.version })
            );
            event.dataTransfer.effectAllowed = 'copy';
          }}
          onDoubleClick={() => onAdd(action)}
          onKeyDown={event => {
            if (event.key === 'Enter' || event.key === ' ') {
              event.preventDefault();
              onAdd(action);
            }
          }}
        >
          {action.id}
          {action.version !== '1' && <small>version {action.version}</small>}
          <small>{action.description}</small>
        </div>
      ))}
      {actions !== null && shown.length === 0 && (
        <span className="jp-NebulaWorkflow-muted">No action matches.</span>
      )}
    </aside>
  );
}
