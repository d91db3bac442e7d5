/**
 * A debounced server-side check of an expression or template, shown inline: its syntax, and
 * its `$nodes.<id>` references against the workflow's node ids.
 */
import * as React from 'react';

import type { EditorBackend } from '../backend';
import { useDebounced } from './useDebounced';

export const CHECK_DELAY_MS = 300;

/** The ids of the workflow's nodes, for the checks below the editor. */
export const WorkflowNodeIds = React.createContext<readonly string[] | null>(null);

export function useExpressionCheck(
  backend: EditorBackend,
  text: string | null,
  mode: 'expression' | 'template'
): string | null {
  const nodes = React.useContext(WorkflowNodeIds);
  const nodesKey = nodes === null ? null : nodes.join('\n');
  const settled = useDebounced(text, CHECK_DELAY_MS);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (settled === null || settled.trim() === '') {
      setError(null);
      return;
    }
    let live = true;
    const known = nodesKey === null ? null : nodesKey.split('\n').filter(Boolean);
    backend.checkExpression(settled, mode, known).then(
      result => {
        if (live) {
          setError(
            result.ok || result.error === null
              ? null
              : `${result.error.message} (line ${result.error.line}, column ${result.error.column})`
          );
        }
      },
      () => live && setError(null)
    );
    return () => {
      live = false;
    };
  }, [backend, settled, mode, nodesKey]);
  return error;
}

export function ExpressionError(props: {
  backend: EditorBackend;
  text: string | null;
  mode: 'expression' | 'template';
  testid: string;
}): React.ReactElement | null {
  const error = useExpressionCheck(props.backend, props.text, props.mode);
  return error === null ? null : (
    <span className="jp-NebulaWorkflow-error" role="alert" data-testid={props.testid}>
      {error}
    </span>
  );
}
