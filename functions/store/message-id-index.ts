import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  BATCH_GET_MAX_KEYS,
  BATCH_MAX_ATTEMPTS,
  backoff,
  chunks,
  isConditionFailure,
  keyPart,
  storeCall,
} from './dynamo-helpers.js';
import { StoreThrottledError, toStoreError } from './errors.js';

/** Conditional index puts sent at once. */
const PUT_CONCURRENCY = 25;

const MESSAGE_ID_SK = 'MSGID';

/**
 * The Message-ID → incident index in the Incidents table: one item
 * `MSGID#<lower(messageId)>` per id, which is how replies find the incident
 * they belong to.
 */
export class MessageIdIndex {
  /**
   * @param client the document client
   * @param tableName physical name of the Incidents table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Maps each Message-ID to the incident. The first incident to claim an id
   * keeps it, so threading stays stable when a sender reuses Message-IDs;
   * writing the same mapping again changes nothing.
   *
   * @param referenceNumber the incident
   * @param messageIds its Message-IDs
   */
  async add(referenceNumber: string, messageIds: string[]): Promise<void> {
    const ids = uniqueMessageIds(messageIds);
    for (const chunk of chunks(ids, PUT_CONCURRENCY)) {
      await Promise.all(chunk.map((id) => this.put(referenceNumber, id)));
    }
  }

  /**
   * The incident of the first id, in the order given, that has one;
   * case-insensitive, with consistent reads so an incident created a moment
   * ago in the same run is found.
   *
   * @param messageIds the ids to look up (e.g. In-Reply-To, References)
   * @returns the reference number, or undefined
   * @throws StoreThrottledError when lookups stay unprocessed
   */
  async find(messageIds: string[]): Promise<string | undefined> {
    const pks = uniqueMessageIds(messageIds).map(messageIdPk);
    for (const chunk of chunks(pks, BATCH_GET_MAX_KEYS)) {
      const found = await this.batchGet(chunk);
      const first = chunk.find((pk) => found.has(pk));
      if (first !== undefined) return found.get(first);
    }

    return undefined;
  }

  private async put(referenceNumber: string, messageId: string) {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: messageIdPk(messageId),
            sk: MESSAGE_ID_SK,
            messageId,
            referenceNumber,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'incidents.indexMessageId', referenceNumber);
      }
    }
  }

  /** Reads index items by key, retrying unprocessed keys with backoff. */
  private async batchGet(pks: string[]): Promise<Map<string, string>> {
    const operation = 'incidents.findByMessageIds';
    const found = new Map<string, string>();
    let pending: Record<string, unknown>[] = pks.map((pk) => ({
      pk,
      sk: MESSAGE_ID_SK,
    }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      if (attempt > BATCH_MAX_ATTEMPTS) {
        throw new StoreThrottledError(
          operation,
          this.tableName,
          `${pending.length} Message-ID lookups stayed unprocessed after ${BATCH_MAX_ATTEMPTS} attempts; retry later`,
        );
      }
      if (attempt > 1) await backoff(attempt);

      const keys = pending;
      const result = await storeCall(operation, this.tableName, () =>
        this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: keys, ConsistentRead: true },
            },
          }),
        ),
      );
      for (const item of result.Responses?.[this.tableName] ?? []) {
        found.set(String(item.pk), String(item.referenceNumber));
      }
      pending = result.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }

    return found;
  }
}

/**
 * Drops repeated Message-IDs (compared case-insensitively), keeping the
 * first spelling and the order.
 *
 * @param messageIds the ids
 * @returns the ids without repeats
 */
export function uniqueMessageIds(messageIds: readonly string[]): string[] {
  const seen = new Set<string>();

  return messageIds.filter((id) => {
    const key = id.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);

    return true;
  });
}

function messageIdPk(messageId: string): string {
  return `MSGID#${keyPart(messageId.toLowerCase())}`;
}
