import { describe, expect, it } from 'vitest';

import { NebulaApiError, type NebulaApi } from '../api';
import type { ISubscriptionHandlers, LiveClient } from '../live';
import { SidebarModel } from './model';

/** A REST client whose answers the test releases by hand, and a live client that records
 * subscriptions so the test can push events. */
function fakes() {
  const gates: (() => void)[] = [];
  const later = <T>(value: T) => new Promise<T>(resolve => gates.push(() => resolve(value)));
  const api = {
    stars: () => Promise.resolve({ stars: ['u.g.s'], default: 'u.g.s' }),
    types: () => later([{ name: 'Order', versions: [] }]),
    resources: () => Promise.resolve([{ id: 'a', etag: 'e1', changed_by: 'x' }]),
    executions: () => Promise.resolve({ executions: [] }),
    triggers: () =>
      Promise.resolve({
        triggers: [
          {
            kind: 'cron',
            id: 'nightly',
            star: 'u.g.s',
            workflow_id: 'report',
            file: 'report.workflow.yaml',
            schedule: '30 2 * * *',
            timezone: 'UTC'
          }
        ]
      })
  } as unknown as NebulaApi;
  const handlers: ISubscriptionHandlers[] = [];
  const live = {
    subscribe: (_topic: unknown, h: ISubscriptionHandlers) => {
      handlers.push(h);
      return { unsubscribe: () => undefined };
    }
  } as unknown as LiveClient;
  return { api, live, handlers, release: () => gates.splice(0).forEach(g => g()) };
}

const tick = () => new Promise(resolve => setTimeout(resolve, 0));

/** A model with its stars loaded, the REST answers released once it has subscribed. */
async function loaded(api: NebulaApi, live: LiveClient, release: () => void) {
  const model = new SidebarModel(api, live);
  const loading = model.load();
  await tick();
  release();
  await loading;
  return model;
}

describe('SidebarModel', () => {
  it('keeps a change that arrives while the tree is being read', async () => {
    const { api, live, handlers, release } = fakes();
    const model = new SidebarModel(api, live);
    const loading = model.load();
    await tick();
    // Subscribed before reading: a write lands between the read and its answer.
    handlers[0].onEvent(
      { op: 'put', type: 'Order', id: 'b', changed_by: 'kernel', resource: { etag: 'e2' } },
      5
    );
    release();
    await loading;
    const order = model.stars.get('u.g.s')!.types.get('Order')!;
    expect([...order.resources.keys()]).toEqual(['a', 'b']);
  });

  it('removes a deleted resource and adds a new type on the fly', async () => {
    const { api, live, handlers, release } = fakes();
    const model = await loaded(api, live, release);
    handlers[0].onEvent(
      { op: 'delete', type: 'Order', id: 'a', changed_by: 'x', resource: { etag: 'e3' } },
      6
    );
    handlers[0].onEvent(
      { op: 'put', type: 'Invoice', id: 'i1', changed_by: 'x', resource: { etag: 'e4' } },
      7
    );
    const types = model.stars.get('u.g.s')!.types;
    expect(types.get('Order')!.resources.size).toBe(0);
    expect([...types.keys()]).toEqual(['Invoice', 'Order']);
  });

  it('reads the triggers deployed for a star with it', async () => {
    const { api, live, release } = fakes();
    const model = await loaded(api, live, release);
    const { unavailable, items } = model.stars.get('u.g.s')!.triggers;
    expect(unavailable).toBeNull();
    expect(items.map(t => [t.id, t.workflow_id])).toEqual([['nightly', 'report']]);
  });

  it('says why triggers are missing when the server has no route for them', async () => {
    const { api, live, release } = fakes();
    api.triggers = () => Promise.reject(new NebulaApiError('not_found', 'no route', 404));
    const model = await loaded(api, live, release);
    const { unavailable, items } = model.stars.get('u.g.s')!.triggers;
    expect(unavailable).toBe('This server does not list triggers (no triggers route).');
    expect(items).toEqual([]);
  });
});
