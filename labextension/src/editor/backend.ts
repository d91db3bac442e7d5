/**
 * What the editor needs from the server, as one small interface (the contract's routes and
 * the gateway's `executions` topic). The widget depends on this, not on transport details;
 * the shapes are the ones generated from the server's pydantic models.
 */
import type {
  ActionOut,
  ExecutionDetailOut,
  ExecutionSummaryOut,
  ExpressionCheckOut,
  ValidationOut
} from '../generated/models';
import type { JournalEntry } from './core/execution';
import type { SourceFormat } from './core/sourceEdit';

export type ActionSpec = ActionOut;
export type ValidationResult = ValidationOut;
export type ExpressionCheck = ExpressionCheckOut;
export type ExecutionSummary = ExecutionSummaryOut;
export type ExecutionDetail = ExecutionDetailOut;

/** One pushed journal entry of an execution, with the execution's status after it. */
export interface ExecutionEvent {
  execution_id: string;
  workflow_id: string;
  entry: JournalEntry;
  status: string;
}

export interface Disposable {
  dispose(): void;
}

export interface EditorBackend {
  defaultStar(): Promise<string>;
  actions(): Promise<ActionSpec[]>;
  validate(source: string, format: SourceFormat): Promise<ValidationResult>;
  /** Check the syntax; with `nodes`, a reference to any other node id is an error too. */
  checkExpression(
    text: string,
    mode: 'expression' | 'template',
    nodes: readonly string[] | null
  ): Promise<ExpressionCheck>;
  startExecution(star: string, path: string, input: unknown): Promise<ExecutionSummary>;
  executions(star: string, workflowId: string, limit: number): Promise<ExecutionSummary[]>;
  execution(star: string, id: string): Promise<ExecutionDetail>;
  journal(star: string, id: string): Promise<JournalEntry[]>;
  cancel(star: string, id: string): Promise<ExecutionSummary>;
  resume(star: string, id: string): Promise<ExecutionSummary>;
  /**
   * Push the execution's journal entries as they are committed. `onLost` hears when entries
   * may have been missed (`reread`: the caller should re-read the execution) or updates stopped.
   */
  watchExecution(
    star: string,
    id: string,
    onEvent: (event: ExecutionEvent) => void,
    onLost: (message: string, reread: boolean) => void
  ): Disposable;
}
