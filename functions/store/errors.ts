import { TechmailError } from '../commons/errors.js';

/**
 * A call to a storage service (DynamoDB, S3, Secrets Manager) failed for a
 * reason the caller cannot fix by changing its input. The SDK error is kept
 * as `cause`; the message names the operation and the item, never a value.
 */
export class StoreError extends TechmailError {
  /**
   * @param operation the store operation, e.g. `runs.appendMessages`
   * @param target the item, table, bucket or secret concerned
   * @param message what failed and what to do next
   * @param options the standard `cause`
   */
  constructor(
    readonly operation: string,
    readonly target: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/**
 * The storage service throttled the call or kept leaving work unprocessed
 * after bounded retries. Retrying later (a new run, an async retry) is safe
 * because every store write is idempotent.
 */
export class StoreThrottledError extends StoreError {
  /**
   * @param operation the store operation
   * @param target the item, table or bucket concerned
   * @param message what was left undone
   * @param options the standard `cause`
   */
  constructor(
    operation: string,
    target: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(operation, target, message, options);
    this.name = 'StoreThrottledError';
  }
}

/** SDK error names that mean "slow down", not "this request is wrong". */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'SlowDown',
]);

/**
 * Turns anything a storage SDK threw into a typed error. Errors the service
 * already typed (validation, not found, conflict) pass through unchanged.
 *
 * @param error what was thrown
 * @param operation the store operation, e.g. `mailboxes.create`
 * @param target the item, table, bucket or secret concerned
 * @returns a TechmailError to throw
 * @example
 * try { await client.send(command); }
 * catch (error) { throw toStoreError(error, 'runs.get', runId); }
 */
export function toStoreError(
  error: unknown,
  operation: string,
  target: string,
): TechmailError {
  if (error instanceof TechmailError) return error;

  const name = error instanceof Error ? error.name : 'UnknownError';
  if (THROTTLING_ERROR_NAMES.has(name)) {
    return new StoreThrottledError(
      operation,
      target,
      `${operation} on ${target} was throttled (${name}); retry later`,
      { cause: error },
    );
  }

  return new StoreError(
    operation,
    target,
    `${operation} on ${target} failed (${name}); retry, and if it persists see the cause`,
    { cause: error },
  );
}
