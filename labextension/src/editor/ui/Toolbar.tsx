/** The editor's toolbar: history, layout, text view, recent runs, the run overlay's controls. */
import * as React from 'react';

import { TERMINAL_STATUSES } from '../core/execution';
import type { LayoutDirection } from '../core/layout';
import type { ExecutionOverlay } from './useExecution';

export interface ToolbarProps {
  title: string;
  canUndo: boolean;
  canRedo: boolean;
  empty: boolean;
  direction: LayoutDirection;
  execution: ExecutionOverlay;
  runDisabled: boolean;
  runTitle: string;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onDirection: (direction: LayoutDirection) => void;
  onOpenText: () => void;
  onRun: () => void;
}

export function Toolbar(props: ToolbarProps): React.ReactElement {
  const { execution } = props;
  const run = execution.run;
  return (
    <div className="jp-NebulaWorkflow-toolbar" role="toolbar" aria-label="Workflow">
      <span className="jp-NebulaWorkflow-title" data-testid="wf-title">
        {props.title}
      </span>
      <button
        type="button"
        onClick={props.onUndo}
        disabled={!props.canUndo}
        title="Undo (Ctrl+Z)"
        data-testid="wf-undo"
      >
        Undo
      </button>
      <button
        type="button"
        onClick={props.onRedo}
        disabled={!props.canRedo}
        title="Redo (Ctrl+Shift+Z)"
        data-testid="wf-redo"
      >
        Redo
      </button>
      <button
        type="button"
        onClick={props.onLayout}
        disabled={props.empty}
        title="Arrange the nodes automatically"
        data-testid="wf-layout"
      >
        Arrange
      </button>
      <select
        aria-label="Layout direction"
        value={props.direction}
        onChange={event => props.onDirection(event.target.value as LayoutDirection)}
        data-testid="wf-direction"
      >
        <option value="TB">Top to bottom</option>
        <option value="LR">Left to right</option>
      </select>
      <button
        type="button"
        onClick={props.onOpenText}
        title="Open this file in the text editor"
        data-testid="wf-open-text"
      >
        Edit as text
      </button>
      <span className="jp-NebulaWorkflow-spacer" />
      <select
        aria-label="Recent runs"
        value={run?.id ?? ''}
        onFocus={execution.refreshRecent}
        onChange={event => {
          const picked = execution.recent.find(run => run.id === event.target.value);
          if (picked !== undefined) {
            void execution.open(picked.star, picked.id);
          } else {
            execution.close();
          }
        }}
        data-testid="wf-recent-runs"
      >
        <option value="">{execution.recent.length > 0 ? 'Recent runs…' : 'No runs yet'}</option>
        {execution.recent.map(run => (
          <option key={run.id} value={run.id}>
            {new Date(run.created_at).toLocaleTimeString()} · {run.status}
          </option>
        ))}
      </select>
      {run !== null && (
        <>
          <span
            className="jp-NebulaWorkflow-run"
            data-status={run.status}
            data-testid="wf-run-status"
          >
            {run.status}
          </span>
          <button
            type="button"
            onClick={() => void execution.control('cancel')}
            disabled={TERMINAL_STATUSES.has(run.status)}
            data-testid="wf-run-cancel"
          >
            Cancel
          </button>
          <button
            type="button"
            onClick={() => void execution.control('resume')}
            disabled={run.status === 'completed'}
            data-testid="wf-run-resume"
          >
            Resume
          </button>
          <button
            type="button"
            onClick={execution.close}
            title="Hide the run overlay"
            data-testid="wf-run-close"
          >
            Close run
          </button>
        </>
      )}
      <button
        type="button"
        className="jp-mod-accept"
        onClick={props.onRun}
        disabled={props.runDisabled}
        title={props.runTitle}
        data-testid="wf-run"
      >
        Run
      </button>
    </div>
  );
}
