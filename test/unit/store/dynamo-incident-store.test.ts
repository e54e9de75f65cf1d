import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  ValidationError,
} from '../../../functions/commons/errors.js';
import type {
  Incident,
  IncidentStatus,
  ThreadEntry,
} from '../../../functions/model.js';
import { DynamoIncidentStore } from '../../../functions/store/dynamo-incident-store.js';
import type { LedgerRecord } from '../../../functions/store/ports.js';
import { INCIDENTS_TABLE } from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

const TABLE = INCIDENTS_TABLE.localName;

function incident(
  ref: string,
  createdAt: string,
  fields: Partial<Incident> = {},
): Incident {
  return {
    referenceNumber: ref,
    subject: `Subject of ${ref}`,
    contact: { address: 'customer@example.test', name: 'Customer' },
    mailboxId: 'mbx-1',
    interfaceId: 'if-1',
    status: 'new',
    createdAt,
    updatedAt: createdAt,
    messageIds: [`<${ref}@example.test>`],
    ...fields,
  };
}

function entry(entryId: string, receivedAt: string): ThreadEntry {
  return {
    entryId,
    kind: 'customer',
    messageId: `<${entryId}@example.test>`,
    from: { address: 'customer@example.test' },
    to: [{ address: 'support@example.test' }],
    cc: [],
    subject: 'Printer on fire',
    receivedAt,
    text: 'It is still burning.',
    attachments: [],
    rawKey: `raw/${entryId}`,
    mailboxId: 'mbx-1',
  };
}

function ledger(messageKey: string, fields: Partial<LedgerRecord> = {}) {
  return {
    mailboxId: 'mbx-1',
    messageKey,
    state: 'pending',
    sha256: 'ab'.repeat(32),
    outcome: 'created',
    referenceNumber: '261201-000001',
    entryId: 'e-1',
    decidedAt: '2026-12-01T10:00:00.000Z',
    ...fields,
  } satisfies LedgerRecord;
}

describe('DynamoIncidentStore', () => {
  let db: DynaliteFixture;
  let incidents: DynamoIncidentStore;

  beforeAll(async () => {
    db = await startDynalite();
    incidents = new DynamoIncidentStore(db.client, TABLE);
  });

  afterAll(async () => {
    await db.stop();
  });

  describe('nextReferenceNumber', () => {
    it('allocates consecutive reference numbers per UTC day', async () => {
      const lateEvening = new Date('2026-03-04T23:59:59.999-01:00');
      const sameUtcDay = new Date('2026-03-05T08:00:00.000Z');
      const nextUtcDay = new Date('2026-03-06T00:00:00.000Z');

      const refs = [
        await incidents.nextReferenceNumber(lateEvening),
        await incidents.nextReferenceNumber(sameUtcDay),
        await incidents.nextReferenceNumber(nextUtcDay),
      ];

      expect(refs).toEqual(['260305-000001', '260305-000002', '260306-000001']);
    });

    it('keeps counting with more digits after 999999 rather than wrapping', async () => {
      await db.client.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'COUNTER#260401', sk: 'COUNTER', count: 999_999 },
        }),
      );

      const ref = await incidents.nextReferenceNumber(
        new Date('2026-04-01T12:00:00.000Z'),
      );

      expect(ref).toBe('260401-1000000');
    });
  });

  describe('putIncident', () => {
    it('stores the incident and returns it without index attributes', async () => {
      const stored = incident('261201-000001', '2026-12-01T10:00:00.000Z');

      await incidents.putIncident(stored);

      expect(await incidents.getIncident('261201-000001')).toEqual(stored);
    });

    it('writes an incident once when it is put twice', async () => {
      const first = incident('261201-000002', '2026-12-01T10:01:00.000Z');
      await incidents.putIncident(first);

      await incidents.putIncident({ ...first, subject: 'Retried' });

      const items = await partition('INC#261201-000002');
      expect(items).toHaveLength(1);
      expect((await incidents.getIncident('261201-000002'))?.subject).toBe(
        first.subject,
      );
    });

    it('returns undefined for an unknown reference', async () => {
      expect(await incidents.getIncident('000000-000000')).toBeUndefined();
    });
  });

  describe('putEntry and listEntries', () => {
    it('writes a thread entry once when it is put twice', async () => {
      const ref = '261201-000003';
      const stored = entry('e-1', '2026-12-01T10:05:00.000Z');

      await incidents.putEntry(ref, stored);
      await incidents.putEntry(ref, stored);

      expect(await incidents.listEntries(ref)).toEqual([stored]);
    });

    it('lists entries oldest first', async () => {
      const ref = '261201-000004';
      const late = entry('e-late', '2026-12-01T12:00:00.000Z');
      const early = entry('e-early', '2026-12-01T09:00:00.000Z');
      await incidents.putIncident(incident(ref, '2026-12-01T09:00:00.000Z'));

      await incidents.putEntry(ref, late);
      await incidents.putEntry(ref, early);

      const listed = await incidents.listEntries(ref);
      expect(listed.map((e) => e.entryId)).toEqual(['e-early', 'e-late']);
    });
  });

  describe('touchIncident', () => {
    it('sets status and time and adds Message-IDs without duplicates', async () => {
      const ref = '261201-000005';
      await incidents.putIncident(
        incident(ref, '2026-12-01T10:00:00.000Z', {
          messageIds: ['<a@example.test>'],
        }),
      );

      await incidents.touchIncident(ref, {
        status: 'updated',
        updatedAt: '2026-12-01T11:00:00.000Z',
        messageIds: [
          '<A@example.test>',
          '<b@example.test>',
          '<b@example.test>',
        ],
      });
      await incidents.touchIncident(ref, {
        updatedAt: '2026-12-01T10:30:00.000Z',
        messageIds: ['<b@example.test>'],
      });

      expect(await incidents.getIncident(ref)).toMatchObject({
        status: 'updated',
        updatedAt: '2026-12-01T11:00:00.000Z',
        messageIds: ['<a@example.test>', '<b@example.test>'],
      });
      expect(await incidents.findByMessageIds(['<B@EXAMPLE.TEST>'])).toBe(ref);
    });

    it('keeps every Message-ID when touches race', async () => {
      const ref = '261201-000007';
      await incidents.putIncident(incident(ref, '2026-12-01T10:00:00.000Z'));
      const ids = Array.from(
        { length: 4 },
        (_, i) => `<race-${i}@example.test>`,
      );

      await Promise.all(
        ids.map((id) =>
          incidents.touchIncident(ref, {
            updatedAt: '2026-12-01T11:00:00.000Z',
            messageIds: [id],
          }),
        ),
      );

      const stored = await incidents.getIncident(ref);
      expect(stored?.messageIds).toHaveLength(5);
      expect(stored?.messageIds).toEqual(expect.arrayContaining(ids));
    });

    it('moves the incident to the listing of its new status', async () => {
      const ref = '261201-000006';
      await incidents.putIncident(
        incident(ref, '2026-12-01T10:00:00.000Z', { mailboxId: 'mbx-touch' }),
      );

      await incidents.touchIncident(ref, {
        status: 'closed',
        updatedAt: '2026-12-01T11:00:00.000Z',
        messageIds: [],
      });

      const closed = await incidents.listIncidents({
        status: 'closed',
        limit: 10,
      });
      expect(closed.items.map((i) => i.referenceNumber)).toEqual([ref]);
    });

    it('throws NotFoundError for an unknown incident', async () => {
      const attempt = incidents.touchIncident('000000-000001', {
        updatedAt: '2026-12-01T11:00:00.000Z',
        messageIds: [],
      });

      await expect(attempt).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('findByMessageIds', () => {
    it('returns the incident of the first id in the order given', async () => {
      await incidents.putIncident(
        incident('261202-000001', '2026-12-02T10:00:00.000Z', {
          messageIds: ['<first@example.test>'],
        }),
      );
      await incidents.putIncident(
        incident('261202-000002', '2026-12-02T10:01:00.000Z', {
          messageIds: ['<second@example.test>'],
        }),
      );

      const found = await incidents.findByMessageIds([
        '<unknown@example.test>',
        '<SECOND@example.test>',
        '<first@example.test>',
      ]);

      expect(found).toBe('261202-000002');
    });

    it('looks past the first hundred ids', async () => {
      const unknown = Array.from(
        { length: 150 },
        (_, i) => `<unknown-${i}@example.test>`,
      );

      const found = await incidents.findByMessageIds([
        ...unknown,
        '<first@example.test>',
      ]);

      expect(found).toBe('261202-000001');
    });

    it('keeps the first incident of a Message-ID another incident reuses', async () => {
      await incidents.putIncident(
        incident('261202-000003', '2026-12-02T10:02:00.000Z', {
          messageIds: ['<first@example.test>'],
        }),
      );

      expect(await incidents.findByMessageIds(['<first@example.test>'])).toBe(
        '261202-000001',
      );
    });

    it('indexes and finds a Message-ID longer than a key may be', async () => {
      const long = `<${'x'.repeat(3_000)}@example.test>`;
      await incidents.putIncident(
        incident('261202-000004', '2026-12-02T10:03:00.000Z', {
          messageIds: [long],
        }),
      );

      expect(await incidents.findByMessageIds([long])).toBe('261202-000004');
    });

    it('returns undefined when no id is known', async () => {
      expect(await incidents.findByMessageIds([])).toBeUndefined();
      expect(
        await incidents.findByMessageIds(['<nobody@example.test>']),
      ).toBeUndefined();
    });
  });

  describe('ledger', () => {
    it('returns the stored record when another writer recorded the message first', async () => {
      const first = ledger('<m1@example.test>');
      await incidents.putLedgerIfAbsent(first);

      const second = await incidents.putLedgerIfAbsent(
        ledger('<m1@example.test>', { outcome: 'threaded', entryId: 'e-2' }),
      );

      expect(second).toEqual(first);
      expect(await incidents.getLedger('mbx-1', '<m1@example.test>')).toEqual(
        first,
      );
    });

    it('marks a record done', async () => {
      await incidents.putLedgerIfAbsent(ledger('<m2@example.test>'));

      await incidents.markLedgerDone('mbx-1', '<m2@example.test>');

      expect(
        (await incidents.getLedger('mbx-1', '<m2@example.test>'))?.state,
      ).toBe('done');
    });

    it('keeps records of a long message key', async () => {
      const key = `<${'k'.repeat(3_000)}@example.test>`;

      await incidents.putLedgerIfAbsent(ledger(key));

      expect((await incidents.getLedger('mbx-1', key))?.messageKey).toBe(key);
    });

    it('throws NotFoundError when marking an unknown record done', async () => {
      await expect(
        incidents.markLedgerDone('mbx-1', '<none@example.test>'),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('listIncidents', () => {
    const refs: string[] = [];

    beforeAll(async () => {
      for (let i = 1; i <= 5; i += 1) {
        const ref = `261210-00000${i}`;
        const status: IncidentStatus = i % 2 === 0 ? 'updated' : 'new';
        refs.push(ref);
        await incidents.putIncident(
          incident(ref, `2026-12-10T10:0${i}:00.000Z`, {
            mailboxId: 'mbx-list',
            interfaceId: i <= 3 ? 'if-a' : 'if-b',
            status,
          }),
        );
      }
    });

    it('pages through incidents newest first with nextToken', async () => {
      const seen: string[] = [];
      const pages: number[] = [];
      let nextToken: string | undefined;
      do {
        const page = await incidents.listIncidents({
          mailboxId: 'mbx-list',
          limit: 2,
          nextToken,
        });
        seen.push(...page.items.map((i) => i.referenceNumber));
        pages.push(page.items.length);
        nextToken = page.nextToken;
      } while (nextToken);

      expect(seen).toEqual([...refs].reverse());
      expect(pages).toEqual([2, 2, 1]);
    });

    it('returns no nextToken when the last page is exactly full', async () => {
      const page = await incidents.listIncidents({
        mailboxId: 'mbx-list',
        limit: 5,
      });

      expect(page.items).toHaveLength(5);
      expect(page.nextToken).toBeUndefined();
    });

    it('combines the mailbox filter with interface and status', async () => {
      const page = await incidents.listIncidents({
        mailboxId: 'mbx-list',
        interfaceId: 'if-a',
        status: 'new',
        limit: 10,
      });

      expect(page.items.map((i) => i.referenceNumber)).toEqual([
        '261210-000003',
        '261210-000001',
      ]);
    });

    it('fills a page across filtered-out items', async () => {
      const first = await incidents.listIncidents({
        mailboxId: 'mbx-list',
        status: 'new',
        limit: 1,
      });
      const second = await incidents.listIncidents({
        mailboxId: 'mbx-list',
        status: 'new',
        limit: 2,
        nextToken: first.nextToken,
      });

      expect(first.items.map((i) => i.referenceNumber)).toEqual([
        '261210-000005',
      ]);
      expect(second.items.map((i) => i.referenceNumber)).toEqual([
        '261210-000003',
        '261210-000001',
      ]);
    });

    it('lists by interface and status without a mailbox', async () => {
      const page = await incidents.listIncidents({
        interfaceId: 'if-b',
        status: 'updated',
        limit: 10,
      });

      expect(page.items.map((i) => i.referenceNumber)).toEqual([
        '261210-000004',
      ]);
    });

    it('lists every incident newest first without filters', async () => {
      const page = await incidents.listIncidents({ limit: 3 });

      expect(page.items[0]?.referenceNumber).toBe('261210-000005');
      expect(page.items[0]).not.toHaveProperty('listSk');
      expect(page.nextToken).toBeDefined();
    });

    it('rejects a malformed nextToken naming the field', async () => {
      for (const nextToken of ['not base64!', 'bm90IGpzb24', 'W10']) {
        const attempt = incidents.listIncidents({ limit: 2, nextToken });

        await expect(attempt).rejects.toBeInstanceOf(ValidationError);
        await expect(attempt).rejects.toMatchObject({ field: 'nextToken' });
      }
    });

    it('rejects a nextToken issued for other filters', async () => {
      const page = await incidents.listIncidents({
        mailboxId: 'mbx-list',
        limit: 1,
      });

      const attempt = incidents.listIncidents({
        mailboxId: 'mbx-other',
        limit: 1,
        nextToken: page.nextToken,
      });

      await expect(attempt).rejects.toMatchObject({ field: 'nextToken' });
    });

    it('rejects a limit outside 1 to 100 naming the field', async () => {
      for (const limit of [0, 101, 1.5]) {
        await expect(incidents.listIncidents({ limit })).rejects.toMatchObject({
          field: 'limit',
        });
      }
    });
  });

  async function partition(pk: string) {
    const { Items } = await db.client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
      }),
    );

    return Items ?? [];
  }
});
