/** The problems pane: validation problems with their place; picking one shows it on the graph. */
import * as React from 'react';

import type { PlacedProblem } from '../core/problems';

export function ProblemsPane(props: {
  problems: PlacedProblem[];
  /** Whether the current text was validated (so "no problems" is true). */
  checked: boolean;
  error: string | null;
  onPick: (problem: PlacedProblem) => void;
}): React.ReactElement {
  return (
    <ul className="jp-NebulaWorkflow-problems" aria-label="Problems" data-testid="wf-problems">
      {props.error !== null && <li>{props.error}</li>}
      {props.checked && props.problems.length === 0 && (
        <li className="jp-NebulaWorkflow-ok" data-testid="wf-problems-none">
          No problems.
        </li>
      )}
      {props.problems.map((problem, index) => (
        <li
          key={`${index}:${problem.message}`}
          tabIndex={0}
          data-testid="wf-problem"
          onClick={() => props.onPick(problem)}
          onKeyDown={event => event.key === 'Enter' && props.onPick(problem)}
        >
          {problem.line !== null ? `line ${problem.line}: ` : ''}
          {problem.nodeId !== null
            ? `${problem.nodeId}${problem.field ? `.${problem.field}` : ''}: `
            : ''}
          {problem.message}
        </li>
      ))}
    </ul>
  );
}
