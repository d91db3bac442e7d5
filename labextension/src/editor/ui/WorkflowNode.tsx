/** How one workflow node looks on the canvas: id, action, a parameter preview, badges. */
import * as React from 'react';
import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';

import { formatDuration, type NodeRun } from '../core/execution';

export type WorkflowNodeData = {
  id: string;
  action: string;
  preview: string;
  problems: string[];
  run: NodeRun | null;
  vertical: boolean;
};

export type WorkflowFlowNode = Node<WorkflowNodeData, 'workflow'>;

function WorkflowNodeView({ data }: NodeProps<WorkflowFlowNode>): React.ReactElement {
  const { run, problems } = data;
  const badge = run
    ? `${run.state}${run.durationMs !== null ? ` · ${formatDuration(run.durationMs)}` : ''}${run.attempts > 1 ? ` · ×${run.attempts}` : ''}`
    : null;
  const classes = ['jp-NebulaWorkflow-node'];
  if (problems.length > 0) {
    classes.push('jp-mod-invalid');
  }
  return (
    <div
      className={classes.join(' ')}
      data-testid={`wf-node-${data.id}`}
      data-state={run?.state ?? 'idle'}
      title={[...problems, run?.error ?? ''].filter(Boolean).join('\n') || undefined}
    >
      <Handle type="target" position={data.vertical ? Position.Top : Position.Left} />
      <header>
        <span>{data.id}</span>
        {badge !== null && (
          <span className="jp-NebulaWorkflow-badge" data-testid={`wf-node-state-${data.id}`}>
            {badge}
          </span>
        )}
        {badge === null && problems.length > 0 && (
          <span
            className="jp-NebulaWorkflow-badge jp-mod-problem"
            data-testid={`wf-node-problems-${data.id}`}
          >
            {problems.length} {problems.length === 1 ? 'problem' : 'problems'}
          </span>
        )}
      </header>
      <div className="jp-NebulaWorkflow-action">{data.action}</div>
      {data.preview && <div className="jp-NebulaWorkflow-preview">{data.preview}</div>}
      <Handle type="source" position={data.vertical ? Position.Bottom : Position.Right} />
    </div>
  );
}

export const WorkflowNode = React.memo(WorkflowNodeView);
