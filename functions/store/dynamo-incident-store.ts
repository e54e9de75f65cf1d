import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../commons/errors.js';
import type { Incident, ThreadEntry } from '../model.js';
import {
  buildUpdate,
  type Item,
  isConditionFailure,
  keyPart,
  queryAll,
  storeCall,
  withoutAttributes,
} from './dynamo-helpers.js';
import { StoreError, StoreThrottledError, toStoreError } from './errors.js';
import { ALL_INCIDENTS, queryIncidentPage } from './incident-listing.js';
import { MessageIdIndex, uniqueMessageIds } from './message-id-index.js';
import type { IncidentQuery, IncidentStore, LedgerRecord } from './ports.js';
import { QuarantineIndex } from './quarantine-index.js';
import type {
  QuarantinePage,
  QuarantineRecord,
  QuarantineRelease,
} from './quarantine-port.js';
import { SenderCounters } from './sender-counters.js';

/**
 * Tries of `touchIncident` when concurrent touches keep changing the
 * Message-ID list between its read and its conditional write.
 */
const TOUCH_ATTEMPTS = 5;

/** Digits of the per-day counter in a reference number (more if needed). */
const REFERENCE_DIGITS = 6;

const INCIDENT_SK = 'INCIDENT';
const ENTRY_SK_PREFIX = 'ENTRY#';
const COUNTER_SK = 'COUNTER';
const LEDGER_SK = 'LEDGER';
const INCIDENT_INDEX_ATTRIBUTES = [
  'pk',
  'sk',
  'listPk',
  'mailboxPk',
  'interfacePk',
  'statusPk',
  'listSk',
];

/**
 * Incidents, thread entries, the Message-ID index, the per-day reference
 * counters and the processing ledger, all in the Incidents table. Every
 * item's key derives from the record (reference, entry id, Message-ID,
 * message key), and writes are conditional puts, same-key puts or
 * UpdateItem, so a retried run rewrites items instead of adding new ones.
 */
export class DynamoIncidentStore implements IncidentStore {
  private readonly messageIds: MessageIdIndex;
  private readonly senders: SenderCounters;
  private readonly quarantine: QuarantineIndex;

  /**
   * @param client the document client
   * @param tableName physical name of the Incidents table
   */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.messageIds = new MessageIdIndex(client, tableName);
    this.senders = new SenderCounters(client, tableName);
    this.quarantine = new QuarantineIndex(client, tableName);
  }

  /** The ledger record of a message (consistent read), if any. */
  async getLedger(
    mailboxId: string,
    messageKey: string,
  ): Promise<LedgerRecord | undefined> {
    const item = await this.getItem(
      ledgerPk(mailboxId, messageKey),
      LEDGER_SK,
      'incidents.getLedger',
    );

    return item ? withoutAttributes(item, ['pk', 'sk']) : undefined;
  }

  /** Stores the record unless one exists; returns the stored one. */
  async putLedgerIfAbsent(record: LedgerRecord): Promise<LedgerRecord> {
    const pk = ledgerPk(record.mailboxId, record.messageKey);
    const item = { ...record, pk, sk: LEDGER_SK };
    if (await this.putIfAbsent(item, 'incidents.putLedgerIfAbsent')) {
      return record;
    }
    const stored = await this.getLedger(record.mailboxId, record.messageKey);
    if (!stored) {
      throw new StoreError(
        'incidents.putLedgerIfAbsent',
        record.mailboxId,
        `ledger record of a message in mailbox ${record.mailboxId} vanished while being written; retry the run`,
      );
    }

    return stored;
  }

  /** @throws NotFoundError when the ledger has no such record */
  async markLedgerDone(mailboxId: string, messageKey: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: ledgerPk(mailboxId, messageKey), sk: LEDGER_SK },
          ...buildUpdate({ state: 'done' }),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new NotFoundError('ledger record', `${mailboxId}/${messageKey}`);
      }
      throw toStoreError(error, 'incidents.markLedgerDone', mailboxId);
    }
  }

  /**
   * Adds one to the counter of the UTC day and formats `YYMMDD-NNNNNN`.
   * A day past 999999 gets a seventh digit rather than reusing numbers.
   */
  async nextReferenceNumber(now: Date): Promise<string> {
    const day = now.toISOString().slice(2, 10).replaceAll('-', '');
    const { Attributes: attributes } = await storeCall(
      'incidents.nextReferenceNumber',
      day,
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: `COUNTER#${day}`, sk: COUNTER_SK },
            UpdateExpression: 'ADD #count :one',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':one': 1 },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
    );
    const count = String(attributes?.count ?? '');

    return `${day}-${count.padStart(REFERENCE_DIGITS, '0')}`;
  }

  /**
   * Writes the incident unless it exists (a retried write keeps the first;
   * later changes go through touchIncident), then indexes its Message-IDs.
   */
  async putIncident(incident: Incident): Promise<void> {
    const messageIds = uniqueMessageIds(incident.messageIds);
    await this.putIfAbsent(
      {
        ...incident,
        messageIds,
        pk: incidentPk(incident.referenceNumber),
        sk: INCIDENT_SK,
        listPk: ALL_INCIDENTS,
        mailboxPk: `MAILBOX#${incident.mailboxId}`,
        interfacePk: `INTERFACE#${incident.interfaceId}`,
        statusPk: `STATUS#${incident.status}`,
        listSk: `${incident.createdAt}#${incident.referenceNumber}`,
      },
      'incidents.putIncident',
    );
    await this.messageIds.add(incident.referenceNumber, messageIds);
  }

  /**
   * Writes a thread entry under `ENTRY#<receivedAt>#<entryId>`; writing it
   * again overwrites the same item. `receivedAt` must come from the message
   * (not the clock) for a retried write to hit the same key.
   */
  async putEntry(referenceNumber: string, entry: ThreadEntry): Promise<void> {
    await storeCall('incidents.putEntry', referenceNumber, () =>
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...entry,
            pk: incidentPk(referenceNumber),
            sk: `${ENTRY_SK_PREFIX}${entry.receivedAt}#${entry.entryId}`,
          },
        }),
      ),
    );
  }

  /**
   * Sets status (when given) and updatedAt (never backwards), appends the
   * Message-IDs the incident lacks, and indexes them. The append is
   * conditional on the list length read, so concurrent touches retry
   * instead of losing ids.
   *
   * @throws NotFoundError when the incident does not exist
   */
  async touchIncident(
    referenceNumber: string,
    change: {
      status?: Incident['status'];
      updatedAt: string;
      messageIds: string[];
    },
  ): Promise<void> {
    for (let attempt = 1; attempt <= TOUCH_ATTEMPTS; attempt += 1) {
      const current = await this.getIncident(referenceNumber);
      if (!current) throw new NotFoundError('incident', referenceNumber);

      if (await this.tryTouch(current, change)) {
        await this.messageIds.add(referenceNumber, change.messageIds);
        return;
      }
    }

    throw new StoreThrottledError(
      'incidents.touchIncident',
      referenceNumber,
      `incident ${referenceNumber} kept changing during ${TOUCH_ATTEMPTS} attempts to update it; retry the run`,
    );
  }

  /**
   * The incident holding the first of these Message-IDs (in the order
   * given) that any incident holds; case-insensitive, consistent reads.
   */
  async findByMessageIds(messageIds: string[]): Promise<string | undefined> {
    return this.messageIds.find(messageIds);
  }

  /** The incident (consistent read), or undefined. */
  async getIncident(referenceNumber: string): Promise<Incident | undefined> {
    const item = await this.getItem(
      incidentPk(referenceNumber),
      INCIDENT_SK,
      'incidents.getIncident',
    );

    return item ? toIncident(item) : undefined;
  }

  /** The incident's thread entries, oldest first. */
  async listEntries(referenceNumber: string): Promise<ThreadEntry[]> {
    const items = await queryAll(
      this.client,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :entry)',
        ExpressionAttributeValues: {
          ':pk': incidentPk(referenceNumber),
          ':entry': ENTRY_SK_PREFIX,
        },
        ConsistentRead: true,
      },
      'incidents.listEntries',
    );

    return items.map((item) => withoutAttributes(item, ['pk', 'sk']));
  }

  /** Sums the sender's hourly counters over the window (consistent). */
  countSenderMessages(
    mailboxId: string,
    sender: string,
    windowHours: number,
    now: Date,
  ): Promise<number> {
    return this.senders.count(mailboxId, sender, windowHours, now);
  }

  /** Adds one to the sender's counter of the hour (UpdateItem ADD). */
  addSenderMessage(
    mailboxId: string,
    sender: string,
    now: Date,
  ): Promise<void> {
    return this.senders.add(mailboxId, sender, now);
  }

  /**
   * Incidents newest first, filtered, `limit` per page.
   *
   * @throws ValidationError naming `limit` or `nextToken` when malformed
   */
  async listIncidents(
    query: IncidentQuery,
  ): Promise<{ items: Incident[]; nextToken?: string }> {
    const page = await queryIncidentPage(this.client, this.tableName, query);

    return { items: page.items.map(toIncident), nextToken: page.nextToken };
  }

  /** Indexes a quarantined message; see {@link QuarantineIndex.put}. */
  async putQuarantined(record: QuarantineRecord): Promise<void> {
    await this.quarantine.put(record);
  }

  /** The quarantine record of a message, or undefined. */
  async getQuarantined(
    mailboxId: string,
    sha256: string,
  ): Promise<QuarantineRecord | undefined> {
    return this.quarantine.get(mailboxId, sha256);
  }

  /** Messages still in quarantine, newest first. */
  async listQuarantined(
    mailboxId: string,
    page: { limit: number; nextToken?: string },
  ): Promise<QuarantinePage> {
    return this.quarantine.list(mailboxId, page);
  }

  /** Takes a message out of quarantine, recording what it became. */
  async releaseQuarantined(
    mailboxId: string,
    sha256: string,
    release: QuarantineRelease,
  ): Promise<void> {
    await this.quarantine.release(mailboxId, sha256, release);
  }

  /** Deletes the ledger record only while it says `quarantined`. */
  async forgetQuarantineDecision(
    mailboxId: string,
    messageKey: string,
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: ledgerPk(mailboxId, messageKey), sk: LEDGER_SK },
          ConditionExpression: 'outcome = :quarantined',
          ExpressionAttributeValues: { ':quarantined': 'quarantined' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw toStoreError(
          error,
          'incidents.forgetQuarantineDecision',
          mailboxId,
        );
      }
    }
  }

  /** One conditional touch; false when the Message-ID list changed. */
  private async tryTouch(
    current: Incident,
    change: {
      status?: Incident['status'];
      updatedAt: string;
      messageIds: string[];
    },
  ): Promise<boolean> {
    const known = new Set(current.messageIds.map((id) => id.toLowerCase()));
    const added = uniqueMessageIds(change.messageIds).filter(
      (id) => !known.has(id.toLowerCase()),
    );
    const status = change.status ?? current.status;
    const update = buildUpdate({
      status,
      statusPk: `STATUS#${status}`,
      updatedAt: laterTime(current.updatedAt, change.updatedAt),
      messageIds: [...current.messageIds, ...added],
    });

    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: incidentPk(current.referenceNumber), sk: INCIDENT_SK },
          ...update,
          ConditionExpression:
            'attribute_exists(pk) AND size(#messageIds) = :knownCount',
          ExpressionAttributeValues: {
            ...update.ExpressionAttributeValues,
            ':knownCount': current.messageIds.length,
          },
        }),
      );

      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(
        error,
        'incidents.touchIncident',
        current.referenceNumber,
      );
    }
  }

  private async getItem(
    pk: string,
    sk: string,
    operation: string,
  ): Promise<Item | undefined> {
    const { Item: item } = await storeCall(operation, pk, () =>
      this.client.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk, sk },
          ConsistentRead: true,
        }),
      ),
    );

    return item;
  }

  /** Puts the item unless its key exists; true when it was written. */
  private async putIfAbsent(item: Item, operation: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );

      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw toStoreError(error, operation, String(item.pk));
    }
  }
}

function incidentPk(referenceNumber: string): string {
  return `INC#${referenceNumber}`;
}

function ledgerPk(mailboxId: string, messageKey: string): string {
  return `LEDGER#${mailboxId}#${keyPart(messageKey)}`;
}

/** The later of two ISO times (a late retry must not move time back). */
function laterTime(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function toIncident(item: Item): Incident {
  return withoutAttributes(item, INCIDENT_INDEX_ATTRIBUTES);
}
