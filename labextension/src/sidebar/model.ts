/**
 * The sidebar's state: stars → types → current resources, and the star's executions, kept
 * current by the live connection (any writer: another tab, a kernel, a workflow).
 *
 * Each expanded star has two subscriptions: `resources` (every change in the star: an event
 * puts or removes one resource in the tree) and `executions` (each journal entry carries the
 * execution's status). A `resync` re-reads the star from REST. The triggers the server runs for
 * the star (from its deployed workflow files) are read with the star; the refresh command
 * reads them again.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { NebulaApi, NebulaApiError } from '../api';
import type { ExecutionSummaryOut, ResourceOut, TriggerOut } from '../generated/models';
import type { ILiveSubscription, LiveClient } from '../live';

const RESOURCES_PER_TYPE = 500;

export interface IResourceItem {
  id: string;
  etag: string;
  changedBy: string;
}

export interface ITypeNode {
  name: string;
  expanded: boolean;
  resources: Map<string, IResourceItem>;
}

export interface IExecutionsState {
  /** Why executions cannot be shown (e.g. the server has no executions route yet). */
  unavailable: string | null;
  items: Map<string, ExecutionSummaryOut>;
}

export interface ITriggersState {
  /** Why triggers cannot be shown (e.g. the server has no triggers route). */
  unavailable: string | null;
  items: TriggerOut[];
}

export interface IStarNode {
  star: string;
  expanded: boolean;
  loading: boolean;
  error: string | null;
  types: Map<string, ITypeNode>;
  executions: IExecutionsState;
  triggers: ITriggersState;
  /** Changes received while a read is in flight: applied again on top of what it returns. */
  duringLoad: IChangeEvent[] | null;
}

/** What a `resources` event carries (decoded typed JSON). */
interface IChangeEvent {
  op: 'put' | 'delete';
  type: string;
  id: string;
  changed_by: string;
  resource: { etag: string };
}

/** What an `executions` event carries. */
interface IExecutionEvent {
  execution_id: string;
  workflow_id: string;
  status: ExecutionSummaryOut['status'];
  entry: { written_at: unknown };
}

function item(resource: Pick<ResourceOut, 'id' | 'etag' | 'changed_by'>): IResourceItem {
  return { id: resource.id, etag: resource.etag, changedBy: resource.changed_by };
}

/** Why a star's `list` (executions, triggers) could not be read, for the panel to say. */
function unavailable(list: string, error: unknown): string {
  if (error instanceof NebulaApiError && error.status === 404) {
    return `This server does not list ${list} (no ${list} route).`;
  }
  return `The ${list} could not be read: ${(error as Error).message}`;
}

function sortedMap<V>(map: Map<string, V>): Map<string, V> {
  return new Map([...map.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export class SidebarModel {
  readonly stars = new Map<string, IStarNode>();
  error: string | null = null;
  private readonly subs = new Map<string, ILiveSubscription[]>();
  private readonly changedSignal = new Signal<this, void>(this);

  constructor(
    private readonly api: NebulaApi,
    private readonly live: LiveClient
  ) {}

  get changed(): ISignal<this, void> {
    return this.changedSignal;
  }

  private emit(): void {
    this.changedSignal.emit();
  }

  /** Load the stars and expand the default one. */
  async load(): Promise<void> {
    try {
      const { stars, default: main } = await this.api.stars();
      for (const star of [main, ...stars.filter(s => s !== main)]) {
        if (!this.stars.has(star)) {
          this.stars.set(star, {
            star,
            expanded: false,
            loading: false,
            error: null,
            types: new Map(),
            executions: { unavailable: null, items: new Map() },
            triggers: { unavailable: null, items: [] },
            duringLoad: null
          });
        }
      }
      this.error = null;
      this.emit();
      await this.setStarExpanded(main, true);
    } catch (error) {
      this.error = (error as Error).message;
      this.emit();
    }
  }

  /** Re-read everything (the refresh command). */
  async refresh(): Promise<void> {
    await Promise.all([...this.stars.values()].filter(s => s.expanded).map(s => this.loadStar(s)));
  }

  async setStarExpanded(star: string, expanded: boolean): Promise<void> {
    const node = this.stars.get(star);
    if (!node || node.expanded === expanded) {
      return;
    }
    node.expanded = expanded;
    if (expanded) {
      this.follow(node);
      await this.loadStar(node);
    } else {
      for (const sub of this.subs.get(star) ?? []) {
        sub.unsubscribe();
      }
      this.subs.delete(star);
      this.emit();
    }
  }

  setTypeExpanded(star: string, type: string, expanded: boolean): void {
    const node = this.stars.get(star)?.types.get(type);
    if (node) {
      node.expanded = expanded;
      this.emit();
    }
  }

  dispose(): void {
    for (const subs of this.subs.values()) {
      subs.forEach(s => s.unsubscribe());
    }
    this.subs.clear();
    Signal.clearData(this);
  }

  /** Subscribe first, then read: a change between the two is applied, never lost. */
  private follow(node: IStarNode): void {
    const resync = () => void this.loadStar(node);
    this.subs.set(node.star, [
      this.live.subscribe(
        { kind: 'resources', star: node.star },
        {
          onEvent: data => this.applyChange(node, data as IChangeEvent),
          onResync: resync,
          onError: error => {
            node.error = `Live updates are off: ${error.message}`;
            this.emit();
          }
        }
      ),
      this.live.subscribe(
        { kind: 'executions', star: node.star },
        {
          onEvent: data => this.applyExecution(node, data as IExecutionEvent),
          onResync: () => void this.loadExecutions(node),
          onError: error => {
            node.executions.unavailable = `Live execution updates are off: ${error.message}`;
            this.emit();
          }
        }
      )
    ]);
  }

  private async loadStar(node: IStarNode): Promise<void> {
    node.loading = true;
    node.duringLoad = node.duringLoad ?? [];
    this.emit();
    try {
      const types = await this.api.types(node.star);
      const lists = await Promise.all(
        types.map(t => this.api.resources(node.star, t.name, { limit: RESOURCES_PER_TYPE }))
      );
      const next = new Map<string, ITypeNode>();
      types.forEach((t, n) => {
        next.set(t.name, {
          name: t.name,
          expanded: node.types.get(t.name)?.expanded ?? true,
          resources: new Map(lists[n].map(r => [r.id, item(r)]))
        });
      });
      node.types = sortedMap(next);
      node.error = null;
    } catch (error) {
      node.error = (error as Error).message;
    }
    // The read may predate changes already received (we subscribed first): replay them, in
    // order, so the tree ends at the latest state whichever answer came first.
    const missed = node.duringLoad ?? [];
    node.duringLoad = null;
    missed.forEach(change => this.applyChange(node, change));
    node.loading = false;
    this.emit();
    await Promise.all([this.loadExecutions(node), this.loadTriggers(node)]);
  }

  private async loadTriggers(node: IStarNode): Promise<void> {
    try {
      const { triggers } = await this.api.triggers(node.star);
      node.triggers = { unavailable: null, items: triggers };
    } catch (error) {
      node.triggers = { unavailable: unavailable('triggers', error), items: [] };
    }
    this.emit();
  }

  private async loadExecutions(node: IStarNode): Promise<void> {
    try {
      const { executions } = await this.api.executions(node.star, { limit: 50 });
      node.executions = {
        unavailable: null,
        items: new Map(executions.map(e => [e.id, e]))
      };
    } catch (error) {
      node.executions = { unavailable: unavailable('executions', error), items: new Map() };
    }
    this.emit();
  }

  private applyChange(node: IStarNode, change: IChangeEvent): void {
    node.duringLoad?.push(change);
    let type = node.types.get(change.type);
    if (!type) {
      type = { name: change.type, expanded: true, resources: new Map() };
      node.types.set(change.type, type);
      node.types = sortedMap(node.types);
    }
    if (change.op === 'delete') {
      type.resources.delete(change.id);
    } else {
      type.resources.set(change.id, {
        id: change.id,
        etag: change.resource.etag,
        changedBy: change.changed_by
      });
      type.resources = sortedMap(type.resources);
    }
    this.emit();
  }

  private applyExecution(node: IStarNode, event: IExecutionEvent): void {
    const known = node.executions.items.get(event.execution_id);
    if (!known) {
      void this.loadExecutions(node); // a new execution: read its summary
      return;
    }
    const at = event.entry.written_at;
    known.status = event.status;
    known.updated_at = at instanceof Date ? at.toISOString() : String(at);
    this.emit();
  }
}
