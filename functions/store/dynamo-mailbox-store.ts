import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../commons/errors.js';
import { withMailSettings } from '../mailboxes/mail-settings.js';
import type { Mailbox } from '../model.js';
import { AccountGuards, accountGuardPk } from './account-guard.js';
import {
  buildUpdate,
  type Item,
  isConditionFailure,
  storeCall,
  withoutAttributes,
} from './dynamo-helpers.js';
import { toStoreError } from './errors.js';
import type {
  MailboxHealth,
  MailboxPatch,
  MailboxStore,
  NewMailbox,
} from './ports.js';

/** Fields `update` may change; anything else in a patch is ignored. */
const PATCHABLE_FIELDS = [
  'name',
  'popServer',
  'popPort',
  'security',
  'popAccount',
  'interfaceId',
  'enabled',
  'leaveOnServer',
  'maxMessageBytes',
  'addresses',
  'autoReplyDetection',
  'updatePolicy',
  'floodLimit',
  'floodWindowHours',
] as const satisfies readonly (keyof MailboxPatch)[];

const MAILBOX_SK = 'MAILBOX';

/**
 * Mailboxes in the Mailboxes table. A mailbox is the item `MAILBOX#<id>`;
 * uniqueness of server + account rests on a guard item
 * `ACCOUNT#<server>#<account>` (lower case) naming the mailbox, written with
 * a condition before the mailbox and removed after it.
 */
export class DynamoMailboxStore implements MailboxStore {
  private readonly guards: AccountGuards;

  /**
   * @param client the document client
   * @param tableName physical name of the Mailboxes table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.guards = new AccountGuards(client, tableName, async (mailboxId) => {
      const mailbox = await this.get(mailboxId);

      return mailbox ? accountGuardPk(mailbox) : undefined;
    });
  }

  /**
   * Creates a mailbox in state `never-run`.
   *
   * @throws ConflictError with `details.mailboxId` when another mailbox has
   *   the same server and account (case-insensitive), or the id is taken
   */
  async create(input: NewMailbox, now: Date): Promise<Mailbox> {
    const mailbox: Mailbox = {
      ...input,
      status: 'never-run',
      consecutiveFailures: 0,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    const guardPk = accountGuardPk(mailbox);
    await this.guards.claim(guardPk, mailbox.id, now);

    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...mailbox, pk: mailboxPk(mailbox.id), sk: MAILBOX_SK },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      await this.guards.releaseUnlessInUse(guardPk, mailbox.id);
      if (isConditionFailure(error)) {
        throw new ConflictError(`mailbox ${mailbox.id} already exists`, {
          mailboxId: mailbox.id,
        });
      }
      throw toStoreError(error, 'mailboxes.create', mailbox.id);
    }

    return mailbox;
  }

  /** Reads a mailbox (consistent read). */
  async get(id: string): Promise<Mailbox | undefined> {
    const { Item: item } = await storeCall('mailboxes.get', id, () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: mailboxPk(id), sk: MAILBOX_SK },
          ConsistentRead: true,
        }),
      ),
    );

    return item ? toMailbox(item) : undefined;
  }

  /** Every mailbox, ordered by name then id. */
  async list(): Promise<Mailbox[]> {
    const mailboxes: Mailbox[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await storeCall('mailboxes.list', this.tableName, () =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            FilterExpression: 'sk = :sk',
            ExpressionAttributeValues: { ':sk': MAILBOX_SK },
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      mailboxes.push(...(page.Items ?? []).map(toMailbox));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    return mailboxes.sort(
      (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
    );
  }

  /**
   * Applies the admin-editable fields of a patch. A new server or account
   * moves the guard: the new guard first, then the mailbox, then the old
   * guard goes, so the account is never unguarded.
   *
   * @throws NotFoundError when the mailbox does not exist
   * @throws ConflictError when another mailbox has the new server and
   *   account, or the mailbox changed account concurrently
   */
  async update(id: string, patch: MailboxPatch, now: Date): Promise<Mailbox> {
    const current = await this.get(id);
    if (!current) throw new NotFoundError('mailbox', id);

    const changes: Record<string, unknown> = { updatedAt: now.toISOString() };
    for (const field of PATCHABLE_FIELDS) {
      if (patch[field] !== undefined) changes[field] = patch[field];
    }
    const oldGuardPk = accountGuardPk(current);
    const newGuardPk = accountGuardPk({
      popServer: patch.popServer ?? current.popServer,
      popAccount: patch.popAccount ?? current.popAccount,
    });
    const moves = newGuardPk !== oldGuardPk;
    if (moves) await this.guards.claim(newGuardPk, id, now);

    let updated: Mailbox;
    try {
      updated = await this.writeChanges(current, changes);
    } catch (error) {
      if (moves) await this.guards.releaseUnlessInUse(newGuardPk, id);
      throw error;
    }
    if (moves) await this.guards.release(oldGuardPk, id);

    return updated;
  }

  /**
   * Removes a mailbox, then its guard (in that order: a crash in between
   * leaves a guard without mailbox, which a later create takes over).
   *
   * @throws NotFoundError when the mailbox does not exist
   */
  async delete(id: string): Promise<Mailbox> {
    const { Attributes: item } = await this.client
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: mailboxPk(id), sk: MAILBOX_SK },
          ConditionExpression: 'attribute_exists(pk)',
          ReturnValues: 'ALL_OLD',
        }),
      )
      .catch((error: unknown) => {
        if (isConditionFailure(error)) throw new NotFoundError('mailbox', id);
        throw toStoreError(error, 'mailboxes.delete', id);
      });
    const mailbox = toMailbox(item ?? {});
    await this.guards.release(accountGuardPk(mailbox), id);

    return mailbox;
  }

  /**
   * Writes a run's outcome onto the mailbox and sets `updatedAt`; absent
   * optional fields are removed so an old error does not outlive a good
   * run. Configuration fields are left alone, so an admin's concurrent
   * edit is not overwritten.
   *
   * @throws NotFoundError when the mailbox was deleted meanwhile
   */
  async recordHealth(
    id: string,
    health: MailboxHealth,
    now: Date,
  ): Promise<void> {
    const fields = {
      status: health.status,
      consecutiveFailures: health.consecutiveFailures,
      lastRun: health.lastRun,
      updatedAt: now.toISOString(),
      lastError: health.lastError,
      backoffUntil: health.backoffUntil,
    };

    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: mailboxPk(id), sk: MAILBOX_SK },
          ...buildUpdate(fields),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      )
      .catch((error: unknown) => {
        if (isConditionFailure(error)) throw new NotFoundError('mailbox', id);
        throw toStoreError(error, 'mailboxes.recordHealth', id);
      });
  }

  /**
   * Sets the changed fields, provided the mailbox still has the account it
   * had when read (the guard that was just claimed depends on it).
   */
  private async writeChanges(
    current: Mailbox,
    changes: Record<string, unknown>,
  ): Promise<Mailbox> {
    const update = buildUpdate(changes);
    try {
      const { Attributes: item } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: mailboxPk(current.id), sk: MAILBOX_SK },
          UpdateExpression: update.UpdateExpression,
          ConditionExpression:
            'attribute_exists(pk) AND popServer = :oldServer AND popAccount = :oldAccount',
          ExpressionAttributeNames: update.ExpressionAttributeNames,
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':oldServer': current.popServer,
            ':oldAccount': current.popAccount,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );

      return toMailbox(item ?? {});
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(error, 'mailboxes.update', current.id);
      }
      if (!(await this.get(current.id))) {
        throw new NotFoundError('mailbox', current.id);
      }
      throw new ConflictError(
        `mailbox ${current.id} changed its server or account meanwhile; read it again and retry`,
        { mailboxId: current.id },
      );
    }
  }
}

function mailboxPk(id: string): string {
  return `MAILBOX#${id}`;
}

/** A stored mailbox; settings added since it was written get defaults. */
function toMailbox(item: Item): Mailbox {
  return withMailSettings(withoutAttributes(item, ['pk', 'sk']));
}
