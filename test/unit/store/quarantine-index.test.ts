import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import { sha256Hex } from '../../../functions/mail/message-key.js';
import { DynamoIncidentStore } from '../../../functions/store/dynamo-incident-store.js';
import type { QuarantineRecord } from '../../../functions/store/quarantine-port.js';
import { INCIDENTS_TABLE } from '../../../functions/store/tables.js';
import { type DynaliteFixture, startDynalite } from './dynalite-fixture.js';

function record(
  mailboxId: string,
  body: string,
  quarantinedAt: string,
): QuarantineRecord {
  const sha256 = sha256Hex(body);

  return {
    mailboxId,
    sha256,
    key: `quarantine/${mailboxId}/${sha256}.eml`,
    reason: 'unparseable',
    sizeBytes: body.length,
    quarantinedAt,
  };
}

describe('the quarantine index of DynamoIncidentStore', () => {
  let db: DynaliteFixture;
  let store: DynamoIncidentStore;

  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoIncidentStore(db.client, INCIDENTS_TABLE.localName);
  });

  afterAll(async () => {
    await db.stop();
  });

  it('lists the quarantined messages of a mailbox newest first, page by page', async () => {
    const records = [1, 2, 3].map((n) =>
      record('mbx-list', `bad ${n}`, `2026-12-0${n}T10:00:00.000Z`),
    );
    for (const item of records) await store.putQuarantined(item);
    await store.putQuarantined(
      record('mbx-other', 'x', '2026-12-09T00:00:00Z'),
    );

    const first = await store.listQuarantined('mbx-list', { limit: 2 });
    const second = await store.listQuarantined('mbx-list', {
      limit: 2,
      nextToken: first.nextToken,
    });

    expect(first.items).toEqual([records[2], records[1]]);
    expect(second.items).toEqual([records[0]]);
    expect(second.nextToken).toBeUndefined();
  });

  it('keeps the first record when the same message is quarantined again', async () => {
    const first = record('mbx-again', 'same bytes', '2026-12-01T10:00:00.000Z');
    await store.putQuarantined(first);

    await store.putQuarantined({
      ...first,
      quarantinedAt: '2026-12-05T10:00:00.000Z',
    });

    const page = await store.listQuarantined('mbx-again', { limit: 10 });
    expect(page.items).toEqual([first]);
    expect(await store.getQuarantined('mbx-again', first.sha256)).toEqual(
      first,
    );
  });

  it('takes a released message out of the listing and keeps what it became', async () => {
    const item = record('mbx-release', 'fixed later', '2026-12-01T10:00:00Z');
    await store.putQuarantined(item);
    const release = {
      outcome: 'created' as const,
      referenceNumber: '261201-000001',
      releasedAt: '2026-12-02T10:00:00.000Z',
    };

    await store.releaseQuarantined('mbx-release', item.sha256, release);
    await store.putQuarantined(item);

    const page = await store.listQuarantined('mbx-release', { limit: 10 });
    expect(page.items).toEqual([]);
    expect(await store.getQuarantined('mbx-release', item.sha256)).toEqual({
      ...item,
      released: release,
    });
  });

  it('refuses a nextToken it did not hand out', async () => {
    const forged = Buffer.from(JSON.stringify({ sk: 'INCIDENT' })).toString(
      'base64url',
    );

    await expect(
      store.listQuarantined('mbx-list', { limit: 2, nextToken: forged }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('answers undefined for a hash that is not one', async () => {
    expect(await store.getQuarantined('mbx-list', '../etc')).toBeUndefined();
  });

  it('forgets a ledger decision only while it says quarantined', async () => {
    const base = {
      mailboxId: 'mbx-ledger',
      state: 'done' as const,
      sha256: sha256Hex('x'),
      decidedAt: '2026-12-01T10:00:00.000Z',
    };
    await store.putLedgerIfAbsent({
      ...base,
      messageKey: 'sha:q',
      outcome: 'quarantined',
      reason: 'unparseable',
    });
    await store.putLedgerIfAbsent({
      ...base,
      messageKey: 'sha:c',
      outcome: 'created',
    });

    await store.forgetQuarantineDecision('mbx-ledger', 'sha:q');
    await store.forgetQuarantineDecision('mbx-ledger', 'sha:c');
    await store.forgetQuarantineDecision('mbx-ledger', 'sha:absent');

    expect(await store.getLedger('mbx-ledger', 'sha:q')).toBeUndefined();
    expect(await store.getLedger('mbx-ledger', 'sha:c')).toBeDefined();
  });
});
