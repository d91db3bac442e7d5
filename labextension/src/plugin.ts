/**
 * Nebula's JupyterLab plugin: the sidebar, the resource inspector, Lookback charts and their
 * commands. It provides `INebula` (REST client + live connection) to other plugins.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, WidgetTracker } from '@jupyterlab/apputils';
import type { MainAreaWidget } from '@jupyterlab/apputils';
import type { Widget } from '@lumino/widgets';

import { createInspector, inspectorId, IResourceKey } from './inspector/widget';
import { createLookbackChart } from './lookback/widget';
import { INebula, NebulaServices } from './services';
import { SidebarModel } from './sidebar/model';
import { NebulaSidebar } from './sidebar/widget';

export const CommandIDs = {
  openSidebar: 'nebula:open-sidebar',
  openInspector: 'nebula:open-inspector',
  newLookbackChart: 'nebula:new-lookback-chart',
  refresh: 'nebula:refresh'
} as const;

const CATEGORY = 'Nebula';

async function askForResource(nebula: INebula): Promise<IResourceKey | null> {
  const answer = await InputDialog.getText({
    title: 'Open a Nebula resource',
    label: 'type/id (in the default star, or star:type/id)',
    placeholder: 'Order/o-1'
  });
  const text = answer.button.accept ? (answer.value ?? '').trim() : '';
  const match = /^(?:([^:]+):)?([^/]+)\/(.+)$/.exec(text);
  if (!match) {
    return null;
  }
  const star = match[1] ?? (await nebula.defaultStar());
  return { star, type: match[2], id: match[3] };
}

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  restorer: ILayoutRestorer | null
): INebula {
  const nebula = new NebulaServices();
  const inspectors = new WidgetTracker<MainAreaWidget>({ namespace: 'nebula-inspector' });
  const openInspector = (key: IResourceKey) => {
    const existing = inspectors.find(w => w.id === inspectorId(key));
    if (existing) {
      app.shell.activateById(existing.id);
      return existing;
    }
    const widget = createInspector(nebula, key);
    void inspectors.add(widget);
    app.shell.add(widget, 'main');
    app.shell.activateById(widget.id);
    return widget;
  };

  const model = new SidebarModel(nebula.api, nebula.live);
  const sidebar = new NebulaSidebar(model, nebula.live, {
    openResource: (star, type, id) => void openInspector({ star, type, id })
  });
  app.shell.add(sidebar, 'left', { rank: 300 });
  restorer?.add(sidebar, sidebar.id);
  void model.load();

  app.commands.addCommand(CommandIDs.openSidebar, {
    label: 'Nebula: Show the Sidebar',
    execute: () => {
      app.shell.activateById(sidebar.id);
      sidebar.node.focus();
    }
  });
  app.commands.addCommand(CommandIDs.openInspector, {
    label: args =>
      args.type ? `Nebula: Inspect ${args.type}/${args.id}` : 'Nebula: Inspect a Resource…',
    execute: async args => {
      const key =
        typeof args.type === 'string' && typeof args.id === 'string'
          ? {
              star: typeof args.star === 'string' ? args.star : await nebula.defaultStar(),
              type: args.type,
              id: args.id
            }
          : await askForResource(nebula);
      return key ? openInspector(key) : null;
    }
  });
  app.commands.addCommand(CommandIDs.newLookbackChart, {
    label: 'Nebula: New Lookback Chart',
    execute: () => {
      const widget: Widget = createLookbackChart(nebula);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  app.commands.addCommand(CommandIDs.refresh, {
    label: 'Nebula: Refresh',
    execute: () => model.refresh()
  });
  app.commands.addKeyBinding({
    command: CommandIDs.openSidebar,
    keys: ['Alt Shift N'],
    selector: 'body'
  });
  for (const command of Object.values(CommandIDs)) {
    palette?.addItem({ command, category: CATEGORY });
  }
  return nebula;
}

export const nebulaPlugin: JupyterFrontEndPlugin<INebula> = {
  id: 'nebula-jupyterlab:plugin',
  description: 'Nebula sidebar, resource inspector and Lookback charts',
  autoStart: true,
  provides: INebula,
  optional: [ICommandPalette, ILayoutRestorer],
  activate
};
