/**
 * One parameter of a node: an input generated from its JSON Schema, or an expression (`=`).
 * Every keystroke patches the file; errors (bad JSON, expression syntax, validation problems)
 * show under the field.
 */
import * as React from 'react';

import type { EditorBackend } from '../backend';
import { fieldText, parseFieldInput, type FormField } from '../core/schemaForm';
import { expression, isExpression, isTemplate } from '../core/values';
import { ExpressionError } from './ExpressionError';

export interface ParameterFieldProps {
  backend: EditorBackend;
  nodeId: string;
  field: FormField;
  value: unknown;
  problems: string[];
  onChange: (value: unknown) => void;
}

function canonical(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}

export function ParameterField(props: ParameterFieldProps): React.ReactElement {
  const { field, value, nodeId, backend } = props;
  const testid = `wf-param-${field.name}`;
  const isExpr = isExpression(value);
  const shown = isExpr ? value.$expr : fieldText(field, value);
  const [draft, setDraft] = React.useState(shown);
  const [inputError, setInputError] = React.useState<string | null>(null);

  React.useEffect(() => {
    // take changes made elsewhere (undo, the text editor) unless they only re-format the draft
    if (isExpr) {
      setDraft(current => (current === value.$expr ? current : value.$expr));
      return;
    }
    setDraft(current => {
      const parsed = parseFieldInput(field, current);
      return 'value' in parsed && canonical(parsed.value) === canonical(value)
        ? current
        : fieldText(field, value);
    });
  }, [canonical(value), isExpr]);

  const commit = (raw: string): void => {
    setDraft(raw);
    if (isExpr) {
      props.onChange(expression(raw));
      return;
    }
    const parsed = parseFieldInput(field, raw);
    if ('error' in parsed) {
      setInputError(parsed.error);
      return;
    }
    setInputError(null);
    props.onChange(parsed.value);
  };

  const toggleExpression = (): void => {
    setInputError(null);
    if (isExpr) {
      props.onChange(undefined);
    } else {
      props.onChange(
        expression(
          value === undefined
            ? ''
            : typeof value === 'string'
              ? JSON.stringify(value)
              : canonical(value)
        )
      );
    }
  };

  const label = (
    <label htmlFor={`${nodeId}-${field.name}`}>
      {field.title}
      {field.required && (
        <span className="jp-NebulaWorkflow-required" aria-label="required">
          *
        </span>
      )}
      <button
        type="button"
        aria-pressed={isExpr}
        title={isExpr ? 'Use a literal value' : 'Use an expression ($input, $nodes.<id>.result, …)'}
        onClick={toggleExpression}
        data-testid={`${testid}-mode`}
      >
        =
      </button>
    </label>
  );

  let input: React.ReactElement;
  const common = {
    id: `${nodeId}-${field.name}`,
    'data-testid': testid,
    'aria-describedby': `${nodeId}-${field.name}-help`
  };
  if (isExpr) {
    input = (
      <input
        {...common}
        className="jp-mod-code"
        value={draft}
        placeholder="$nodes.previous.result"
        onChange={event => commit(event.target.value)}
      />
    );
  } else if (field.kind === 'boolean') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === true || (value === undefined && field.default === true)}
        onChange={event => props.onChange(event.target.checked)}
      />
    );
  } else if (field.kind === 'enum') {
    input = (
      <select
        {...common}
        value={value === undefined ? '' : String(value)}
        onChange={event => {
          const picked = field.options.find(option => String(option) === event.target.value);
          props.onChange(event.target.value === '' ? undefined : picked);
        }}
      >
        <option value="">
          {field.default !== undefined ? `default (${String(field.default)})` : '—'}
        </option>
        {field.options.map(option => (
          <option key={String(option)} value={String(option)}>
            {String(option)}
          </option>
        ))}
      </select>
    );
  } else if (field.kind === 'json' || field.kind === 'any') {
    input = (
      <textarea
        {...common}
        rows={Math.min(8, Math.max(2, draft.split('\n').length))}
        value={draft}
        placeholder={
          field.default !== undefined
            ? JSON.stringify(field.default)
            : field.kind === 'any'
              ? 'text or JSON'
              : 'JSON'
        }
        onChange={event => commit(event.target.value)}
      />
    );
  } else {
    input = (
      <input
        {...common}
        type={field.kind === 'string' ? 'text' : 'number'}
        min={field.minimum}
        max={field.maximum}
        step={field.kind === 'integer' ? 1 : 'any'}
        value={draft}
        placeholder={
          field.default !== undefined && field.default !== null ? String(field.default) : ''
        }
        onChange={event => commit(event.target.value)}
      />
    );
  }

  return (
    <div
      className={`jp-NebulaWorkflow-field${isExpr ? ' jp-mod-expression' : ''}`}
      data-testid={`${testid}-field`}
    >
      {label}
      {input}
      {field.description && (
        <span id={`${nodeId}-${field.name}-help`} className="jp-NebulaWorkflow-muted">
          {field.description}
        </span>
      )}
      {inputError !== null && <span className="jp-NebulaWorkflow-error">{inputError}</span>}
      {isExpr && (
        <ExpressionError
          backend={backend}
          text={draft}
          mode="expression"
          testid={`${testid}-error`}
        />
      )}
      {!isExpr && isTemplate(value) && (
        <ExpressionError
          backend={backend}
          text={value}
          mode="template"
          testid={`${testid}-error`}
        />
      )}
      {props.problems.map(problem => (
        <span key={problem} className="jp-NebulaWorkflow-error">
          {problem}
        </span>
      ))}
    </div>
  );
}
