import {
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../commons/errors.js';
import { type Item, storeCall } from './dynamo-helpers.js';
import type { IncidentQuery } from './ports.js';

/** Largest page of the incident listing. */
export const MAX_INCIDENT_PAGE = 100;

/** Longest nextToken accepted; a real one is about 200 characters. */
const MAX_NEXT_TOKEN_CHARS = 2_048;

/** Sort key shared by the incident indexes: `<createdAt>#<ref>`. */
export const LIST_SORT_KEY = 'listSk';

/** Partition value of the index that holds every incident. */
export const ALL_INCIDENTS = 'INCIDENT';

/** How one listing reads the Incidents table. */
export interface ListPlan {
  readonly indexName: string;
  /** Partition key attribute of the index and the value queried. */
  readonly partitionKey: string;
  readonly partitionValue: string;
  /** Record attributes the index does not narrow by, with wanted values. */
  readonly filters: Readonly<Record<string, string>>;
}

/**
 * Picks the narrowest index for a filter (mailbox, then interface, then
 * status, then all) and turns the other filters into attribute checks.
 *
 * @param query the listing's filters
 * @returns the index, its partition and the remaining filters
 */
export function planListing(query: IncidentQuery): ListPlan {
  const filters: Record<string, string> = {};
  if (query.interfaceId !== undefined) filters.interfaceId = query.interfaceId;
  if (query.status !== undefined) filters.status = query.status;

  if (query.mailboxId !== undefined) {
    return plan(
      'byMailbox',
      'mailboxPk',
      `MAILBOX#${query.mailboxId}`,
      filters,
    );
  }
  if (query.interfaceId !== undefined) {
    const { interfaceId, ...rest } = filters;
    return plan('byInterface', 'interfacePk', `INTERFACE#${interfaceId}`, rest);
  }
  if (query.status !== undefined) {
    return plan('byStatus', 'statusPk', `STATUS#${query.status}`, {});
  }

  return plan('byList', 'listPk', ALL_INCIDENTS, {});
}

/**
 * Checks the page size.
 *
 * @param limit the requested page size
 * @throws ValidationError naming `limit` unless it is 1 to MAX_INCIDENT_PAGE
 */
export function assertPageLimit(limit: number): void {
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_INCIDENT_PAGE)) {
    throw new ValidationError(
      'limit',
      `limit must be a whole number from 1 to ${MAX_INCIDENT_PAGE}`,
    );
  }
}

/**
 * The opaque token for "continue after this item" in a listing.
 *
 * @param item the last item returned (with its key attributes)
 * @param listPlan the listing's plan
 * @returns base64url of the DynamoDB start key as JSON
 */
export function encodeNextToken(item: Item, listPlan: ListPlan): string {
  const key = Object.fromEntries(
    keyAttributes(listPlan).map((name) => [name, item[name]]),
  );

  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Turns a token back into a start key, checking it belongs to this listing
 * (a token is client input: it must not steer the query elsewhere).
 *
 * @param token the token from the client, if any
 * @param listPlan the listing's plan
 * @returns the start key, or undefined without a token
 * @throws ValidationError naming `nextToken` when it is malformed or was
 *   issued for other filters
 */
export function decodeNextToken(
  token: string | undefined,
  listPlan: ListPlan,
): Record<string, string> | undefined {
  if (token === undefined) return undefined;

  const key = parseToken(token);
  const expected = keyAttributes(listPlan).sort().join();
  const valid =
    key !== undefined &&
    Object.keys(key).sort().join() === expected &&
    Object.values(key).every((value) => typeof value === 'string') &&
    key[listPlan.partitionKey] === listPlan.partitionValue &&
    key.sk === 'INCIDENT';
  if (!valid) {
    throw new ValidationError(
      'nextToken',
      'nextToken is not one this listing returned for these filters; list again without it',
    );
  }

  return key as Record<string, string>;
}

function plan(
  indexName: string,
  partitionKey: string,
  partitionValue: string,
  filters: Record<string, string>,
): ListPlan {
  return { indexName, partitionKey, partitionValue, filters };
}

function keyAttributes(listPlan: ListPlan): string[] {
  return ['pk', 'sk', listPlan.partitionKey, LIST_SORT_KEY];
}

function parseToken(token: string): Record<string, unknown> | undefined {
  if (token.length > MAX_NEXT_TOKEN_CHARS || !/^[\w-]+$/.test(token)) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    );
    const isObject =
      typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);

    return isObject ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads one page of the listing: queries newest first until `limit` items
 * pass the filters or the index ends, since filters can leave DynamoDB
 * pages short or empty.
 *
 * @param client the document client
 * @param tableName physical name of the Incidents table
 * @param query the filters, page size and token
 * @returns the stored incident items and the token of the next page
 * @throws ValidationError naming `limit` or `nextToken` when malformed
 */
export async function queryIncidentPage(
  client: DynamoDBDocumentClient,
  tableName: string,
  query: IncidentQuery,
): Promise<{ items: Item[]; nextToken?: string }> {
  assertPageLimit(query.limit);
  const listPlan = planListing(query);
  let startKey: Item | undefined = decodeNextToken(query.nextToken, listPlan);

  const items: Item[] = [];
  for (;;) {
    const remaining = query.limit - items.length;
    // Asking for one more than needed shows whether another page exists,
    // so the last page does not hand out a token to an empty page.
    const page = await queryOnce(client, tableName, listPlan, {
      startKey,
      limit: remaining + 1,
    });
    if (page.items.length > remaining) {
      const taken = page.items.slice(0, remaining);
      items.push(...taken);
      const last = taken[taken.length - 1] ?? {};

      return { items, nextToken: encodeNextToken(last, listPlan) };
    }
    items.push(...page.items);
    startKey = page.lastKey;
    if (!startKey || items.length === query.limit) break;
  }

  return {
    items,
    nextToken: startKey ? encodeNextToken(startKey, listPlan) : undefined,
  };
}

async function queryOnce(
  client: DynamoDBDocumentClient,
  tableName: string,
  listPlan: ListPlan,
  page: { startKey?: Item; limit: number },
): Promise<{ items: Item[]; lastKey?: Item }> {
  const filters = Object.entries(listPlan.filters);
  const result = await storeCall(
    'incidents.listIncidents',
    listPlan.indexName,
    () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: listPlan.indexName,
          KeyConditionExpression: '#pk = :pk',
          FilterExpression: filters.length
            ? filters.map(([name]) => `#${name} = :${name}`).join(' AND ')
            : undefined,
          ExpressionAttributeNames: {
            '#pk': listPlan.partitionKey,
            ...Object.fromEntries(filters.map(([name]) => [`#${name}`, name])),
          },
          ExpressionAttributeValues: {
            ':pk': listPlan.partitionValue,
            ...Object.fromEntries(
              filters.map(([name, value]) => [`:${name}`, value]),
            ),
          },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: page.startKey,
        }),
      ),
  );

  return { items: result.Items ?? [], lastKey: result.LastEvaluatedKey };
}
