/**
 * The one error type of Nebula's browser clients (REST and live): the server's typed error
 * `{code, message, details}` plus the HTTP status (0 when it came over the WebSocket).
 */
export class NebulaApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    status: number,
    details: Record<string, unknown> = {}
  ) {
    super(message);
    this.name = 'NebulaApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }

  /** A failed eTag precondition: someone else changed the resource first. */
  get isConflict(): boolean {
    return this.status === 409 || this.status === 412 || this.code.endsWith('conflict');
  }

  /** Field-level validation problems (`validation_failed`), if any. */
  get fieldErrors(): IFieldError[] {
    const errors = this.details.errors;
    return Array.isArray(errors) ? (errors as IFieldError[]) : [];
  }

  /** Build one from a server error body (`{"error": {...}}` or the inner object). */
  static fromBody(body: unknown, status: number): NebulaApiError {
    const outer = (body ?? {}) as Record<string, unknown>;
    const inner = (
      typeof outer.error === 'object' && outer.error !== null ? outer.error : outer
    ) as Record<string, unknown>;
    const code = typeof inner.code === 'string' ? inner.code : `http_${status}`;
    const message =
      typeof inner.message === 'string' ? inner.message : `The server answered ${status}.`;
    const details =
      typeof inner.details === 'object' && inner.details !== null
        ? (inner.details as Record<string, unknown>)
        : {};
    return new NebulaApiError(code, message, status, details);
  }
}

/** One problem with one field of a value, as the server reports it. */
export interface IFieldError {
  path: (string | number)[];
  location: string;
  message: string;
  kind: string;
}
