/** The run dialog (input JSON) and the per-node run details of the live overlay. */
import * as React from 'react';

import type { ExecutionDetail } from '../backend';
import { errorText, formatDuration, stateOf, type JournalEntry } from '../core/execution';

export function RunDialog(props: {
  initial: string;
  busy: boolean;
  error: string | null;
  onRun: (input: unknown, raw: string) => void;
  onClose: () => void;
}): React.ReactElement {
  const [raw, setRaw] = React.useState(props.initial);
  const [error, setError] = React.useState<string | null>(null);
  const start = (): void => {
    try {
      const input: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        setError('The input is a JSON object, e.g. {"name": "Ada"}.');
        return;
      }
      setError(null);
      props.onRun(input, raw);
    } catch (caught) {
      setError(`Not valid JSON: ${(caught as Error).message}`);
    }
  };
  return (
    <div
      className="jp-NebulaWorkflow-dialog"
      role="dialog"
      aria-label="Run workflow"
      data-testid="wf-run-dialog"
      onKeyDown={event => {
        if (event.key === 'Escape') {
          props.onClose();
        } else if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          start();
        }
        event.stopPropagation();
      }}
    >
      <label htmlFor="wf-run-input">Input ($input), as JSON</label>
      <textarea
        id="wf-run-input"
        autoFocus
        value={raw}
        onChange={event => setRaw(event.target.value)}
        data-testid="wf-run-input"
      />
      {(error ?? props.error) !== null && (
        <span className="jp-NebulaWorkflow-error">{error ?? props.error}</span>
      )}
      <footer>
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="jp-mod-accept"
          disabled={props.busy}
          onClick={start}
          data-testid="wf-run-start"
        >
          Run
        </button>
      </footer>
    </div>
  );
}

function Json(props: { value: unknown; testid: string }): React.ReactElement {
  return (
    <pre data-testid={props.testid}>
      {props.value === undefined ? '—' : JSON.stringify(props.value, null, 2)}
    </pre>
  );
}

export function NodeRunDetails(props: {
  nodeId: string;
  detail: ExecutionDetail | null;
  journal: JournalEntry[];
}): React.ReactElement {
  const node = props.detail?.nodes[props.nodeId];
  const entries = props.journal.filter(entry => entry.node_id === props.nodeId);
  return (
    <div data-testid="wf-run-details">
      <div className="jp-NebulaWorkflow-section">Run of {props.nodeId}</div>
      {node === undefined ? (
        <span className="jp-NebulaWorkflow-muted">This node has not run (yet).</span>
      ) : (
        <>
          <span data-testid="wf-run-details-state">
            {stateOf(node.status, node.failures)} · {node.attempts}{' '}
            {node.attempts === 1 ? 'attempt' : 'attempts'}
            {node.duration_ms !== null ? ` · ${formatDuration(node.duration_ms)}` : ''}
          </span>
          <div className="jp-NebulaWorkflow-section">Attempts</div>
          <ol className="jp-NebulaWorkflow-attempts" data-testid="wf-run-attempts">
            {entries.map(entry => (
              <li key={entry.seq}>
                #{entry.attempt ?? '—'} {entry.kind.replace(/_/g, ' ')}
                {typeof entry.body.duration_s === 'number'
                  ? ` · ${formatDuration(entry.body.duration_s * 1000)}`
                  : ''}
                {entry.body.error !== undefined ? ` · ${errorText(entry.body.error) ?? ''}` : ''}
              </li>
            ))}
          </ol>
          <div className="jp-NebulaWorkflow-section">Resolved inputs</div>
          <Json value={node.input} testid="wf-run-input-value" />
          <div className="jp-NebulaWorkflow-section">Output</div>
          <Json value={node.output} testid="wf-run-output" />
          {node.error !== null && node.error !== undefined && (
            <>
              <div className="jp-NebulaWorkflow-section">Error</div>
              <span className="jp-NebulaWorkflow-error" data-testid="wf-run-error">
                {errorText(node.error)}
              </span>
            </>
          )}
        </>
      )}
    </div>
  );
}

/** The open execution as a whole: its input, result or error, and the journal as a timeline. */
export function RunSummary(props: {
  id: string;
  status: string;
  detail: ExecutionDetail | null;
  journal: JournalEntry[];
}): React.ReactElement {
  const { detail } = props;
  return (
    <div data-testid="wf-run-summary">
      <div className="jp-NebulaWorkflow-section">Run</div>
      <span className="jp-NebulaWorkflow-muted" title={props.id}>
        {props.id.slice(0, 12)} · {props.status}
      </span>
      <div className="jp-NebulaWorkflow-section">Input</div>
      <Json value={detail?.input} testid="wf-run-summary-input" />
      {detail?.result !== null && detail?.result !== undefined && (
        <>
          <div className="jp-NebulaWorkflow-section">Result</div>
          <Json value={detail.result} testid="wf-run-summary-result" />
        </>
      )}
      {detail?.error !== null && detail?.error !== undefined && (
        <>
          <div className="jp-NebulaWorkflow-section">Error</div>
          <span className="jp-NebulaWorkflow-error">{errorText(detail.error)}</span>
        </>
      )}
      <div className="jp-NebulaWorkflow-section">Journal</div>
      <ul className="jp-NebulaWorkflow-journal" data-testid="wf-run-journal">
        {props.journal.map(entry => (
          <li key={entry.seq}>
            <span className="jp-NebulaWorkflow-muted">{entry.seq}</span>
            {entry.kind.replace(/_/g, ' ')}
            {entry.node_id !== null ? ` · ${entry.node_id}` : ''}
            {entry.attempt !== null && entry.node_id !== null ? ` #${entry.attempt}` : ''}
            {typeof entry.body.duration_s === 'number'
              ? ` · ${formatDuration(entry.body.duration_s * 1000)}`
              : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}
