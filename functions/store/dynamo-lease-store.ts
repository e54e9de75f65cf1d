import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../commons/errors.js';
import { isConditionFailure, storeCall } from './dynamo-helpers.js';
import { StoreError, toStoreError } from './errors.js';
import type { LeaseResult, LeaseStore } from './ports.js';

/**
 * Tries of `acquire` when the lease vanishes or lapses between the failed
 * put and the read of its holder; more than one retry means heavy churn.
 */
const LEASE_ACQUIRE_ATTEMPTS = 3;

const LEASE_SK = 'LEASE';

/**
 * Mailbox leases in the Mailboxes table: item `LEASE#<mailboxId>` with the
 * holding `runId` and `expiresAt` (epoch ms). A lease is free when absent or
 * when `expiresAt` is not after now.
 */
export class DynamoLeaseStore implements LeaseStore {
  /**
   * @param client the document client
   * @param tableName physical name of the Mailboxes table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes the lease for `runId` unless another unexpired run holds it.
   *
   * @throws ValidationError when `ttlMs` is not a positive number
   */
  async acquire(
    mailboxId: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<LeaseResult> {
    assertTtl(ttlMs);
    for (let attempt = 1; attempt <= LEASE_ACQUIRE_ATTEMPTS; attempt += 1) {
      const put = await this.tryPut(mailboxId, runId, ttlMs, now);
      if (put.written) {
        const previous = put.previousRunId;
        return previous === undefined || previous === runId
          ? { acquired: true }
          : { acquired: true, tookOverFrom: previous };
      }
      const holderRunId = await this.holder(mailboxId, now);
      if (holderRunId !== undefined) return { acquired: false, holderRunId };
    }

    throw new StoreError(
      'leases.acquire',
      mailboxId,
      `lease of mailbox ${mailboxId} kept changing hands; retry the run later`,
    );
  }

  /** Extends the lease while `runId` holds it; false once it does not. */
  async renew(
    mailboxId: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<boolean> {
    assertTtl(ttlMs);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: leasePk(mailboxId), sk: LEASE_SK },
          UpdateExpression: 'SET expiresAt = :expiresAt',
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: {
            ':expiresAt': now.getTime() + ttlMs,
            ':runId': runId,
          },
        }),
      );

      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'leases.renew', mailboxId);
    }
  }

  /** Deletes the lease if `runId` still holds it; otherwise does nothing. */
  async release(mailboxId: string, runId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: leasePk(mailboxId), sk: LEASE_SK },
          ConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':runId': runId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'leases.release', mailboxId);
      }
    }
  }

  /** The run holding an unexpired lease (consistent read), if any. */
  async holder(mailboxId: string, now: Date): Promise<string | undefined> {
    const { Item: item } = await storeCall('leases.holder', mailboxId, () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: leasePk(mailboxId), sk: LEASE_SK },
          ConsistentRead: true,
        }),
      ),
    );
    if (!item || Number(item.expiresAt) <= now.getTime()) return undefined;

    return String(item.runId);
  }

  /** Puts the lease unless another run holds it; says whom it replaced. */
  private async tryPut(
    mailboxId: string,
    runId: string,
    ttlMs: number,
    now: Date,
  ): Promise<{ written: boolean; previousRunId?: string }> {
    try {
      const { Attributes: previous } = await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: leasePk(mailboxId),
            sk: LEASE_SK,
            mailboxId,
            runId,
            acquiredAt: now.toISOString(),
            expiresAt: now.getTime() + ttlMs,
          },
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :now OR runId = :runId',
          ExpressionAttributeValues: { ':now': now.getTime(), ':runId': runId },
          ReturnValues: 'ALL_OLD',
        }),
      );

      return {
        written: true,
        previousRunId:
          previous?.runId === undefined ? undefined : String(previous.runId),
      };
    } catch (error) {
      if (isConditionFailure(error)) return { written: false };
      throw toStoreError(error, 'leases.acquire', mailboxId);
    }
  }
}

function leasePk(mailboxId: string): string {
  return `LEASE#${mailboxId}`;
}

function assertTtl(ttlMs: number): void {
  if (!(Number.isFinite(ttlMs) && ttlMs > 0)) {
    throw new ValidationError(
      'ttlMs',
      'lease ttlMs must be a positive number of milliseconds',
    );
  }
}
