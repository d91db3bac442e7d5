/** The document widget: a workflow file's context wrapped around the React editor. */
import * as React from 'react';
import { ReactWidget } from '@jupyterlab/apputils';
import { ABCWidgetFactory, DocumentRegistry, DocumentWidget } from '@jupyterlab/docregistry';
import type { Message } from '@lumino/messaging';
import { Signal, type ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import type { EditorBackend } from './backend';
import { formatOf, type SourceFormat } from './core/sourceEdit';
import { addEditorStyles } from './ui/styles';
import {
  WorkflowEditor,
  type EditorCommand,
  type WorkflowDocumentBridge
} from './ui/WorkflowEditor';

export const FACTORY = 'Nebula Workflow Editor';

/** The editor's content: renders once the file is loaded, and bridges the document context. */
export class WorkflowEditorContent extends ReactWidget implements WorkflowDocumentBridge {
  private readonly _contentChanged = new Signal<this, void>(this);
  private readonly _dirtyChanged = new Signal<this, void>(this);
  private readonly _resized = new Signal<this, void>(this);
  private readonly _commands = new Signal<this, EditorCommand>(this);
  private _ready = false;

  constructor(
    private readonly context: DocumentRegistry.Context,
    private readonly backend: EditorBackend,
    private readonly openText: (path: string) => void
  ) {
    super();
    addEditorStyles();
    this.addClass('jp-NebulaWorkflow-host');
    context.model.contentChanged.connect(() => this._contentChanged.emit(), this);
    context.model.stateChanged.connect((_, change) => {
      if (change.name === 'dirty') {
        this._dirtyChanged.emit();
      }
    }, this);
    void context.ready.then(() => {
      this._ready = true;
      this.update();
    });
  }

  get path(): string {
    return this.context.path;
  }

  get format(): SourceFormat {
    return formatOf(this.context.path);
  }

  get contentChanged(): ISignal<this, void> {
    return this._contentChanged;
  }

  get dirtyChanged(): ISignal<this, void> {
    return this._dirtyChanged;
  }

  get resized(): ISignal<this, void> {
    return this._resized;
  }

  get commands(): ISignal<this, EditorCommand> {
    return this._commands;
  }

  getText(): string {
    return this.context.model.toString();
  }

  setText(text: string): void {
    if (text !== this.context.model.toString()) {
      this.context.model.fromString(text);
    }
  }

  isDirty(): boolean {
    return this.context.model.dirty;
  }

  save(): Promise<void> {
    return this.context.save();
  }

  openAsText(): void {
    this.openText(this.context.path);
  }

  /** Run an editor command (from the command palette or a key binding). */
  execute(command: EditorCommand): void {
    this._commands.emit(command);
  }

  protected render(): React.ReactElement {
    return this._ready ? (
      <WorkflowEditor doc={this} backend={this.backend} />
    ) : (
      <div className="jp-NebulaWorkflow-muted">Loading…</div>
    );
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._resized.emit();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._resized.emit();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const root = this.node.querySelector<HTMLElement>('.jp-NebulaWorkflow');
    (root ?? this.node).focus();
  }

  dispose(): void {
    Signal.clearData(this);
    super.dispose();
  }
}

export class WorkflowEditorWidget extends DocumentWidget<WorkflowEditorContent> {}

export class WorkflowEditorFactory extends ABCWidgetFactory<WorkflowEditorWidget> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<WorkflowEditorWidget>,
    private readonly backend: EditorBackend,
    private readonly openText: (path: string) => void
  ) {
    super(options);
  }

  protected createNewWidget(context: DocumentRegistry.Context): WorkflowEditorWidget {
    const content = new WorkflowEditorContent(context, this.backend, this.openText);
    const widget = new WorkflowEditorWidget({ content, context });
    widget.addClass('jp-NebulaWorkflow-document');
    return widget;
  }
}
