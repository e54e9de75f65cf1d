import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError, ValidationError } from '../commons/errors.js';
import type { Run, RunCounts, RunMessage, RunStatus } from '../model.js';
import {
  batchPutAll,
  buildUpdate,
  type Item,
  isConditionFailure,
  queryAll,
  storeCall,
  withoutAttributes,
} from './dynamo-helpers.js';
import { toStoreError } from './errors.js';
import type { RunStore } from './ports.js';

const HEADER_SK = 'RUN';
const MESSAGE_SK_PREFIX = 'MSG#';

/** Digits of the sequence number in a message item's sort key. */
const SEQ_DIGITS = 6;

/** The Runs index on `gsi1pk`/`gsi1sk` (see tables.ts). */
const BY_MAILBOX_INDEX = 'byMailbox';

/**
 * Run records in the Runs table. The header `RUN#<runId>`/`RUN` carries
 * status and counts and is indexed by mailbox; each message entry is its
 * own item `MSG#<seq>`, because a run of thousands of messages would not
 * fit DynamoDB's 400 KB item limit.
 */
export class DynamoRunStore implements RunStore {
  /**
   * @param client the document client
   * @param tableName physical name of the Runs table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the run header, then any message entries the run carries. When
   * the header exists already (a retried create) it is left as it is.
   */
  async create(run: Run): Promise<void> {
    const { messages, ...header } = run;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: headerItem(header),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'runs.create', run.runId);
      }
    }
    await this.appendMessages(run.runId, 0, messages);
  }

  /**
   * Puts the headers of fresh runs, 25 per BatchWriteItem.
   *
   * @throws ValidationError when a run carries message entries
   * @throws StoreThrottledError when DynamoDB keeps items unprocessed
   */
  async createMany(runs: readonly Run[]): Promise<void> {
    const items = runs.map(({ messages, ...header }) => {
      if (messages.length > 0) {
        throw new ValidationError(
          'messages',
          `run ${header.runId} carries message entries; create it with create()`,
        );
      }

      return headerItem(header);
    });
    await batchPutAll(this.client, this.tableName, items, 'runs.createMany');
  }

  /** The run with every message entry in sequence order, or undefined. */
  async get(runId: string): Promise<Run | undefined> {
    const items = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': runPk(runId) },
        ConsistentRead: true,
      },
      'runs.get',
    );
    const header = items.find((item) => item.sk === HEADER_SK);
    if (!header) return undefined;

    // Sorting by the numeric seq keeps order right even past SEQ_DIGITS.
    const messages = items
      .filter((item) => item.sk !== HEADER_SK)
      .sort((a, b) => Number(a.seq) - Number(b.seq))
      .map(toRunMessage);

    return { ...toRunHeader(header), messages };
  }

  /** @throws NotFoundError when the run does not exist */
  async markRunning(runId: string, startedAt: Date): Promise<void> {
    await this.updateHeader(runId, 'runs.markRunning', {
      status: 'running',
      startedAt: startedAt.toISOString(),
    });
  }

  /**
   * Puts message entries numbered from `firstSeq`, 25 per batch; a retried
   * append overwrites the same items.
   *
   * @throws ValidationError when `firstSeq` is not a whole number ≥ 0
   * @throws StoreThrottledError when DynamoDB keeps items unprocessed
   */
  async appendMessages(
    runId: string,
    firstSeq: number,
    messages: RunMessage[],
  ): Promise<void> {
    if (!(Number.isInteger(firstSeq) && firstSeq >= 0)) {
      throw new ValidationError(
        'firstSeq',
        'firstSeq must be a whole number from 0',
      );
    }
    const items = messages.map((message, index) => {
      const seq = firstSeq + index;

      return {
        ...message,
        pk: runPk(runId),
        sk: MESSAGE_SK_PREFIX + String(seq).padStart(SEQ_DIGITS, '0'),
        seq,
      };
    });

    await batchPutAll(
      this.client,
      this.tableName,
      items,
      'runs.appendMessages',
    );
  }

  /**
   * Writes the final status, end time, counts and error (an absent error
   * removes one left by an earlier attempt).
   *
   * @throws NotFoundError when the run does not exist
   */
  async finish(
    runId: string,
    result: {
      status: RunStatus;
      finishedAt: Date;
      counts: RunCounts;
      error?: Run['error'];
    },
  ): Promise<void> {
    await this.updateHeader(runId, 'runs.finish', {
      status: result.status,
      finishedAt: result.finishedAt.toISOString(),
      counts: result.counts,
      error: result.error,
    });
  }

  /**
   * The newest runs of a mailbox, newest first. Only headers are read:
   * `messages` is empty; use `get` for a run's entries.
   *
   * @throws ValidationError when `limit` is not a whole number ≥ 1
   */
  async listByMailbox(mailboxId: string, limit: number): Promise<Run[]> {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new ValidationError('limit', 'limit must be a whole number from 1');
    }
    const page = await storeCall('runs.listByMailbox', mailboxId, () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_MAILBOX_INDEX,
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': `MAILBOX#${mailboxId}` },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );

    return (page.Items ?? []).map((item) => ({
      ...toRunHeader(item),
      messages: [],
    }));
  }

  /**
   * Fails the run unless it reached a final state meanwhile: a conditional
   * update, so a run that did finish after all is never overwritten.
   */
  async abandon(
    runId: string,
    finishedAt: Date,
    error: NonNullable<Run['error']>,
  ): Promise<boolean> {
    const update = buildUpdate({
      status: 'failed',
      finishedAt: finishedAt.toISOString(),
      error,
    });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runPk(runId), sk: HEADER_SK },
          ...update,
          ConditionExpression: '#status IN (:queued, :running)',
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':queued': 'queued',
            ':running': 'running',
          },
        }),
      );

      return true;
    } catch (caught) {
      if (isConditionFailure(caught)) return false;
      throw toStoreError(caught, 'runs.abandon', runId);
    }
  }

  /** Sets defined fields and removes undefined ones on an existing header. */
  private async updateHeader(
    runId: string,
    operation: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runPk(runId), sk: HEADER_SK },
          ...buildUpdate(fields),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new NotFoundError('run', runId);
      throw toStoreError(error, operation, runId);
    }
  }
}

function runPk(runId: string): string {
  return `RUN#${runId}`;
}

function toRunHeader(item: Item): Omit<Run, 'messages'> {
  return withoutAttributes(item, ['pk', 'sk', 'gsi1pk', 'gsi1sk']);
}

function toRunMessage(item: Item): RunMessage {
  return withoutAttributes(item, ['pk', 'sk', 'seq']);
}

function headerItem(header: Omit<Run, 'messages'>): Item {
  return {
    ...header,
    pk: runPk(header.runId),
    sk: HEADER_SK,
    gsi1pk: `MAILBOX#${header.mailboxId}`,
    gsi1sk: `${header.queuedAt}#${header.runId}`,
  };
}
