import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIncidentStore } from '../../../functions/store/dynamo-incident-store.js';
import { SENDER_COUNTER_RETENTION_HOURS } from '../../../functions/store/sender-counters.js';
import {
  INCIDENTS_TABLE,
  INCIDENTS_TTL_ATTRIBUTE,
} from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

const HOUR_MS = 3_600_000;
const NOON = new Date('2026-12-04T12:30:00.000Z');

function hoursBefore(hours: number): Date {
  return new Date(NOON.getTime() - hours * HOUR_MS);
}

describe('sender counters of DynamoIncidentStore', () => {
  let db: DynaliteFixture;
  let store: DynamoIncidentStore;

  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoIncidentStore(db.client, INCIDENTS_TABLE.localName);
  });

  afterAll(async () => {
    await db.stop();
  });

  describe('countSenderMessages', () => {
    it('is zero for a sender never counted', async () => {
      const count = await store.countSenderMessages(
        'mbx-0',
        'new@customer.example',
        12,
        NOON,
      );

      expect(count).toBe(0);
    });

    it('sums the messages of the hours in the window and ignores older ones', async () => {
      const sender = 'busy@customer.example';
      for (const at of [NOON, NOON, hoursBefore(5), hoursBefore(11)]) {
        await store.addSenderMessage('mbx-1', sender, at);
      }
      await store.addSenderMessage('mbx-1', sender, hoursBefore(12));

      const count = await store.countSenderMessages('mbx-1', sender, 12, NOON);

      expect(count).toBe(4);
    });

    it('counts an address in any case as the same sender', async () => {
      await store.addSenderMessage('mbx-2', 'Dan@Customer.Example', NOON);

      const count = await store.countSenderMessages(
        'mbx-2',
        'dan@customer.example',
        1,
        NOON,
      );

      expect(count).toBe(1);
    });

    it("sets the table's TTL attribute in epoch seconds, a retention after the hour", async () => {
      await store.addSenderMessage('mbx-ttl', 'fay@customer.example', NOON);

      const { Items } = await db.client.send(
        new ScanCommand({
          TableName: INCIDENTS_TABLE.localName,
          FilterExpression: 'begins_with(pk, :pk)',
          ExpressionAttributeValues: { ':pk': 'SENDER#mbx-ttl#' },
        }),
      );

      const hourStart = Date.parse('2026-12-04T12:00:00.000Z');
      expect(Items?.[0]?.[INCIDENTS_TTL_ATTRIBUTE]).toBe(
        (hourStart + SENDER_COUNTER_RETENTION_HOURS * HOUR_MS) / 1000,
      );
    });

    it('keeps the counts of each mailbox apart', async () => {
      await store.addSenderMessage('mbx-3', 'eve@customer.example', NOON);

      const elsewhere = await store.countSenderMessages(
        'mbx-4',
        'eve@customer.example',
        12,
        NOON,
      );

      expect(elsewhere).toBe(0);
    });
  });
});
