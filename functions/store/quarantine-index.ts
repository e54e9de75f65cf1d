import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError, ValidationError } from '../commons/errors.js';
import {
  type Item,
  isConditionFailure,
  storeCall,
  withoutAttributes,
} from './dynamo-helpers.js';
import { toStoreError } from './errors.js';
import { assertPageLimit } from './incident-listing.js';
import type {
  QuarantinePage,
  QuarantineRecord,
  QuarantineRelease,
} from './quarantine-port.js';

const RECORD_SK = 'QUARANTINE';
const KEY_ATTRIBUTES = ['pk', 'sk'];

/** A token is base64url JSON of one sort key; real ones are ~130 chars. */
const MAX_TOKEN_CHARS = 512;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The quarantine index in the Incidents table, two items per message:
 * `QUARANTINE#<mailboxId>#<sha256>` holds the record (found by the
 * message), and `QUARANTINED#<mailboxId>` / `<quarantinedAt>#<sha256>`
 * lists the messages still in quarantine newest first. No index of the
 * table is needed, and releasing a message only deletes its listing item.
 */
export class QuarantineIndex {
  /**
   * @param client the document client
   * @param tableName physical name of the Incidents table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Writes the record unless one exists, then its listing item (from the
   * stored record, so a retry after a crash lists it under the same key).
   * A record already released is not listed again.
   */
  async put(record: QuarantineRecord): Promise<void> {
    assertSha256(record.sha256);
    const { released: _released, ...fresh } = record;
    const written = await this.putRecordIfAbsent(fresh);
    const stored: QuarantineRecord | undefined = written
      ? fresh
      : await this.get(record.mailboxId, record.sha256);
    if (!stored || stored.released) return;

    await storeCall('quarantine.put', record.mailboxId, () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...stored, ...listingKey(stored) },
        }),
      ),
    );
  }

  /** The record (consistent read), or undefined. */
  async get(
    mailboxId: string,
    sha256: string,
  ): Promise<QuarantineRecord | undefined> {
    if (!SHA256_HEX.test(sha256)) return undefined;
    const { Item: item } = await storeCall('quarantine.get', mailboxId, () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: recordKey(mailboxId, sha256),
          ConsistentRead: true,
        }),
      ),
    );

    return item ? withoutAttributes(item, KEY_ATTRIBUTES) : undefined;
  }

  /**
   * Messages of a mailbox still in quarantine, newest first.
   *
   * @throws ValidationError naming `limit` or `nextToken` when malformed
   */
  async list(
    mailboxId: string,
    page: { limit: number; nextToken?: string },
  ): Promise<QuarantinePage> {
    assertPageLimit(page.limit);
    const pk = listingPk(mailboxId);
    const startKey = decodeToken(page.nextToken, pk);
    const result = await storeCall('quarantine.list', mailboxId, () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: page.limit,
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    const items = (result.Items ?? []).map((item) =>
      withoutAttributes<QuarantineRecord>(item, KEY_ATTRIBUTES),
    );
    const last = result.LastEvaluatedKey;

    return {
      items,
      nextToken: last ? encodeToken(String(last.sk)) : undefined,
    };
  }

  /**
   * Records the release on the record, then drops the listing item.
   *
   * @throws NotFoundError when the message was never quarantined
   */
  async release(
    mailboxId: string,
    sha256: string,
    release: QuarantineRelease,
  ): Promise<void> {
    const record = await this.get(mailboxId, sha256);
    if (!record) throw new NotFoundError('quarantined message', sha256);

    await storeCall('quarantine.release', mailboxId, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: recordKey(mailboxId, sha256),
          UpdateExpression: 'SET released = :released',
          ExpressionAttributeValues: { ':released': release },
        }),
      ),
    );
    await storeCall('quarantine.release', mailboxId, () =>
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: listingKey(record),
        }),
      ),
    );
  }

  private async putRecordIfAbsent(record: QuarantineRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...record, ...recordKey(record.mailboxId, record.sha256) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, 'quarantine.put', record.mailboxId);
    }
  }
}

function recordKey(mailboxId: string, sha256: string): Item {
  return { pk: `QUARANTINE#${mailboxId}#${sha256}`, sk: RECORD_SK };
}

function listingPk(mailboxId: string): string {
  return `QUARANTINED#${mailboxId}`;
}

function listingKey(record: QuarantineRecord): Item {
  return {
    pk: listingPk(record.mailboxId),
    sk: `${record.quarantinedAt}#${record.sha256}`,
  };
}

function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) {
    throw new ValidationError(
      'sha256',
      'sha256 must be 64 lower-case hex digits',
    );
  }
}

function encodeToken(sk: string): string {
  return Buffer.from(JSON.stringify({ sk }), 'utf8').toString('base64url');
}

/**
 * A token is client input: only a sort key of this mailbox's listing is
 * accepted, so it cannot steer the query to other items.
 */
function decodeToken(token: string | undefined, pk: string): Item | undefined {
  if (token === undefined) return undefined;
  const sk = readTokenSortKey(token);
  if (sk === undefined) {
    throw new ValidationError(
      'nextToken',
      'nextToken is not one this listing returned; list again without it',
    );
  }

  return { pk, sk };
}

function readTokenSortKey(token: string): string | undefined {
  if (token.length > MAX_TOKEN_CHARS || !/^[\w-]+$/.test(token)) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(
      Buffer.from(token, 'base64url').toString('utf8'),
    );
    const sk = (parsed as { sk?: unknown } | null)?.sk;

    return typeof sk === 'string' && /#[0-9a-f]{64}$/.test(sk) ? sk : undefined;
  } catch {
    return undefined;
  }
}
