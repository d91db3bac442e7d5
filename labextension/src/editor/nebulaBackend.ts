/**
 * The editor's backend over the shared Nebula services: the REST client for the workflow and
 * execution routes, and the tab's live connection for the `executions` topic.
 */
import type { INebula } from '../services';
import type { EditorBackend, ExecutionEvent } from './backend';

export function nebulaBackend(nebula: INebula): EditorBackend {
  const { api } = nebula;
  return {
    defaultStar: () => nebula.defaultStar(),
    actions: async () => (await api.actions()).actions,
    validate: (source, format) => api.validateWorkflow({ source, format }),
    checkExpression: (text, mode, nodes) =>
      api.checkExpression({ text, mode, nodes: nodes === null ? null : [...nodes] }),
    startExecution: async (star, path, input) =>
      (await api.startExecution(star, { path, input })).execution,
    executions: async (star, workflowId, limit) =>
      (await api.executions(star, { workflow_id: workflowId, limit })).executions,
    execution: (star, id) => api.execution(star, id),
    journal: async (star, id) => (await api.journal(star, id)).entries,
    cancel: async (star, id) => (await api.cancelExecution(star, id)).execution,
    resume: async (star, id) => (await api.resumeExecution(star, id)).execution,
    watchExecution(star, id, onEvent, onLost) {
      const subscription = nebula.live.subscribe(
        { kind: 'executions', star, execution_id: id },
        {
          onEvent: data => onEvent(data as ExecutionEvent),
          onResync: () => onLost('Live updates fell behind; the run was re-read.', true),
          onError: error => onLost(`Live updates stopped: ${error.message}`, false)
        }
      );
      return { dispose: () => subscription.unsubscribe() };
    }
  };
}
