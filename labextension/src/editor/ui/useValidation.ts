/** Debounced server validation of the document's text, with problems placed on the graph. */
import * as React from 'react';

import type { EditorBackend } from '../backend';
import type { WorkflowGraph } from '../core/graph';
import { placeProblems, type PlacedProblem, type Problem } from '../core/problems';
import type { SourceFormat } from '../core/sourceEdit';
import { useDebounced } from './useDebounced';
import { errorMessage } from './useExecution';

export const VALIDATE_DELAY_MS = 400;

export interface Validation {
  problems: PlacedProblem[];
  /** Whether some text was validated (so an empty problem list means something). */
  checked: boolean;
  /** Whether the problems are those of the current text (not of an earlier one). */
  current: boolean;
  /** Why the server could not validate. */
  error: string | null;
}

export function useValidation(
  backend: EditorBackend,
  text: string,
  format: SourceFormat,
  graph: WorkflowGraph
): Validation {
  const [result, setResult] = React.useState<{ text: string; problems: Problem[] } | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const settled = useDebounced(text, VALIDATE_DELAY_MS);
  React.useEffect(() => {
    let live = true;
    backend.validate(settled, format).then(
      checked => {
        if (live) {
          setResult({ text: settled, problems: checked.problems });
          setError(null);
        }
      },
      failure => live && setError(`Could not validate: ${errorMessage(failure)}`)
    );
    return () => {
      live = false;
    };
  }, [backend, settled, format]);
  const problems = React.useMemo(
    () => (result === null ? [] : placeProblems(text, graph, result.problems)),
    [result, text, graph]
  );
  return { problems, checked: result !== null, current: result?.text === text, error };
}
