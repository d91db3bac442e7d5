/**
 * Nebula's REST API from the browser: one typed function per route, all through JupyterLab's
 * `ServerConnection` (it adds the token and the XSRF header). Failures throw `NebulaApiError`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  ActionsOut,
  ExecutionDetailOut,
  ExecutionListOut,
  ExecutionOut,
  ExpressionCheckIn,
  ExpressionCheckOut,
  JournalOut,
  PutOp,
  DeleteOp,
  ResourceOut,
  StartExecutionIn,
  TriggerListOut,
  ValidateIn,
  ValidationOut,
  WorkflowFileIn,
  WorkflowFileOut
} from '../generated/models';
import { NebulaApiError } from './errors';

export const API_PATH = 'nebula/api/v1';

// Routes whose handlers have no pydantic response model yet (so nothing to generate from).
export interface IStars {
  stars: string[];
  default: string;
}

export interface ITypeInfo {
  name: string;
  versions: { version: number; json_schema: Record<string, unknown> }[];
}

export interface IFieldChange {
  path: (string | number)[];
  old: unknown;
  new: unknown;
  kind: string;
}

export interface IDiff {
  before: ResourceOut | null;
  after: ResourceOut | null;
  changes: IFieldChange[];
}

export interface ITable {
  columns: string[];
  rows: Record<string, unknown>[];
  summary?: Record<string, unknown>;
}

export type LookbackKind = 'find' | 'time-series' | 'time-in-state' | 'transitions' | 'cube';

type Query = Record<string, string | number | undefined | null>;

/** A client bound to one server's connection settings. */
export class NebulaApi {
  constructor(readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()) {}

  /** The URL of an API path (segments are escaped one by one). */
  url(segments: string[], query: Query = {}): string {
    const path = URLExt.join(
      this.settings.baseUrl,
      API_PATH,
      ...segments.map(s => encodeURIComponent(s))
    );
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        params.set(key, String(value));
      }
    }
    const search = params.toString();
    return search ? `${path}?${search}` : path;
  }

  async request<T>(
    method: string,
    segments: string[],
    options: { query?: Query; body?: unknown; headers?: Record<string, string> } = {}
  ): Promise<T> {
    const init: RequestInit = { method, headers: { ...options.headers } };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        this.url(segments, options.query),
        init,
        this.settings
      );
    } catch (error) {
      throw new NebulaApiError(
        'network_error',
        `Could not reach the Jupyter server: ${(error as Error).message}`,
        0
      );
    }
    const text = await response.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = { error: { code: `http_${response.status}`, message: text.slice(0, 200) } };
    }
    if (!response.ok) {
      throw NebulaApiError.fromBody(body, response.status);
    }
    return body as T;
  }

  // -- stars and types ---------------------------------------------------------------------

  stars(): Promise<IStars> {
    return this.request('GET', ['stars']);
  }

  async types(star: string): Promise<ITypeInfo[]> {
    const body = await this.request<{ types: ITypeInfo[] }>('GET', ['stars', star, 'types']);
    return body.types;
  }

  // -- resources ---------------------------------------------------------------------------

  async resources(
    star: string,
    type: string,
    page: { after?: string; limit?: number } = {}
  ): Promise<ResourceOut[]> {
    const body = await this.request<{ resources: ResourceOut[] }>(
      'GET',
      ['stars', star, 'resources', type],
      { query: page }
    );
    return body.resources;
  }

  /** A resource now, or as it was at `asOf` (ISO 8601). */
  resource(star: string, type: string, id: string, asOf?: string): Promise<ResourceOut> {
    return this.request('GET', ['stars', star, 'resources', type, id], {
      query: { as_of: asOf }
    });
  }

  /** Write a value; `etag` makes it conditional (a 409 `NebulaApiError` if it moved on). */
  putResource(
    star: string,
    type: string,
    id: string,
    value: Record<string, unknown>,
    precondition: { etag?: string; mustNotExist?: boolean } = {}
  ): Promise<ResourceOut> {
    const headers: Record<string, string> = {};
    if (precondition.etag) {
      headers['If-Match'] = `"${precondition.etag}"`;
    } else if (precondition.mustNotExist) {
      headers['If-None-Match'] = '*';
    }
    return this.request('PUT', ['stars', star, 'resources', type, id], { body: value, headers });
  }

  deleteResource(star: string, type: string, id: string, etag?: string): Promise<ResourceOut> {
    const headers: Record<string, string> = etag ? { 'If-Match': `"${etag}"` } : {};
    return this.request('DELETE', ['stars', star, 'resources', type, id], { headers });
  }

  /** Every snapshot of a resource, oldest first. */
  async history(star: string, type: string, id: string): Promise<ResourceOut[]> {
    const body = await this.request<{ snapshots: ResourceOut[] }>('GET', [
      'stars',
      star,
      'resources',
      type,
      id,
      'history'
    ]);
    return body.snapshots;
  }

  /** Field-level changes between the resource at `start` and at `end` (ISO 8601). */
  diff(star: string, type: string, id: string, start: string, end: string): Promise<IDiff> {
    return this.request('GET', ['stars', star, 'resources', type, id, 'diff'], {
      query: { start, end }
    });
  }

  async transaction(star: string, ops: (PutOp | DeleteOp)[]): Promise<ResourceOut[]> {
    const body = await this.request<{ results: ResourceOut[] }>(
      'POST',
      ['stars', star, 'transactions'],
      { body: { ops } }
    );
    return body.results;
  }

  lookback(star: string, kind: LookbackKind, query: Record<string, unknown>): Promise<ITable> {
    return this.request('POST', ['stars', star, 'lookback', kind], { body: query });
  }

  // -- workflows and executions --------------------------------------------------------------

  actions(): Promise<ActionsOut> {
    return this.request('GET', ['actions']);
  }

  validateWorkflow(body: ValidateIn): Promise<ValidationOut> {
    return this.request('POST', ['workflows', 'validate'], { body });
  }

  checkExpression(body: ExpressionCheckIn): Promise<ExpressionCheckOut> {
    return this.request('POST', ['expressions', 'check'], { body });
  }

  saveWorkflowFile(body: WorkflowFileIn): Promise<WorkflowFileOut> {
    return this.request('PUT', ['workflows', 'file'], { body });
  }

  executions(
    star: string,
    filter: { status?: string; workflow_id?: string; limit?: number } = {}
  ): Promise<ExecutionListOut> {
    return this.request('GET', ['stars', star, 'executions'], { query: filter });
  }

  startExecution(star: string, body: StartExecutionIn): Promise<ExecutionOut> {
    return this.request('POST', ['stars', star, 'executions'], { body });
  }

  execution(star: string, id: string): Promise<ExecutionDetailOut> {
    return this.request('GET', ['stars', star, 'executions', id]);
  }

  journal(star: string, id: string, after?: number): Promise<JournalOut> {
    return this.request('GET', ['stars', star, 'executions', id, 'journal'], {
      query: { after }
    });
  }

  cancelExecution(star: string, id: string): Promise<ExecutionOut> {
    return this.request('POST', ['stars', star, 'executions', id, 'cancel']);
  }

  resumeExecution(star: string, id: string): Promise<ExecutionOut> {
    return this.request('POST', ['stars', star, 'executions', id, 'resume']);
  }

  /** The triggers the server runs for the star (its deployed workflow files). */
  triggers(star: string): Promise<TriggerListOut> {
    return this.request('GET', ['stars', star, 'triggers']);
  }
}
