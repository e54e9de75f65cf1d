import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import {
  processMessage,
  quarantineKey,
} from '../../../functions/techmail/process-message.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T10:00:00.000Z');

describe('processMessage with mail that goes to quarantine', () => {
  let stores: TestStores;
  let mailbox: Mailbox;

  beforeAll(async () => {
    stores = await startTestStores();
    mailbox = await addMailbox(stores, { maxMessageBytes: 1024 });
  });

  afterAll(async () => {
    await stores.stop();
  });

  it.each([
    ['unparseable', Buffer.from('no header here, only text\r\n')],
    ['oversize', Buffer.from(`Subject: big\r\n\r\n${'x'.repeat(2048)}\r\n`)],
  ])(
    'indexes a message quarantined as %s with its key and size',
    async (reason, raw) => {
      const result = await processMessage(
        mailbox,
        { uid: reason, raw },
        stores,
        NOW,
      );

      const sha256 = sha256Hex(raw);
      // An oversize message also becomes an incident holding its headers.
      const outcome = reason === 'oversize' ? 'created' : 'quarantined';
      expect(result).toMatchObject({ outcome, reason });
      expect(await stores.incidents.getQuarantined(mailbox.id, sha256)).toEqual(
        {
          mailboxId: mailbox.id,
          sha256,
          key: quarantineKey(mailbox.id, sha256),
          reason,
          sizeBytes: raw.length,
          quarantinedAt: expect.any(String),
        },
      );
      expect(await stores.blobs.get(quarantineKey(mailbox.id, sha256))).toEqual(
        raw,
      );
    },
  );

  it('lists a message quarantined twice only once', async () => {
    const raw = Buffer.from('still no header\r\n');
    await processMessage(mailbox, { uid: 'a', raw }, stores, NOW);

    const again = await processMessage(mailbox, { uid: 'b', raw }, stores, NOW);

    expect(again.outcome).toBe('duplicate');
    const page = await stores.incidents.listQuarantined(mailbox.id, {
      limit: 100,
    });
    const sha256 = sha256Hex(raw);
    expect(page.items.filter((item) => item.sha256 === sha256)).toHaveLength(1);
  });
});
