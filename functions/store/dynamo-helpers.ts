import { createHash } from 'node:crypto';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { StoreThrottledError, toStoreError } from './errors.js';

/** A DynamoDB item as the document client returns it. */
export type Item = Record<string, unknown>;

/** DynamoDB's limit on the requests inside one BatchWriteItem call. */
export const BATCH_WRITE_MAX_ITEMS = 25;

/** DynamoDB's limit on the keys inside one BatchGetItem call. */
export const BATCH_GET_MAX_KEYS = 100;

/**
 * Calls made for one batch before giving up on unprocessed items. Bounded so
 * a throttled table fails the run (which is safe to retry) rather than
 * eating the Lambda's remaining time.
 */
export const BATCH_MAX_ATTEMPTS = 8;

const BATCH_BACKOFF_BASE_MS = 25;
const BATCH_BACKOFF_CAP_MS = 1_000;

/**
 * True when DynamoDB refused a write because its condition did not hold.
 *
 * @param error what the SDK threw
 * @returns whether it is a ConditionalCheckFailedException
 */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof Error && error.name === 'ConditionalCheckFailedException'
  );
}

/**
 * Runs one SDK call and wraps whatever it throws in a store error.
 *
 * @param operation the store operation, e.g. `runs.get`
 * @param target the item or table concerned
 * @param call the SDK call
 * @returns what the call returned
 */
export async function storeCall<T>(
  operation: string,
  target: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toStoreError(error, operation, target);
  }
}

/**
 * Queries every page of a key condition and returns all items.
 *
 * @param client the document client
 * @param input the query; `ExclusiveStartKey` is managed here
 * @param operation the store operation, for errors
 * @returns the items of every page, in index order
 */
export async function queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  operation: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await storeCall(operation, input.TableName ?? '', () =>
      client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);

  return items;
}

/**
 * Puts items with BatchWriteItem, 25 per call, retrying unprocessed items
 * with jittered exponential backoff.
 *
 * @param client the document client
 * @param table the table name
 * @param items the items to put (each overwrites its key: idempotent)
 * @param operation the store operation, for errors
 * @throws StoreThrottledError when items stay unprocessed after
 *   BATCH_MAX_ATTEMPTS calls
 */
export async function batchPutAll(
  client: DynamoDBDocumentClient,
  table: string,
  items: readonly Item[],
  operation: string,
): Promise<void> {
  for (const chunk of chunks(items, BATCH_WRITE_MAX_ITEMS)) {
    let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > BATCH_MAX_ATTEMPTS) {
        throw new StoreThrottledError(
          operation,
          table,
          `${operation}: ${pending.length} items stayed unprocessed after ${BATCH_MAX_ATTEMPTS} attempts; retry later`,
        );
      }
      if (attempt > 1) await backoff(attempt);

      const requests = pending;
      const result = await storeCall(operation, table, () =>
        client.send(
          new BatchWriteCommand({ RequestItems: { [table]: requests } }),
        ),
      );
      pending = (result.UnprocessedItems?.[table] ?? []).flatMap((request) =>
        request.PutRequest?.Item
          ? [{ PutRequest: { Item: request.PutRequest.Item } }]
          : [],
      );
    }
  }
}

/**
 * Splits a list into consecutive slices of at most `size` elements.
 *
 * @param list the list
 * @param size the largest slice
 * @returns the slices, in order
 */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < list.length; start += size) {
    result.push(list.slice(start, start + size));
  }

  return result;
}

/**
 * Waits before retry number `attempt` (2 or more): full jitter over an
 * exponentially growing window, as AWS recommends for batch leftovers.
 *
 * @param attempt the attempt about to be made
 */
export async function backoff(attempt: number): Promise<void> {
  const windowMs = Math.min(
    BATCH_BACKOFF_CAP_MS,
    BATCH_BACKOFF_BASE_MS * 2 ** (attempt - 1),
  );
  await new Promise((resolve) => setTimeout(resolve, Math.random() * windowMs));
}

/**
 * Builds an UpdateExpression that sets the defined fields and removes the
 * undefined ones, with every name behind a placeholder (many of ours, such
 * as `status`, are DynamoDB reserved words).
 *
 * @param fields attribute names and new values (`undefined` removes)
 * @returns the expression with its names and values
 * @example
 * buildUpdate({ status: 'running', error: undefined });
 * // UpdateExpression: 'SET #status = :status REMOVE #error'
 */
export function buildUpdate(fields: Record<string, unknown>): {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const entries = Object.entries(fields);
  const set = entries.filter(([, value]) => value !== undefined);
  const remove = entries.filter(([, value]) => value === undefined);
  const clauses = [
    set.length ? `SET ${set.map(([n]) => `#${n} = :${n}`).join(', ')}` : '',
    remove.length ? `REMOVE ${remove.map(([n]) => `#${n}`).join(', ')}` : '',
  ];

  return {
    UpdateExpression: clauses.filter(Boolean).join(' '),
    ExpressionAttributeNames: Object.fromEntries(
      entries.map(([name]) => [`#${name}`, name]),
    ),
    ExpressionAttributeValues: Object.fromEntries(
      set.map(([name, value]) => [`:${name}`, value]),
    ),
  };
}

/**
 * Longest value (UTF-8 bytes) put into a key as it is. DynamoDB rejects
 * partition keys over 2048 bytes, and a hostile message can carry a
 * Message-ID that long; such a value is replaced by its SHA-256 so the
 * message is still stored (and deduplicated) instead of failing every run.
 */
export const MAX_KEY_PART_BYTES = 1_024;

/**
 * A value made safe to embed in a key: itself, or `sha256=<hex>` when it is
 * longer than MAX_KEY_PART_BYTES. The same input always gives the same
 * result, so lookups find what writes stored.
 *
 * @param value the value to embed
 * @returns the key part
 */
export function keyPart(value: string): string {
  if (Buffer.byteLength(value, 'utf8') <= MAX_KEY_PART_BYTES) return value;

  return `sha256=${createHash('sha256').update(value, 'utf8').digest('hex')}`;
}

/**
 * A copy of an item without the named attributes (keys, index keys).
 *
 * @param item the stored item
 * @param names the attributes to drop
 * @returns the record the store hands out
 */
export function withoutAttributes<T>(item: Item, names: readonly string[]): T {
  const record: Item = { ...item };
  for (const name of names) delete record[name];

  return record as T;
}
