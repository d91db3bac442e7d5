/** The properties panel: the selected node's fields and parameters, or a connection's condition. */
import * as React from 'react';

import type { ActionSpec, EditorBackend } from '../backend';
import type { GraphConnection, GraphNode } from '../core/graph';
import { fieldProblems, type PlacedProblem } from '../core/problems';
import { formFields, type FormField } from '../core/schemaForm';
import { ExpressionError } from './ExpressionError';
import { ParameterField } from './ParameterField';

export interface NodeEdits {
  rename: (from: string, to: string) => void;
  setParameter: (nodeId: string, name: string, value: unknown) => void;
  setField: (nodeId: string, field: string, value: unknown) => void;
  setCondition: (index: number, condition: string | null) => void;
  removeConnection: (index: number) => void;
  removeNode: (nodeId: string) => void;
}

function jsonField(name: string): FormField {
  return {
    name,
    title: name,
    description: '',
    kind: 'json',
    required: false,
    nullable: true,
    options: [],
    default: undefined
  };
}

function NodeId(props: { node: GraphNode; onRename: (to: string) => void }): React.ReactElement {
  const [draft, setDraft] = React.useState(props.node.id);
  React.useEffect(() => setDraft(props.node.id), [props.node.id]);
  const done = (): void => {
    if (draft !== props.node.id) {
      props.onRename(draft.trim());
    }
  };
  return (
    <div className="jp-NebulaWorkflow-field">
      <label htmlFor="wf-node-id">Id</label>
      <input
        id="wf-node-id"
        value={draft}
        data-testid="wf-prop-id"
        onChange={event => setDraft(event.target.value)}
        onBlur={done}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            done();
          } else if (event.key === 'Escape') {
            setDraft(props.node.id);
          }
        }}
      />
    </div>
  );
}

function NumberField(props: {
  label: string;
  testid: string;
  value: unknown;
  integer?: boolean;
  onChange: (value: number | undefined) => void;
}): React.ReactElement {
  return (
    <div className="jp-NebulaWorkflow-field">
      <label htmlFor={props.testid}>{props.label}</label>
      <input
        id={props.testid}
        type="number"
        min={props.integer ? 1 : 0}
        step={props.integer ? 1 : 'any'}
        data-testid={props.testid}
        value={typeof props.value === 'number' ? props.value : ''}
        onChange={event => {
          const raw = event.target.value;
          const number = Number(raw);
          if (raw === '') {
            props.onChange(undefined);
          } else if (Number.isFinite(number) && number > 0) {
            props.onChange(props.integer ? Math.round(number) : number);
          }
        }}
      />
    </div>
  );
}

export function NodeProperties(props: {
  backend: EditorBackend;
  node: GraphNode;
  raw: Record<string, unknown>;
  action: ActionSpec | undefined;
  problems: PlacedProblem[];
  edits: NodeEdits;
}): React.ReactElement {
  const { node, action, edits, raw } = props;
  const schemaFields = action ? formFields(action.input_schema) : [];
  const known = new Set(schemaFields.map(field => field.name));
  const fields = [
    ...schemaFields,
    ...Object.keys(node.parameters)
      .filter(name => !known.has(name))
      .map(jsonField)
  ];
  const retry =
    typeof raw.retry === 'object' && raw.retry !== null
      ? (raw.retry as Record<string, unknown>)
      : {};
  const nodeProblems = props.problems.filter(
    p => p.nodeId === node.id && (p.field === null || !p.field.startsWith('parameters.'))
  );
  return (
    <div data-testid="wf-properties-node">
      <div className="jp-NebulaWorkflow-section">Node</div>
      <NodeId node={node} onRename={to => edits.rename(node.id, to)} />
      <div className="jp-NebulaWorkflow-field">
        <label>Action</label>
        <span className="jp-mod-code" data-testid="wf-prop-action">
          {node.action}
          {node.version !== '1' ? ` @${node.version}` : ''}
        </span>
        <span className="jp-NebulaWorkflow-muted">
          {action ? action.description : 'This action is not registered on the server.'}
        </span>
      </div>
      <div className="jp-NebulaWorkflow-field">
        <label htmlFor="wf-prop-description">Description</label>
        <input
          id="wf-prop-description"
          data-testid="wf-prop-description"
          value={node.description}
          onChange={event => edits.setField(node.id, 'description', event.target.value)}
        />
      </div>
      {nodeProblems.map(problem => (
        <span key={`${problem.field}:${problem.message}`} className="jp-NebulaWorkflow-error">
          {problem.field ? `${problem.field}: ` : ''}
          {problem.message}
        </span>
      ))}
      <div className="jp-NebulaWorkflow-section">Parameters</div>
      {fields.length === 0 && (
        <span className="jp-NebulaWorkflow-muted">This action takes no parameters.</span>
      )}
      {fields.map(field => (
        <ParameterField
          key={`${node.id}:${field.name}`}
          backend={props.backend}
          nodeId={node.id}
          field={field}
          value={node.parameters[field.name]}
          problems={fieldProblems(props.problems, node.id, `parameters.${field.name}`).map(
            p => p.message
          )}
          onChange={value => edits.setParameter(node.id, field.name, value)}
        />
      ))}
      <div className="jp-NebulaWorkflow-section">Resilience</div>
      <NumberField
        label="Attempts (retry.max_attempts)"
        testid="wf-prop-retry"
        integer
        value={retry.max_attempts}
        onChange={value => {
          const next: Record<string, unknown> = { ...retry, max_attempts: value };
          if (value === undefined) {
            delete next.max_attempts;
          }
          edits.setField(node.id, 'retry', Object.keys(next).length > 0 ? next : undefined);
        }}
      />
      <NumberField
        label="Timeout per attempt (s)"
        testid="wf-prop-timeout"
        value={raw.timeout_s}
        onChange={value => edits.setField(node.id, 'timeout_s', value)}
      />
      <button
        type="button"
        className="jp-mod-warn"
        onClick={() => edits.removeNode(node.id)}
        data-testid="wf-prop-delete"
      >
        Delete node
      </button>
    </div>
  );
}

export function ConnectionProperties(props: {
  backend: EditorBackend;
  connection: GraphConnection;
  problems: PlacedProblem[];
  edits: NodeEdits;
}): React.ReactElement {
  const { connection, edits } = props;
  const [draft, setDraft] = React.useState(connection.condition ?? '');
  React.useEffect(
    () => setDraft(connection.condition ?? ''),
    [connection.condition, connection.index]
  );
  return (
    <div data-testid="wf-properties-connection">
      <div className="jp-NebulaWorkflow-section">Connection</div>
      <div className="jp-NebulaWorkflow-field">
        <label>From → to</label>
        <span>
          {connection.from} → {connection.to}
        </span>
      </div>
      <div className="jp-NebulaWorkflow-field jp-mod-expression">
        <label htmlFor="wf-prop-condition">Condition (an expression; empty: always)</label>
        <input
          id="wf-prop-condition"
          className="jp-mod-code"
          data-testid="wf-prop-condition"
          placeholder="$nodes.previous.result.ok"
          value={draft}
          onChange={event => {
            setDraft(event.target.value);
            edits.setCondition(
              connection.index,
              event.target.value === '' ? null : event.target.value
            );
          }}
        />
        <ExpressionError
          backend={props.backend}
          text={draft}
          mode="expression"
          testid="wf-prop-condition-error"
        />
        {props.problems
          .filter(p => p.connection === connection.index)
          .map(p => (
            <span key={p.message} className="jp-NebulaWorkflow-error">
              {p.message}
            </span>
          ))}
      </div>
      <button
        type="button"
        className="jp-mod-warn"
        onClick={() => edits.removeConnection(connection.index)}
        data-testid="wf-prop-delete-connection"
      >
        Delete connection
      </button>
    </div>
  );
}
