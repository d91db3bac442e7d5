import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { NebulaApiError } from '../api/errors';
import { ILiveSocket, LiveClient, PROTOCOL } from './client';
import { NebulaDecimal } from './codec';

/** A socket the test drives by hand: it records what the client sends. */
class FakeSocket implements ILiveSocket {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];

  constructor(
    readonly url: string,
    readonly protocols: string[]
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) {
      throw new Error('send on a socket that is not open');
    }
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) {
      return;
    }
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  lastSent(type: string): Record<string, unknown> {
    const found = this.sent.filter(m => m.type === type);
    expect(found.length).toBeGreaterThan(0);
    return found[found.length - 1];
  }
}

describe('LiveClient', () => {
  let sockets: FakeSocket[];
  let client: LiveClient;

  const latest = (): FakeSocket => sockets[sockets.length - 1];

  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    client = new LiveClient({
      url: 'ws://host/nebula/api/v1/live',
      clientId: 'tab1',
      createSocket: (url, protocols) => {
        const socket = new FakeSocket(url, protocols);
        sockets.push(socket);
        return socket;
      },
      backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 },
      random: () => 0.5,
      pingIntervalMs: 1000,
      pongTimeoutMs: 300
    });
  });

  afterEach(() => {
    client.dispose();
    vi.useRealTimers();
  });

  it('offers the protocol and the tab id as subprotocols', () => {
    expect(latest().protocols).toEqual([PROTOCOL, 'nebula.client.tab1']);
    expect(latest().url).toBe('ws://host/nebula/api/v1/live');
  });

  it('settles each call by its request id, decoding typed values', async () => {
    latest().open();
    const first = client.call('get', { type: 'Order', id: 'a' });
    const second = client.call('get', { type: 'Order', id: 'b' });
    const [callA, callB] = latest().sent;
    expect(callA).toMatchObject({ type: 'call', target: 'resources', method: 'get' });
    expect(callA.id).not.toBe(callB.id);
    latest().receive({
      type: 'result',
      id: callB.id,
      value: {
        total: { $t: 'decimal', v: '1.10' },
        at: { $t: 'datetime', v: '2024-05-01T12:00:00+00:00' }
      }
    });
    latest().receive({ type: 'result', id: callA.id, value: { id: 'a' } });
    expect(await first).toEqual({ id: 'a' });
    const b = (await second) as { total: NebulaDecimal; at: Date };
    expect(b.total).toBeInstanceOf(NebulaDecimal);
    expect(b.total.text).toBe('1.10');
    expect(b.at.toISOString()).toBe('2024-05-01T12:00:00.000Z');
  });

  it('rejects a call answered by an error with the typed error', async () => {
    latest().open();
    const call = client.call('get', { type: 'Order', id: 'gone' });
    const { id } = latest().lastSent('call');
    latest().receive({
      type: 'error',
      id,
      error: { code: 'resource_not_found', message: 'No Order gone.', details: { id: 'gone' } }
    });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NebulaApiError);
    expect(error).toMatchObject({ code: 'resource_not_found', details: { id: 'gone' } });
  });

  it('sends calls made before the socket opened once it opens', async () => {
    const call = client.call('stars');
    expect(latest().sent).toEqual([]);
    latest().open();
    const { id } = latest().lastSent('call');
    latest().receive({ type: 'result', id, value: ['a.b.c'] });
    expect(await call).toEqual(['a.b.c']);
  });

  it('rejects calls in flight when the connection drops', async () => {
    latest().open();
    const call = client.call('get', { type: 'Order', id: 'a' });
    latest().close(1006);
    await expect(call).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('reconnects with exponential backoff and jitter', () => {
    latest().open();
    expect(client.backoffDelay(0)).toBe(75); // 100 * (1 - 0.5 * 0.5)
    expect(client.backoffDelay(1)).toBe(150);
    expect(client.backoffDelay(5)).toBe(750); // capped at 1000 before jitter
    latest().close(1006);
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(74);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    latest().close(1006); // the second attempt fails too: the wait doubles
    vi.advanceTimersByTime(149);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    latest().open();
    expect(client.status).toBe('open');
    latest().close(1006); // a successful open resets the backoff
    vi.advanceTimersByTime(75);
    expect(sockets).toHaveLength(4);
  });

  it('resumes each subscription from the last sequence it received', () => {
    latest().open();
    const seen: number[] = [];
    const sub = client.subscribe(
      { kind: 'resources', type: 'Order' },
      { onEvent: (_data, seq) => seen.push(seq) }
    );
    const subscribe = latest().lastSent('subscribe');
    expect(subscribe).toEqual({
      type: 'subscribe',
      id: sub.id,
      topic: { kind: 'resources', type: 'Order' }
    });
    latest().receive({ type: 'result', id: sub.id, value: { seq: 10 } });
    expect(sub.lastSeq).toBe(10);
    latest().receive({ type: 'event', sub: sub.id, seq: 11, data: { op: 'put' } });
    latest().receive({ type: 'event', sub: sub.id, seq: 12, data: { op: 'put' } });
    latest().close(1006);
    vi.advanceTimersByTime(75);
    latest().open();
    expect(latest().lastSent('subscribe')).toEqual({ ...subscribe, since: 12 });
    latest().receive({ type: 'result', id: sub.id, value: { seq: 14 } });
    expect(sub.lastSeq).toBe(12); // a resume moves on with the replayed events
    latest().receive({ type: 'event', sub: sub.id, seq: 13, data: { op: 'put' } });
    expect(seen).toEqual([11, 12, 13]);
    expect(sub.lastSeq).toBe(13);
  });

  it('resumes from the sequence the server started it at when no event came', () => {
    latest().open();
    const sub = client.subscribe({ kind: 'resources' }, { onEvent: () => undefined });
    latest().receive({ type: 'result', id: sub.id, value: { seq: 7 } });
    latest().close(1006);
    vi.advanceTimersByTime(75);
    latest().open();
    expect(latest().lastSent('subscribe')).toMatchObject({ id: sub.id, since: 7 });
  });

  it('tells the subscriber to re-read on resync and resumes after it', () => {
    latest().open();
    const resyncs: string[] = [];
    const sub = client.subscribe(
      { kind: 'resources' },
      { onEvent: () => undefined, onResync: reason => resyncs.push(reason) }
    );
    latest().receive({ type: 'result', id: sub.id, value: { seq: 3 } });
    latest().receive({ type: 'resync', sub: sub.id, seq: 5000, reason: 'too many missed' });
    expect(resyncs).toEqual(['too many missed']);
    expect(sub.lastSeq).toBe(5000);
  });

  it('starts afresh and resyncs when the server cannot resume', () => {
    latest().open();
    const resyncs: string[] = [];
    const sub = client.subscribe(
      { kind: 'resources' },
      { onEvent: () => undefined, onResync: reason => resyncs.push(reason) }
    );
    latest().receive({ type: 'result', id: sub.id, value: { seq: 9 } });
    latest().close(1006);
    vi.advanceTimersByTime(75);
    latest().open();
    latest().receive({
      type: 'error',
      id: sub.id,
      error: { code: 'invalid_request', message: 'Cannot resume from 9.', details: {} }
    });
    expect(resyncs).toEqual(['Cannot resume from 9.']);
    const fresh = latest().lastSent('subscribe');
    expect(fresh).toEqual({ type: 'subscribe', id: sub.id, topic: { kind: 'resources' } });
  });

  it('reports a refused subscription to its subscriber and forgets it', () => {
    latest().open();
    const errors: NebulaApiError[] = [];
    const sub = client.subscribe(
      { kind: 'resources', star: 'x.y.z' },
      { onEvent: () => undefined, onError: e => errors.push(e) }
    );
    latest().receive({
      type: 'error',
      id: sub.id,
      error: { code: 'forbidden', message: 'No access to x.y.z.', details: {} }
    });
    expect(errors.map(e => e.code)).toEqual(['forbidden']);
    latest().close(1006);
    vi.advanceTimersByTime(75);
    latest().open();
    expect(latest().sent.filter(m => m.type === 'subscribe')).toEqual([]);
  });

  it('stops delivering after unsubscribe and tells the server', () => {
    latest().open();
    const seen: number[] = [];
    const sub = client.subscribe({ kind: 'resources' }, { onEvent: (_d, s) => seen.push(s) });
    sub.unsubscribe();
    expect(latest().lastSent('unsubscribe')).toEqual({ type: 'unsubscribe', id: sub.id });
    latest().receive({ type: 'event', sub: sub.id, seq: 1, data: {} });
    expect(seen).toEqual([]);
  });

  it('pings, and replaces a connection whose pong does not come', () => {
    latest().open();
    vi.advanceTimersByTime(1000);
    const ping = latest().lastSent('ping');
    latest().receive({ type: 'pong', id: ping.id });
    vi.advanceTimersByTime(1000); // the next ping goes unanswered
    expect(latest().sent.filter(m => m.type === 'ping')).toHaveLength(2);
    vi.advanceTimersByTime(300);
    expect(client.status).toBe('reconnecting');
    vi.advanceTimersByTime(75);
    expect(sockets).toHaveLength(2);
  });

  it('reports errors that answer no request', () => {
    latest().open();
    const errors: string[] = [];
    client.errors.connect((_c, e) => errors.push(e.code));
    latest().receive({
      type: 'error',
      id: null,
      error: { code: 'invalid_request', message: 'not JSON', details: {} }
    });
    expect(errors).toEqual(['invalid_request']);
  });
});
