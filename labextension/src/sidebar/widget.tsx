import { ReactWidget } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { shortTime, testId } from '../format';
import type { TriggerOut } from '../generated/models';
import type { LiveClient, LiveStatus } from '../live';
import { IStarNode, ITypeNode, SidebarModel } from './model';

export const nebulaIcon = new LabIcon({
  name: 'nebula:logo',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<circle cx="12" cy="12" r="3"/><path d="M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 2a8 8 0 0 1 7.7 5.8A14 6 0 0 0 4.3 9.8 8 8 0 0 1 12 4zm0 16a8 8 0 0 1-7.7-5.8 14 6 0 0 0 15.4 0A8 8 0 0 1 12 20z"/></g></svg>'
});

export interface ISidebarActions {
  openResource(star: string, type: string, id: string): void;
}

function useModel(model: SidebarModel): number {
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setVersion(v => v + 1);
    model.changed.connect(bump);
    return () => {
      model.changed.disconnect(bump);
    };
  }, [model]);
  return version;
}

function useLiveStatus(live: LiveClient): LiveStatus {
  const [status, setStatus] = React.useState(live.status);
  React.useEffect(() => {
    const update = (_: LiveClient, next: LiveStatus) => setStatus(next);
    live.statusChanged.connect(update);
    return () => {
      live.statusChanged.disconnect(update);
    };
  }, [live]);
  return status;
}

function Twisty(props: { open: boolean }): JSX.Element {
  return <span className="jp-NebulaSidebar-twisty">{props.open ? '▾' : '▸'}</span>;
}

function TypeSection(props: {
  star: string;
  node: ITypeNode;
  model: SidebarModel;
  actions: ISidebarActions;
}): JSX.Element {
  const { star, node, model, actions } = props;
  return (
    <li className="jp-NebulaSidebar-type" data-testid={testId('nebula-type', node.name)}>
      <button
        className="jp-NebulaSidebar-row"
        aria-expanded={node.expanded}
        onClick={() => model.setTypeExpanded(star, node.name, !node.expanded)}
      >
        <Twisty open={node.expanded} />
        <span className="jp-NebulaSidebar-name">{node.name}</span>
        <span className="jp-NebulaSidebar-count">{node.resources.size}</span>
      </button>
      {node.expanded && (
        <ul className="jp-NebulaSidebar-list">
          {[...node.resources.values()].map(r => (
            <li key={r.id}>
              <button
                className="jp-NebulaSidebar-row jp-NebulaSidebar-resource"
                data-testid={testId('nebula-resource', node.name, r.id)}
                title={`${node.name}/${r.id}, last changed by ${r.changedBy}`}
                onClick={() => actions.openResource(star, node.name, r.id)}
              >
                {r.id}
              </button>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function Executions(props: { node: IStarNode }): JSX.Element {
  const { unavailable, items } = props.node.executions;
  return (
    <section className="jp-NebulaSidebar-executions" data-testid="nebula-executions">
      <h3 className="jp-NebulaSidebar-heading">Executions</h3>
      {unavailable !== null ? (
        <p className="jp-NebulaSidebar-note" data-testid="nebula-executions-unavailable">
          {unavailable}
        </p>
      ) : items.size === 0 ? (
        <p className="jp-NebulaSidebar-note">No executions yet.</p>
      ) : (
        <ul className="jp-NebulaSidebar-list">
          {[...items.values()].map(e => (
            <li
              key={e.id}
              className="jp-NebulaSidebar-execution"
              data-testid={testId('nebula-execution', e.id)}
              title={`${e.id}, started ${shortTime(e.created_at)}`}
            >
              <span className="jp-NebulaSidebar-name">{e.workflow_id}</span>
              <span
                className={`jp-NebulaStatus jp-NebulaStatus-${e.status}`}
                data-testid={testId('nebula-execution-status', e.id)}
              >
                {e.status}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What starts a trigger's runs, in a few words: its schedule, or the changes it watches. */
function describeTrigger(t: TriggerOut): string {
  if (t.kind === 'cron') {
    return `${t.schedule} (${t.timezone})`;
  }
  const ops = (t.ops ?? ['put', 'delete']).join('/');
  return `${ops} of ${t.type}${t.resource_id ? `/${t.resource_id}` : ''}`;
}

function Triggers(props: { node: IStarNode }): JSX.Element | null {
  const { unavailable, items } = props.node.triggers;
  if (unavailable === null && items.length === 0) {
    return null; // nothing deployed for this star: no section at all
  }
  return (
    <section className="jp-NebulaSidebar-triggers" data-testid="nebula-triggers">
      <h3 className="jp-NebulaSidebar-heading">Triggers</h3>
      {unavailable !== null ? (
        <p className="jp-NebulaSidebar-note">{unavailable}</p>
      ) : (
        <ul className="jp-NebulaSidebar-list">
          {items.map(t => (
            <li
              key={t.id}
              className="jp-NebulaSidebar-trigger"
              data-testid={testId('nebula-trigger', t.id)}
              title={`${t.id}: starts ${t.workflow_id} (${t.file})`}
            >
              <span className="jp-NebulaSidebar-name">{t.workflow_id}</span>
              <span className="jp-NebulaSidebar-detail">{describeTrigger(t)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function StarSection(props: {
  node: IStarNode;
  model: SidebarModel;
  actions: ISidebarActions;
}): JSX.Element {
  const { node, model, actions } = props;
  return (
    <li className="jp-NebulaSidebar-star" data-testid={testId('nebula-star', node.star)}>
      <button
        className="jp-NebulaSidebar-row jp-NebulaSidebar-starRow"
        aria-expanded={node.expanded}
        onClick={() => void model.setStarExpanded(node.star, !node.expanded)}
      >
        <Twisty open={node.expanded} />
        <span className="jp-NebulaSidebar-name">{node.star}</span>
        {node.loading && <span className="jp-NebulaSidebar-count">loading…</span>}
      </button>
      {node.expanded && (
        <div className="jp-NebulaSidebar-starBody">
          {node.error !== null && (
            <p className="jp-NebulaSidebar-error" role="alert">
              {node.error}
            </p>
          )}
          {node.types.size === 0 && !node.loading ? (
            <p className="jp-NebulaSidebar-note">No resources yet.</p>
          ) : (
            <ul className="jp-NebulaSidebar-list">
              {[...node.types.values()].map(t => (
                <TypeSection
                  key={t.name}
                  star={node.star}
                  node={t}
                  model={model}
                  actions={actions}
                />
              ))}
            </ul>
          )}
          <Executions node={node} />
          <Triggers node={node} />
        </div>
      )}
    </li>
  );
}

function Sidebar(props: {
  model: SidebarModel;
  live: LiveClient;
  actions: ISidebarActions;
}): JSX.Element {
  const { model, live, actions } = props;
  useModel(model);
  const status = useLiveStatus(live);
  return (
    <div className="jp-NebulaSidebar-body">
      <header className="jp-NebulaSidebar-header">
        <h2 className="jp-NebulaSidebar-title">Nebula</h2>
        <span
          className={`jp-NebulaLive jp-NebulaLive-${status}`}
          data-testid="nebula-live-status"
          title="The live connection to the server"
        >
          {status === 'open' ? 'live' : status}
        </span>
        <button
          className="jp-NebulaButton"
          data-testid="nebula-refresh"
          onClick={() => void model.refresh()}
        >
          Refresh
        </button>
      </header>
      {model.error !== null && (
        <p className="jp-NebulaSidebar-error" role="alert">
          {model.error}
        </p>
      )}
      <ul className="jp-NebulaSidebar-list jp-NebulaSidebar-stars">
        {[...model.stars.values()].map(s => (
          <StarSection key={s.star} node={s} model={model} actions={actions} />
        ))}
      </ul>
    </div>
  );
}

/** The Nebula sidebar (left area). */
export class NebulaSidebar extends ReactWidget {
  constructor(
    readonly model: SidebarModel,
    private readonly live: LiveClient,
    private readonly actions: ISidebarActions
  ) {
    super();
    this.id = 'nebula-sidebar';
    this.title.icon = nebulaIcon;
    this.title.caption = 'Nebula: resources and executions';
    this.addClass('jp-NebulaSidebar');
    this.node.dataset.testid = 'nebula-sidebar';
    this.node.tabIndex = -1; // focusable by the keyboard shortcut
  }

  render(): JSX.Element {
    return <Sidebar model={this.model} live={this.live} actions={this.actions} />;
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}
