import {
  type DynamoDBDocumentClient,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { sha256Hex } from '../mail/message-key.js';
import { queryAll, storeCall } from './dynamo-helpers.js';
import { INCIDENTS_TTL_ATTRIBUTE } from './tables.js';

/** Length of one counter bucket. */
const HOUR_MS = 3_600_000;

/**
 * How long a bucket is kept (as the table's TTL attribute, in epoch
 * seconds): longer than the longest flood window a mailbox may set, a week.
 */
export const SENDER_COUNTER_RETENTION_HOURS = 8 * 24;

const BUCKET_SK_PREFIX = 'HOUR#';

/**
 * Per-sender message counters for flood control, in the Incidents table:
 * one item per mailbox, sender and UTC hour, `SENDER#<mailbox>#<sha256 of
 * the address>` / `HOUR#<yyyy-mm-ddThh>`, incremented with UpdateItem ADD.
 * A window is the sum of its hourly items, read with one Query.
 */
export class SenderCounters {
  /**
   * @param client the document client
   * @param tableName physical name of the Incidents table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Sums the sender's counters over the `windowHours` hours ending with
   * the hour of `now` (so the window reaches up to an hour further back).
   *
   * @param mailboxId the mailbox
   * @param sender the sender's address (any case)
   * @param windowHours hours in the window, from 1
   * @param now the current time
   * @returns the number of messages counted
   */
  async count(
    mailboxId: string,
    sender: string,
    windowHours: number,
    now: Date,
  ): Promise<number> {
    const first = new Date(now.getTime() - (windowHours - 1) * HOUR_MS);
    const items = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: {
          ':pk': counterPk(mailboxId, sender),
          ':first': bucketSk(first),
          ':last': bucketSk(now),
        },
        ConsistentRead: true,
      },
      'incidents.countSenderMessages',
    );

    return items.reduce((sum, item) => sum + Number(item.count ?? 0), 0);
  }

  /**
   * Adds one to the sender's counter for the hour of `now`.
   *
   * @param mailboxId the mailbox
   * @param sender the sender's address (any case)
   * @param now the current time
   */
  async add(mailboxId: string, sender: string, now: Date): Promise<void> {
    const hourStart = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const expiresAt = Math.floor(
      (hourStart + SENDER_COUNTER_RETENTION_HOURS * HOUR_MS) / 1000,
    );
    await storeCall('incidents.addSenderMessage', mailboxId, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: counterPk(mailboxId, sender), sk: bucketSk(now) },
          UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
          ExpressionAttributeNames: {
            '#count': 'count',
            '#expiresAt': INCIDENTS_TTL_ATTRIBUTE,
          },
          ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt },
        }),
      ),
    );
  }
}

/** The sender is hashed: addresses are personal data and of any length. */
function counterPk(mailboxId: string, sender: string): string {
  return `SENDER#${mailboxId}#${sha256Hex(sender.trim().toLowerCase())}`;
}

function bucketSk(time: Date): string {
  return `${BUCKET_SK_PREFIX}${time.toISOString().slice(0, 13)}`;
}
