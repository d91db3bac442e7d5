/**
 * The graph editor: palette, canvas, properties, problems, run overlay. The document's text is
 * the single source of truth; every gesture is a text → text edit recorded in the history.
 */
import * as React from 'react';
import {
  applyNodeChanges,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';

import type { ActionSpec, EditorBackend } from '../backend';
import { copyNodes, parseClipboard, pasteNodes, type ClipboardContent } from '../core/clipboard';
import { settle } from '../core/execution';
import { EMPTY_GRAPH, findNode, readGraph, type Position, type WorkflowGraph } from '../core/graph';
import { canRedo, canUndo, redo, undo } from '../core/history';
import { layoutGraph, positionsFor, type LayoutDirection } from '../core/layout';
import {
  addConnection,
  addNode,
  moveNodes,
  removeConnections,
  removeNodes,
  renameNode,
  setCondition,
  setNodeField,
  setParameter,
  uniqueNodeId
} from '../core/operations';
import { problemsByNode, type PlacedProblem } from '../core/problems';
import { readPath } from '../core/sourceEdit';
import { shortcutFor } from '../core/shortcuts';
import { preview } from '../core/values';
import { WorkflowNodeIds } from './ExpressionError';
import { ACTION_MIME, Palette } from './Palette';
import { ProblemsPane } from './ProblemsPane';
import { ConnectionProperties, NodeProperties, type NodeEdits } from './Properties';
import { NodeRunDetails, RunDialog, RunSummary } from './RunPanels';
import { Toolbar } from './Toolbar';
import { useDocumentHistory, useSignal, type WorkflowDocumentBridge } from './useDocument';
import { errorMessage as message, useExecution } from './useExecution';
import { useValidation } from './useValidation';
import { WorkflowNode, type WorkflowFlowNode } from './WorkflowNode';

export type { EditorCommand, WorkflowDocumentBridge } from './useDocument';

const NODE_TYPES = { workflow: WorkflowNode };

/** The last nodes copied in this page (the system clipboard gets a copy too). */
let pageClipboard: ClipboardContent | null = null;

function parseGraph(text: string): { graph: WorkflowGraph; error: string | null } {
  try {
    return { graph: readGraph(text), error: null };
  } catch (error) {
    return { graph: EMPTY_GRAPH, error: message(error) };
  }
}

function Editor(props: {
  doc: WorkflowDocumentBridge;
  backend: EditorBackend;
}): React.ReactElement {
  const { doc, backend } = props;
  const flow = useReactFlow<WorkflowFlowNode, Edge>();
  const [direction, setDirection] = React.useState<LayoutDirection>('TB');
  const [banner, setBanner] = React.useState<string | null>(null);
  const [dirty, setDirty] = React.useState(doc.isDirty());
  const [actions, setActions] = React.useState<ActionSpec[] | null>(null);
  const [actionsError, setActionsError] = React.useState<string | null>(null);
  const [rfNodes, setRfNodes] = React.useState<WorkflowFlowNode[]>([]);
  const [selectedEdge, setSelectedEdge] = React.useState<number | null>(null);
  const [dialog, setDialog] = React.useState(false);
  const [lastInput, setLastInput] = React.useState('{}');
  const selectAfter = React.useRef<Set<string> | null>(null);
  const canvas = React.useRef<HTMLDivElement>(null);

  // ---- the document ----------------------------------------------------------------------

  const { history, commit, edit, travel } = useDocumentHistory(doc, setBanner);
  const text = history.present;
  const { graph, error: parseError } = React.useMemo(() => parseGraph(text), [text]);

  useSignal(doc.dirtyChanged, () => setDirty(doc.isDirty()));
  useSignal(doc.resized, () => {
    window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1.25 }));
  });

  // ---- server data -----------------------------------------------------------------------

  React.useEffect(() => {
    backend
      .actions()
      .then(setActions, error => setActionsError(`Could not load actions: ${message(error)}`));
  }, [backend]);

  const validation = useValidation(backend, text, doc.format, graph);
  const problems = validation.problems;
  const byNode = React.useMemo(() => problemsByNode(problems), [problems]);
  const nodeIds = React.useMemo(() => graph.nodes.map(node => node.id), [graph]);
  const valid = parseError === null && validation.current && problems.length === 0;

  const execution = useExecution(backend, graph.id);
  const runState = execution.run;
  const runStates = React.useMemo(
    () => (runState === null ? null : settle(runState.states, runState.status)),
    [runState?.states, runState?.status]
  );

  // ---- the canvas ------------------------------------------------------------------------

  const positions = React.useMemo(() => positionsFor(graph, direction), [graph, direction]);
  React.useEffect(() => {
    const select = selectAfter.current;
    selectAfter.current = null;
    setRfNodes(previous => {
      const before = new Map(previous.map(node => [node.id, node]));
      return graph.nodes.map(node => {
        const old = before.get(node.id);
        return {
          ...(old ?? {}),
          id: node.id,
          type: 'workflow' as const,
          position: positions.get(node.id) ?? { x: 0, y: 0 },
          selected: select !== null ? select.has(node.id) : (old?.selected ?? false),
          data: {
            id: node.id,
            action: node.action,
            preview: Object.entries(node.parameters)
              .slice(0, 2)
              .map(([key, value]) => `${key}: ${preview(value, 28)}`)
              .join(' · '),
            problems: (byNode.get(node.id) ?? []).map(p =>
              p.field ? `${p.field}: ${p.message}` : p.message
            ),
            run: runStates?.get(node.id) ?? null,
            vertical: direction === 'TB'
          }
        };
      });
    });
    if (select !== null) {
      setSelectedEdge(null);
    }
  }, [graph, positions, byNode, runStates, direction]);

  const edges: Edge[] = React.useMemo(
    () =>
      graph.connections.map(connection => {
        const target = runStates?.get(connection.to);
        return {
          id: `e${connection.index}`,
          source: connection.from,
          target: connection.to,
          label: connection.condition === null ? undefined : preview(connection.condition, 24),
          selected: selectedEdge === connection.index,
          animated: target?.state === 'running' || target?.state === 'retrying',
          markerEnd: { type: MarkerType.ArrowClosed },
          data: { index: connection.index }
        };
      }),
    [graph, selectedEdge, runStates]
  );

  const selectedIds = rfNodes.filter(node => node.selected).map(node => node.id);

  const onEdgesChange = React.useCallback((changes: EdgeChange[]) => {
    for (const change of changes) {
      if (change.type === 'select') {
        const index = Number(change.id.slice(1));
        setSelectedEdge(current => (change.selected ? index : current === index ? null : current));
      }
    }
  }, []);

  const onConnect = React.useCallback(
    (connection: Connection) =>
      edit(t => addConnection(t, doc.format, connection.source, connection.target)),
    [edit, doc.format]
  );

  /**
   * Positions to write with an edit that places nodes: the moved ones, plus the laid-out
   * position of every node that has none yet, so those stop moving when the graph changes.
   */
  const placements = React.useCallback(
    (moved: Iterable<[string, Position]>): Map<string, Position> => {
      const out = new Map<string, Position>();
      for (const node of graph.nodes) {
        const at = node.position === null ? positions.get(node.id) : undefined;
        if (at !== undefined) {
          out.set(node.id, at);
        }
      }
      for (const [id, at] of moved) {
        out.set(id, at);
      }
      return out;
    },
    [graph, positions]
  );

  /** Selection and sizes stay on the canvas; a finished move (drag or arrow keys) is an edit. */
  const onNodesChange = React.useCallback(
    (changes: NodeChange<WorkflowFlowNode>[]) => {
      setRfNodes(nodes => applyNodeChanges(changes, nodes));
      if (changes.some(change => change.type === 'select' && change.selected)) {
        setSelectedEdge(null);
      }
      const moved: Array<[string, Position]> = [];
      for (const change of changes) {
        if (change.type === 'position' && change.dragging === false && change.position) {
          moved.push([change.id, change.position]);
        }
      }
      if (moved.length > 0) {
        edit(t => moveNodes(t, doc.format, placements(moved)), 'move');
      }
    },
    [edit, doc.format, placements]
  );

  const addAction = React.useCallback(
    (action: ActionSpec, at?: Position) => {
      let position = at;
      if (position === undefined) {
        const box = canvas.current?.getBoundingClientRect();
        position = box
          ? flow.screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 })
          : { x: 0, y: 0 };
        position = { x: position.x - 100, y: position.y - 32 };
      }
      const id = uniqueNodeId(graph, action.id);
      selectAfter.current = new Set([id]);
      edit(t =>
        moveNodes(
          addNode(t, doc.format, {
            id,
            action: action.id,
            version: action.version,
            position: position ?? null
          }),
          doc.format,
          placements([])
        )
      );
    },
    [edit, flow, graph, doc.format, placements]
  );

  const onDrop = (event: React.DragEvent): void => {
    const raw = event.dataTransfer.getData(ACTION_MIME);
    if (!raw) {
      return;
    }
    event.preventDefault();
    const wanted = JSON.parse(raw) as { id: string; version: string };
    const action = actions?.find(a => a.id === wanted.id && a.version === wanted.version);
    if (action !== undefined) {
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      addAction(action, { x: at.x - 100, y: at.y - 20 });
    }
  };

  const autoLayout = (): void => {
    edit(t => moveNodes(t, doc.format, layoutGraph(readGraph(t), direction)));
    window.requestAnimationFrame(() => void flow.fitView({ padding: 0.2, maxZoom: 1.25 }));
  };

  const deleteSelection = (): void => {
    if (selectedIds.length > 0) {
      edit(t => removeNodes(t, doc.format, selectedIds));
    } else if (selectedEdge !== null) {
      const index = selectedEdge;
      setSelectedEdge(null);
      edit(t => removeConnections(t, doc.format, [index]));
    }
  };

  const copy = (): void => {
    if (selectedIds.length === 0) {
      return;
    }
    const drawn = new Map(rfNodes.map(node => [node.id, node.position]));
    pageClipboard = copyNodes(text, selectedIds, drawn);
    void navigator.clipboard?.writeText(JSON.stringify(pageClipboard)).catch(() => undefined);
  };

  const paste = (content: ClipboardContent | null): void => {
    if (content === null) {
      return;
    }
    try {
      const pasted = pasteNodes(text, doc.format, content);
      selectAfter.current = new Set(pasted.ids);
      commit(pasted.text);
      setBanner(null);
    } catch (error) {
      setBanner(message(error));
    }
  };

  const pasteFromClipboard = (): void => {
    if (pageClipboard !== null) {
      paste(pageClipboard);
      return;
    }
    void navigator.clipboard
      ?.readText()
      .then(raw => paste(parseClipboard(raw)))
      .catch(() => undefined);
  };

  const onKeyDown = (event: React.KeyboardEvent): void => {
    const target = event.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) {
      return; // typing in a field keeps the field's own keys
    }
    const shortcut = shortcutFor(event);
    if (shortcut === null) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (shortcut === 'undo' || shortcut === 'redo') {
      travel(shortcut === 'undo' ? undo : redo);
    } else if (shortcut === 'copy' || shortcut === 'cut') {
      copy();
      if (shortcut === 'cut') {
        deleteSelection();
      }
    } else if (shortcut === 'paste') {
      pasteFromClipboard();
    } else {
      deleteSelection();
    }
  };

  // ---- runs ------------------------------------------------------------------------------

  const startRun = async (input: unknown, raw: string): Promise<void> => {
    const started = await execution.start(async () => {
      if (doc.isDirty()) {
        await doc.save();
      }
      return doc.path;
    }, input);
    if (started) {
      setLastInput(raw);
      setDialog(false);
    }
  };

  useSignal(doc.commands, command => {
    if (command === 'run') {
      setDialog(true);
    } else if (command === 'layout') {
      autoLayout();
    } else if (command === 'undo') {
      travel(undo);
    } else {
      travel(redo);
    }
  });

  // ---- panels ----------------------------------------------------------------------------

  const edits: NodeEdits = {
    rename: (from, to) => {
      selectAfter.current = new Set([to]);
      edit(t => renameNode(t, doc.format, from, to));
    },
    setParameter: (nodeId, name, value) =>
      edit(t => setParameter(t, doc.format, nodeId, name, value), `param:${nodeId}:${name}`),
    setField: (nodeId, field, value) =>
      edit(t => setNodeField(t, doc.format, nodeId, field, value), `field:${nodeId}:${field}`),
    setCondition: (index, condition) =>
      edit(t => setCondition(t, doc.format, index, condition), `condition:${index}`),
    removeConnection: index => {
      setSelectedEdge(null);
      edit(t => removeConnections(t, doc.format, [index]));
    },
    removeNode: nodeId => edit(t => removeNodes(t, doc.format, [nodeId]))
  };

  const selectedNode = selectedIds.length === 1 ? findNode(graph, selectedIds[0]) : undefined;
  const selectedConnection = selectedEdge === null ? undefined : graph.connections[selectedEdge];

  React.useEffect(() => {
    if (runState !== null && selectedNode !== undefined) {
      execution.refresh();
    }
  }, [selectedNode?.id, runState?.id]);

  let properties: React.ReactElement;
  if (selectedNode !== undefined) {
    const raw = readPath(text, ['nodes', selectedNode.index]);
    properties = (
      <>
        {runState !== null && (
          <NodeRunDetails
            nodeId={selectedNode.id}
            detail={runState.detail}
            journal={runState.journal}
          />
        )}
        <NodeProperties
          backend={backend}
          node={selectedNode}
          raw={typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {}}
          action={actions?.find(
            a => a.id === selectedNode.action && a.version === selectedNode.version
          )}
          problems={problems}
          edits={edits}
        />
      </>
    );
  } else if (selectedConnection !== undefined) {
    properties = (
      <ConnectionProperties
        backend={backend}
        connection={selectedConnection}
        problems={problems}
        edits={edits}
      />
    );
  } else if (runState !== null) {
    properties = (
      <RunSummary
        id={runState.id}
        status={runState.status}
        detail={runState.detail}
        journal={runState.journal}
      />
    );
  } else {
    properties = (
      <div data-testid="wf-properties-empty">
        <div className="jp-NebulaWorkflow-section">{graph.name || graph.id || 'Workflow'}</div>
        <span className="jp-NebulaWorkflow-muted">
          {graph.nodes.length} nodes, {graph.connections.length} connections. Select a node or a
          connection to edit it; drag an action from the palette to add one; drag from a node&apos;s
          bottom handle to another node to connect them.
        </span>
      </div>
    );
  }

  const runDisabled = !valid || execution.busy;
  const runTitle = parseError
    ? 'Fix the file first'
    : !valid
      ? problems.length > 0
        ? `Fix ${problems.length} problem(s) first`
        : 'Validating…'
      : dirty
        ? 'Save and run'
        : 'Run this workflow';

  return (
    <div className="jp-NebulaWorkflow" tabIndex={0} onKeyDown={onKeyDown} data-testid="wf-editor">
      <Toolbar
        title={graph.name || graph.id || doc.path}
        canUndo={canUndo(history)}
        canRedo={canRedo(history)}
        empty={graph.nodes.length === 0}
        direction={direction}
        execution={execution}
        runDisabled={runDisabled}
        runTitle={runTitle}
        onUndo={() => travel(undo)}
        onRedo={() => travel(redo)}
        onLayout={autoLayout}
        onDirection={setDirection}
        onOpenText={() => doc.openAsText()}
        onRun={() => setDialog(true)}
      />
      {parseError !== null && (
        <div
          className="jp-NebulaWorkflow-banner jp-mod-error"
          role="alert"
          data-testid="wf-parse-error"
        >
          {parseError}
        </div>
      )}
      {banner !== null && (
        <div className="jp-NebulaWorkflow-banner" role="alert" data-testid="wf-banner">
          {banner}
        </div>
      )}
      {runState?.note && (
        <div className="jp-NebulaWorkflow-banner" role="status" data-testid="wf-run-note">
          {runState.note}
        </div>
      )}
      <WorkflowNodeIds.Provider value={nodeIds}>
        <div className="jp-NebulaWorkflow-body">
          <Palette actions={actions} error={actionsError} onAdd={action => addAction(action)} />
          <div
            className="jp-NebulaWorkflow-canvas"
            ref={canvas}
            data-testid="wf-canvas"
            onDragOver={event => {
              if (event.dataTransfer.types.includes(ACTION_MIME)) {
                event.preventDefault();
                event.dataTransfer.dropEffect = 'copy';
              }
            }}
            onDrop={onDrop}
          >
            <ReactFlow<WorkflowFlowNode, Edge>
              nodes={rfNodes}
              edges={edges}
              nodeTypes={NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onPaneClick={() => setSelectedEdge(null)}
              deleteKeyCode={null}
              fitView
              fitViewOptions={{ padding: 0.2, maxZoom: 1.25 }}
              minZoom={0.1}
            >
              <Background />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable />
            </ReactFlow>
            {dialog && (
              <RunDialog
                initial={lastInput}
                busy={execution.busy}
                error={execution.error}
                onRun={(input, raw) => void startRun(input, raw)}
                onClose={() => setDialog(false)}
              />
            )}
          </div>
          <aside
            className="jp-NebulaWorkflow-properties"
            aria-label="Properties"
            data-testid="wf-properties"
          >
            {properties}
          </aside>
        </div>
      </WorkflowNodeIds.Provider>
      <ProblemsPane
        problems={problems}
        checked={validation.checked && parseError === null}
        error={validation.error}
        onPick={focusProblem}
      />
    </div>
  );

  function focusProblem(problem: PlacedProblem): void {
    if (problem.nodeId !== null) {
      const id = problem.nodeId;
      setRfNodes(nodes => nodes.map(node => ({ ...node, selected: node.id === id })));
      setSelectedEdge(null);
      void flow.fitView({ nodes: [{ id }], padding: 0.5, maxZoom: 1.25, duration: 200 });
    } else if (problem.connection !== null) {
      setRfNodes(nodes => nodes.map(node => ({ ...node, selected: false })));
      setSelectedEdge(problem.connection);
    }
  }
}

export function WorkflowEditor(props: {
  doc: WorkflowDocumentBridge;
  backend: EditorBackend;
}): React.ReactElement {
  return (
    <ReactFlowProvider>
      <Editor doc={props.doc} backend={props.backend} />
    </ReactFlowProvider>
  );
}
