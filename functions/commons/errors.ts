/**
 * Base class of every error the service raises on purpose. Subclasses name
 * the area (POP3, store, validation) and carry context fields; wrapping code
 * always passes the original error as `cause`.
 */
export class TechmailError extends Error {
  /**
   * @param message what failed, which item, and what to do next
   * @param options the standard `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TechmailError';
  }
}

/** A request or configuration value is not acceptable; names the field. */
export class ValidationError extends TechmailError {
  /**
   * @param field the field (or prop, or env var) that is wrong
   * @param message what is wrong with it and what would be accepted
   */
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

/** The item asked for does not exist. */
export class NotFoundError extends TechmailError {
  /**
   * @param kind what was looked for, e.g. `mailbox`
   * @param id its identifier
   */
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind} ${id} was not found`);
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with the current state (duplicate, run active). */
export class ConflictError extends TechmailError {
  /**
   * @param message what conflicts
   * @param details extra fields returned to the client, e.g. `{ runId }`
   */
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}
