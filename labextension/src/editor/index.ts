/**
 * The workflow graph editor: the default editor of `*.workflow.yaml|yml|json` files (the text
 * editor stays one "Open With" away), with its commands in the palette.
 */
import {
  ILayoutRestorer,
  type JupyterFrontEnd,
  type JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { LabIcon } from '@jupyterlab/ui-components';

import { INebula } from '../services';
import type { EditorBackend } from './backend';
import { nebulaBackend } from './nebulaBackend';
import { FACTORY, WorkflowEditorFactory, WorkflowEditorWidget } from './widget';
import type { EditorCommand } from './ui/WorkflowEditor';

export { FACTORY, WorkflowEditorWidget };

const FILE_TYPES = ['nebula-workflow-yaml', 'nebula-workflow-json'];
const CATEGORY = 'Nebula Workflow';

export const workflowIcon = new LabIcon({
  name: 'nebula:workflow',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<rect x="9" y="2" width="6" height="5" rx="1"/><rect x="2" y="16" width="6" height="5" rx="1"/>' +
    '<rect x="16" y="16" width="6" height="5" rx="1"/><path d="M11.5 7h1v4h6.5v5h-1v-4h-12v4h-1v-5h6.5z"/></g></svg>'
});

export const CommandIDs = {
  run: 'nebula-workflow:run',
  layout: 'nebula-workflow:auto-layout',
  openAsText: 'nebula-workflow:open-as-text',
  undo: 'nebula-workflow:undo',
  redo: 'nebula-workflow:redo',
  createNew: 'nebula-workflow:create-new'
} as const;

/** What a new workflow file starts with: a valid, runnable one-node workflow. */
function starter(id: string): string {
  return [
    `# A Nebula workflow. Drag actions from the palette, connect them, press Run.`,
    `id: ${id}`,
    'nodes:',
    '  - id: hello',
    '    action: log',
    '    parameters:',
    '      message: "Hello {{ $input.name }}!"',
    '    ui: {x: 0, y: 0}',
    'connections: []',
    ''
  ].join('\n');
}

function activate(
  app: JupyterFrontEnd,
  backend: EditorBackend,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null,
  launcher: ILauncher | null
): void {
  const { commands, docRegistry } = app;
  docRegistry.addFileType({
    name: FILE_TYPES[0],
    displayName: 'Nebula workflow (YAML)',
    extensions: ['.workflow.yaml', '.workflow.yml'],
    mimeTypes: ['text/x-yaml'],
    fileFormat: 'text',
    contentType: 'file',
    icon: workflowIcon
  });
  docRegistry.addFileType({
    name: FILE_TYPES[1],
    displayName: 'Nebula workflow (JSON)',
    extensions: ['.workflow.json'],
    mimeTypes: ['application/json'],
    fileFormat: 'text',
    contentType: 'file',
    icon: workflowIcon
  });

  const openAsText = (path: string): void => {
    void commands.execute('docmanager:open', { path, factory: 'Editor' });
  };
  const factory = new WorkflowEditorFactory(
    {
      name: FACTORY,
      label: 'Workflow Editor',
      modelName: 'text',
      fileTypes: FILE_TYPES,
      defaultFor: FILE_TYPES
    },
    backend,
    openAsText
  );
  const tracker = new WidgetTracker<WorkflowEditorWidget>({ namespace: 'nebula-workflow-editor' });
  factory.widgetCreated.connect((_, widget) => {
    widget.title.icon = workflowIcon;
    widget.context.pathChanged.connect(() => void tracker.save(widget));
    void tracker.add(widget);
  });
  docRegistry.addWidgetFactory(factory);
  if (restorer) {
    void restorer.restore(tracker, {
      command: 'docmanager:open',
      args: widget => ({ path: widget.context.path, factory: FACTORY }),
      name: widget => widget.context.path
    });
  }

  const current = (): WorkflowEditorWidget | null => {
    const widget = tracker.currentWidget;
    return widget !== null && widget === app.shell.currentWidget ? widget : null;
  };
  const editorCommand = (id: string, label: string, command: EditorCommand): void => {
    commands.addCommand(id, {
      label,
      isEnabled: () => current() !== null,
      execute: () => current()?.content.execute(command)
    });
  };
  editorCommand(CommandIDs.run, 'Run Workflow…', 'run');
  editorCommand(CommandIDs.layout, 'Arrange Workflow Nodes', 'layout');
  editorCommand(CommandIDs.undo, 'Undo Workflow Edit', 'undo');
  editorCommand(CommandIDs.redo, 'Redo Workflow Edit', 'redo');
  commands.addCommand(CommandIDs.openAsText, {
    label: 'Open Workflow as Text',
    isEnabled: () => current() !== null,
    execute: () => {
      const widget = current();
      if (widget !== null) {
        openAsText(widget.context.path);
      }
    }
  });
  commands.addCommand(CommandIDs.createNew, {
    label: args => (args.isLauncher ? 'Workflow' : 'New Workflow'),
    caption: 'Create a workflow file and open it in the graph editor',
    icon: args => (args.isPalette ? undefined : workflowIcon),
    execute: async args => {
      const contents = app.serviceManager.contents;
      const cwd = typeof args.cwd === 'string' ? args.cwd : '';
      const created = await contents.newUntitled({
        path: cwd,
        type: 'file',
        ext: '.workflow.yaml'
      });
      const id =
        created.name.replace(/\.workflow\.yaml$/, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'workflow';
      await contents.save(created.path, { type: 'file', format: 'text', content: starter(id) });
      return commands.execute('docmanager:open', { path: created.path, factory: FACTORY });
    }
  });
  if (palette) {
    for (const command of Object.values(CommandIDs)) {
      palette.addItem({ command, category: CATEGORY });
    }
  }
  launcher?.add({ command: CommandIDs.createNew, category: 'Other', rank: 50 });
}

export const editorPlugin: JupyterFrontEndPlugin<void> = {
  id: 'nebula-jupyterlab:workflow-editor',
  description:
    'The Nebula workflow graph editor, the default editor of *.workflow.yaml/json files.',
  autoStart: true,
  requires: [INebula],
  optional: [ICommandPalette, ILayoutRestorer, ILauncher],
  activate: (
    app: JupyterFrontEnd,
    nebula: INebula,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    launcher: ILauncher | null
  ) => activate(app, nebulaBackend(nebula), palette, restorer, launcher)
};
