/**
 * The browser's client of Nebula's live gateway: one WebSocket per tab carrying calls,
 * subscriptions and their events (see DESIGN.md, "Live protocol").
 *
 * - The client id travels as the second subprotocol (`nebula.client.<id>`), never in the URL.
 * - Calls get request ids; their `result`/`error` replies settle the matching promise. A call
 *   in flight when the socket drops is rejected (`disconnected`): never a silent drop.
 * - Subscriptions survive reconnects: each remembers the last sequence it received and is sent
 *   again with `since`, so the server replays exactly what was missed (or says `resync`).
 * - Reconnects back off exponentially with jitter; a ping that gets no pong in time closes the
 *   socket so that a dead connection is noticed and replaced.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { NebulaApiError } from '../api/errors';
import type {
  ClientMessage,
  ErrorReply,
  EventMessage,
  ResyncMessage,
  ServerMessage,
  Topic
} from '../generated/models';
import { decode, encode } from './codec';

export const PROTOCOL = 'nebula.v1';
const OPEN = 1;

/** The part of the browser's WebSocket this client uses (tests pass a fake). */
export interface ILiveSocket {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type SocketFactory = (url: string, protocols: string[]) => ILiveSocket;

export interface IBackoff {
  /** The first retry's delay, before jitter. */
  initialMs: number;
  /** The longest delay between attempts. */
  maxMs: number;
  factor: number;
  /** The share of each delay taken off at random (0 = none, 1 = "full jitter"). */
  jitter: number;
}

export interface ILiveClientOptions {
  /** The gateway's ws:// or wss:// URL. */
  url: string;
  /** Stable per browser tab (see `tabClientId`). */
  clientId: string;
  createSocket?: SocketFactory;
  backoff?: Partial<IBackoff>;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Defaults to Math.random (tests fix it). */
  random?: () => number;
}

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What a subscriber is told. `data` is decoded typed JSON. */
export interface ISubscriptionHandlers {
  onEvent(data: unknown, seq: number): void;
  /** The server could not replay what was missed: re-read the state from scratch. */
  onResync?(reason: string, seq: number): void;
  onError?(error: NebulaApiError): void;
}

export interface ILiveSubscription {
  readonly id: string;
  readonly topic: Topic;
  /** The last sequence received (or the star's latest when the subscription started). */
  readonly lastSeq: number | null;
  unsubscribe(): void;
}

interface IPendingCall {
  resolve(value: unknown): void;
  reject(error: NebulaApiError): void;
}

class Subscription implements ILiveSubscription {
  lastSeq: number | null = null;
  /** Whether the server answered the subscribe on the current socket. */
  acknowledged = false;
  /** Whether the subscribe in flight resumes (`since`) rather than starts fresh. */
  resuming = false;

  constructor(
    readonly id: string,
    readonly topic: Topic,
    readonly handlers: ISubscriptionHandlers,
    private readonly owner: LiveClient
  ) {}

  unsubscribe(): void {
    this.owner.unsubscribe(this);
  }
}

const DEFAULT_BACKOFF: IBackoff = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

export class LiveClient {
  private readonly options: Required<Omit<ILiveClientOptions, 'backoff'>> & {
    backoff: IBackoff;
  };
  private socket: ILiveSocket | null = null;
  private _status: LiveStatus = 'connecting';
  private readonly statusSignal = new Signal<this, LiveStatus>(this);
  private readonly errorSignal = new Signal<this, NebulaApiError>(this);
  private readonly pending = new Map<string, IPendingCall>();
  private readonly queued: string[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private nextId = 1;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: ILiveClientOptions) {
    this.options = {
      createSocket: (url, protocols) => new WebSocket(url, protocols) as unknown as ILiveSocket,
      pingIntervalMs: 25_000,
      pongTimeoutMs: 10_000,
      random: Math.random,
      ...options,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff }
    };
    this.connect();
  }

  get status(): LiveStatus {
    return this._status;
  }

  /** Emits each status change (open, reconnecting, ...). */
  get statusChanged(): ISignal<this, LiveStatus> {
    return this.statusSignal;
  }

  /** Errors the server sent that answer no request of ours. */
  get errors(): ISignal<this, NebulaApiError> {
    return this.errorSignal;
  }

  /** The delay before reconnect attempt `attempt` (0-based), jitter included. */
  backoffDelay(attempt: number): number {
    const { initialMs, maxMs, factor, jitter } = this.options.backoff;
    const base = Math.min(maxMs, initialMs * Math.pow(factor, attempt));
    return Math.round(base * (1 - jitter * this.options.random()));
  }

  /** Call a method of the server's `resources` object; args and result are typed JSON. */
  call(method: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.newId('c');
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({
        type: 'call',
        id,
        target: 'resources',
        method,
        args: encode(args) as Record<string, unknown>
      });
    });
  }

  /** Follow a topic; the subscription outlives reconnects until `unsubscribe()`. */
  subscribe(topic: Topic, handlers: ISubscriptionHandlers): ILiveSubscription {
    const sub = new Subscription(this.newId('s'), topic, handlers, this);
    this.subscriptions.set(sub.id, sub);
    if (this.socket?.readyState === OPEN) {
      this.sendSubscribe(sub);
    }
    return sub;
  }

  unsubscribe(sub: ILiveSubscription): void {
    if (!this.subscriptions.delete(sub.id)) {
      return;
    }
    if (this.socket?.readyState === OPEN) {
      this.socket.send(JSON.stringify({ type: 'unsubscribe', id: sub.id }));
    }
  }

  /** Close for good: no reconnect; calls in flight are rejected. */
  dispose(): void {
    if (this._status === 'closed') {
      return;
    }
    this.setStatus('closed');
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'client closed');
    }
    this.failPending('The live connection was closed.');
    this.subscriptions.clear();
    Signal.clearData(this);
  }

  private newId(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  private setStatus(status: LiveStatus): void {
    if (status !== this._status) {
      this._status = status;
      this.statusSignal.emit(status);
    }
  }

  private connect(): void {
    this.reconnectTimer = null;
    const protocols = [PROTOCOL, `nebula.client.${this.options.clientId}`];
    const socket = this.options.createSocket(this.options.url, protocols);
    this.socket = socket;
    socket.onopen = () => this.onOpen();
    socket.onmessage = event => this.onMessage(event.data);
    socket.onclose = () => this.onClose(socket);
    socket.onerror = () => undefined; // a close event always follows; it reconnects
  }

  private onOpen(): void {
    this.attempt = 0;
    this.setStatus('open');
    for (const sub of this.subscriptions.values()) {
      this.sendSubscribe(sub);
    }
    for (const frame of this.queued.splice(0)) {
      this.socket?.send(frame);
    }
    this.pingTimer = setInterval(() => this.ping(), this.options.pingIntervalMs);
  }

  private onClose(socket: ILiveSocket): void {
    if (socket !== this.socket) {
      return;
    }
    this.socket = null;
    this.clearTimers();
    this.failPending('The live connection dropped before the server answered; retry.');
    for (const sub of this.subscriptions.values()) {
      sub.acknowledged = false;
    }
    if (this._status === 'closed') {
      return;
    }
    this.setStatus('reconnecting');
    const delay = this.backoffDelay(this.attempt++);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private ping(): void {
    if (this.pongTimer !== null) {
      return;
    }
    this.socket?.send(JSON.stringify({ type: 'ping', id: this.newId('p') }));
    this.pongTimer = setTimeout(() => {
      this.pongTimer = null;
      this.socket?.close(4000, 'no pong');
    }, this.options.pongTimeoutMs);
  }

  private clearTimers(): void {
    if (this.reconnectTimer !== null) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    if (this.pingTimer !== null) {
      clearInterval(this.pingTimer);
      this.pingTimer = null;
    }
    if (this.pongTimer !== null) {
      clearTimeout(this.pongTimer);
      this.pongTimer = null;
    }
  }

  private failPending(message: string): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) {
      call.reject(new NebulaApiError('disconnected', message, 0));
    }
  }

  private send(message: ClientMessage): void {
    const frame = JSON.stringify(message);
    if (this.socket?.readyState === OPEN) {
      this.socket.send(frame);
    } else {
      this.queued.push(frame);
    }
  }

  private sendSubscribe(sub: Subscription): void {
    sub.resuming = sub.lastSeq !== null;
    const message: ClientMessage = { type: 'subscribe', id: sub.id, topic: sub.topic };
    if (sub.lastSeq !== null) {
      message.since = sub.lastSeq;
    }
    this.socket?.send(JSON.stringify(message));
  }

  private onMessage(raw: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(raw)) as ServerMessage;
    } catch {
      this.errorSignal.emit(
        new NebulaApiError('protocol_error', 'The server sent a frame that is not JSON.', 0)
      );
      return;
    }
    switch (message.type) {
      case 'result':
        this.onResult(message.id, message.value);
        break;
      case 'error':
        this.onError(message);
        break;
      case 'event':
        this.onEvent(message);
        break;
      case 'resync':
        this.onResync(message);
        break;
      case 'pong':
        if (this.pongTimer !== null) {
          clearTimeout(this.pongTimer);
          this.pongTimer = null;
        }
        break;
    }
  }

  private onResult(id: string, value: unknown): void {
    const call = this.pending.get(id);
    if (call) {
      this.pending.delete(id);
      call.resolve(decode(value));
      return;
    }
    const sub = this.subscriptions.get(id);
    if (sub && !sub.acknowledged) {
      sub.acknowledged = true;
      const latest = (value as { seq?: unknown } | null)?.seq;
      // A fresh subscription starts at the star's latest sequence; a resume keeps its own
      // (the replayed events that follow move it on).
      if (!sub.resuming && typeof latest === 'number') {
        sub.lastSeq = latest;
      }
    }
  }

  private onError(message: ErrorReply): void {
    const error = NebulaApiError.fromBody(message.error, 0);
    const id = message.id;
    const call = id === null ? undefined : this.pending.get(id);
    if (id !== null && call) {
      this.pending.delete(id);
      call.reject(error);
      return;
    }
    const sub = id === null ? undefined : this.subscriptions.get(id);
    if (!sub) {
      this.errorSignal.emit(error);
      return;
    }
    if (sub.resuming) {
      // The server cannot resume from our sequence (e.g. it restarted on another store):
      // start afresh and tell the subscriber to re-read.
      sub.lastSeq = null;
      this.sendSubscribe(sub);
      sub.handlers.onResync?.(error.message, 0);
      return;
    }
    this.subscriptions.delete(sub.id);
    sub.handlers.onError?.(error);
  }

  private onEvent(message: EventMessage): void {
    const sub = this.subscriptions.get(message.sub);
    if (!sub) {
      return; // an event that crossed our unsubscribe
    }
    sub.lastSeq = message.seq;
    sub.handlers.onEvent(decode(message.data), message.seq);
  }

  private onResync(message: ResyncMessage): void {
    const sub = this.subscriptions.get(message.sub);
    if (!sub) {
      return;
    }
    sub.lastSeq = message.seq;
    sub.handlers.onResync?.(message.reason, message.seq);
  }
}

/** An id for this browser tab: kept in sessionStorage, so a reload keeps it. */
export function tabClientId(storage: Pick<Storage, 'getItem' | 'setItem'>): string {
  const key = 'nebula.live.clientId';
  const known = storage.getItem(key);
  if (known && /^[A-Za-z0-9_-]{1,64}$/.test(known)) {
    return known;
  }
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  const id = Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
  storage.setItem(key, id);
  return id;
}
