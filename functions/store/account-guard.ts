import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../commons/errors.js';
import type { Mailbox } from '../model.js';
import { isConditionFailure, storeCall } from './dynamo-helpers.js';
import { toStoreError } from './errors.js';

/**
 * How long a freshly written account guard is trusted even though no
 * mailbox uses it yet: the creating request may still be between its two
 * writes. After this, such a guard is left over from a crash and may be
 * taken over.
 */
export const ACCOUNT_GUARD_GRACE_MS = 60_000;

/** Tries of a claim when the guard disappears between write and read. */
const CLAIM_ATTEMPTS = 3;

const ACCOUNT_SK = 'ACCOUNT';

/** Who holds a guard, as read after a failed conditional put. */
interface GuardHolder {
  mailboxId: string;
  claimedAt: string;
}

/**
 * Tells which guard a mailbox uses now (undefined when it does not exist);
 * lets the guards judge whether a holder is still real.
 */
export type GuardInUse = (mailboxId: string) => Promise<string | undefined>;

/**
 * Guard items `ACCOUNT#<server>#<account>` in the Mailboxes table. Each
 * names the one mailbox allowed to use that POP3 server and account; a
 * conditional put is what makes the pair unique, since dynalite (the local
 * stand-in) has no transactions.
 */
export class AccountGuards {
  /**
   * @param client the document client
   * @param tableName physical name of the Mailboxes table
   * @param guardInUse reads the guard a mailbox currently uses
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly guardInUse: GuardInUse,
  ) {}

  /**
   * Makes the guard name `mailboxId` (already naming it is fine). A guard
   * held by another mailbox is a conflict, unless that mailbox no longer
   * uses it and the guard is older than ACCOUNT_GUARD_GRACE_MS.
   *
   * @throws ConflictError with `details.mailboxId` of the holder
   */
  async claim(guardPk: string, mailboxId: string, now: Date): Promise<void> {
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt += 1) {
      const holder = await this.put(guardPk, mailboxId, now, {
        ConditionExpression: 'attribute_not_exists(pk) OR mailboxId = :self',
        ExpressionAttributeValues: { ':self': mailboxId },
      });
      if (holder === null) return;
      if (holder === undefined) continue;

      if (!(await this.isStale(guardPk, holder, now))) {
        throw conflict(holder.mailboxId);
      }
      const takeover = await this.put(guardPk, mailboxId, now, {
        ConditionExpression: 'mailboxId = :stale',
        ExpressionAttributeValues: { ':stale': holder.mailboxId },
      });
      if (takeover === null) return;
    }

    throw conflict(undefined);
  }

  /**
   * Deletes the guard if `mailboxId` still holds it.
   *
   * @param guardPk the guard
   * @param mailboxId the mailbox giving it up
   */
  async release(guardPk: string, mailboxId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: guardPk, sk: ACCOUNT_SK },
          ConditionExpression: 'mailboxId = :self',
          ExpressionAttributeValues: { ':self': mailboxId },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'mailboxes.releaseAccount', mailboxId);
      }
    }
  }

  /**
   * Undoes a claim after a failed mailbox write, unless the write landed
   * anyway (a timeout can hide a success). Never throws: the caller reports
   * the write's own error, and a guard left behind is taken over once stale,
   * whereas a wrongly removed one would allow a duplicate.
   *
   * @param guardPk the guard
   * @param mailboxId the mailbox that claimed it
   */
  async releaseUnlessInUse(guardPk: string, mailboxId: string): Promise<void> {
    const inUse = await this.guardInUse(mailboxId).then(
      (used) => used === guardPk,
      () => true,
    );
    if (!inUse) await this.release(guardPk, mailboxId).catch(() => undefined);
  }

  /**
   * Puts the guard. Returns null when written, the holder when the
   * condition failed, undefined when the guard vanished meanwhile.
   */
  private async put(
    guardPk: string,
    mailboxId: string,
    now: Date,
    condition: {
      ConditionExpression: string;
      ExpressionAttributeValues: Record<string, string>;
    },
  ): Promise<GuardHolder | null | undefined> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: guardPk,
            sk: ACCOUNT_SK,
            mailboxId,
            claimedAt: now.toISOString(),
          },
          ...condition,
        }),
      );

      return null;
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'mailboxes.claimAccount', mailboxId);
      }
    }
    const { Item: item } = await storeCall(
      'mailboxes.claimAccount',
      mailboxId,
      () =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { pk: guardPk, sk: ACCOUNT_SK },
            ConsistentRead: true,
          }),
        ),
    );

    return item
      ? { mailboxId: String(item.mailboxId), claimedAt: String(item.claimedAt) }
      : undefined;
  }

  private async isStale(
    guardPk: string,
    holder: GuardHolder,
    now: Date,
  ): Promise<boolean> {
    const ageMs = now.getTime() - Date.parse(holder.claimedAt);
    if (!(ageMs > ACCOUNT_GUARD_GRACE_MS)) return false;

    return (await this.guardInUse(holder.mailboxId)) !== guardPk;
  }
}

/**
 * Partition key of the guard that keeps server + account unique.
 *
 * @param mailbox the server and account
 * @returns `ACCOUNT#<server>#<account>`, lower case
 */
export function accountGuardPk(
  mailbox: Pick<Mailbox, 'popServer' | 'popAccount'>,
): string {
  const server = mailbox.popServer.toLowerCase();

  return `ACCOUNT#${server}#${mailbox.popAccount.toLowerCase()}`;
}

function conflict(holderId: string | undefined): ConflictError {
  return new ConflictError(
    'another mailbox already uses this POP3 server and account; change one of them or edit that mailbox',
    holderId === undefined ? {} : { mailboxId: holderId },
  );
}
