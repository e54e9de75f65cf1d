import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../../functions/commons/powertools/logger.js';
import { sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import {
  headerBytes,
  MAX_OVERSIZE_HEADER_BYTES,
  MAX_RETRIEVE_BYTES,
} from '../../../functions/techmail/message-size.js';
import {
  processMessage,
  quarantineKey,
} from '../../../functions/techmail/process-message.js';
import { runMailbox } from '../../../functions/techmail/run-mailbox.js';
import { rawMail } from '../../support/raw-mail.js';
import {
  ScriptedMailbox,
  type ScriptedMessage,
} from '../../support/scripted-mail-source.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T11:30:00.000Z');
const PASSWORD = 'pop-password';

let stores: TestStores;

beforeAll(async () => {
  logger.setLogLevel('SILENT');
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

/** A message of a bit over 2 KB with a 50-byte attachment-free body. */
function bigMail(messageId = `<${randomUUID()}@customer.example>`): Buffer {
  return rawMail({
    messageId,
    subject: 'Scan of the whole manual',
    body: 'x'.repeat(2048),
  });
}

function runOnce(mailbox: Mailbox, server: ScriptedMailbox) {
  return runMailbox(
    { mailboxId: mailbox.id, runId: randomUUID(), trigger: 'schedule' },
    {
      ...stores,
      connect: server.connect,
      remainingTimeMs: () => 600_000,
      leaseTtlMs: 900_000,
      now: () => NOW,
    },
  );
}

describe('message size', () => {
  describe('headerBytes', () => {
    it('keeps the header section and ends it with an empty line', () => {
      const raw = Buffer.from('Subject: a\r\nFrom: b@c.example\r\n\r\nbody');

      expect(headerBytes(raw).toString()).toBe(
        'Subject: a\r\nFrom: b@c.example\r\n\r\n',
      );
    });

    it('cuts an endless header at the last line within the limit', () => {
      const line = `X-Filler: ${'y'.repeat(100)}\r\n`;
      const raw = Buffer.from(line.repeat(5000));

      const header = headerBytes(raw);

      expect(header.length).toBeLessThanOrEqual(MAX_OVERSIZE_HEADER_BYTES + 4);
      expect(header.toString().endsWith(`${'y'.repeat(100)}\r\n\r\n`)).toBe(
        true,
      );
    });
  });

  describe('a message over the mailbox limit', () => {
    it('becomes an incident holding its headers and a note, its bytes in quarantine', async () => {
      const mailbox = await addMailbox(stores, { maxMessageBytes: 1024 });
      const raw = bigMail();

      const result = await processMessage(
        mailbox,
        { uid: 'big', raw },
        stores,
        NOW,
      );

      expect(result).toMatchObject({ outcome: 'created', reason: 'oversize' });
      const ref = result.referenceNumber as string;
      const key = quarantineKey(mailbox.id, sha256Hex(raw));
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        subject: 'Scan of the whole manual',
        contact: { address: 'carol@customer.example' },
      });
      const [entry] = await stores.incidents.listEntries(ref);
      expect(entry).toMatchObject({ rawKey: key, attachments: [] });
      expect(entry?.text).toContain(`${raw.length} bytes`);
      expect(entry?.text).toContain(key);
      expect(await stores.blobs.get(key)).toEqual(raw);
      expect(
        await stores.incidents.getQuarantined(mailbox.id, sha256Hex(raw)),
      ).toMatchObject({ reason: 'oversize', sizeBytes: raw.length });
    });

    it('is suppressed, not opened, when its headers show an auto-reply', async () => {
      const mailbox = await addMailbox(stores, { maxMessageBytes: 1024 });
      const raw = rawMail({
        headers: ['Auto-Submitted: auto-replied'],
        body: 'x'.repeat(2048),
      });

      const result = await processMessage(
        mailbox,
        { uid: 'big', raw },
        stores,
        NOW,
      );

      expect(result).toMatchObject({
        outcome: 'suppressed',
        reason: 'auto-reply',
      });
    });
  });

  describe('a message too large to retrieve', () => {
    function serverWith(
      messages: ScriptedMessage[],
      refuseTop = false,
    ): ScriptedMailbox {
      return new ScriptedMailbox({ password: PASSWORD, messages, refuseTop });
    }

    it('is noted from its headers and left on the server, and later runs skip it', async () => {
      const mailbox = await addMailbox(stores);
      const huge = bigMail();
      const server = serverWith([
        { uid: 'huge', raw: huge, listedSize: MAX_RETRIEVE_BYTES + 1 },
        { uid: 'small', raw: rawMail({ messageId: `<${randomUUID()}@x>` }) },
      ]);

      const first = await runOnce(mailbox, server);
      server.deliver('later', rawMail({ messageId: `<${randomUUID()}@x>` }));
      const second = await runOnce(mailbox, server);

      expect(server.log).not.toContain('retr huge');
      expect(server.log.filter((line) => line === 'top huge')).toHaveLength(1);
      expect(first.run.messages).toEqual([
        expect.objectContaining({
          uidl: 'huge',
          outcome: 'created',
          reason: 'oversize',
        }),
        expect.objectContaining({ uidl: 'small', outcome: 'created' }),
      ]);
      expect(second.run.messages.map((m) => m.uidl)).toEqual(['later']);
      expect(server.uids).toEqual(['huge']);
      const ref = first.run.messages[0]?.referenceNumber as string;
      const [entry] = await stores.incidents.listEntries(ref);
      expect(entry?.subject).toBe('Scan of the whole manual');
      expect(entry?.text).toContain('left on the mail server');
    });

    it('still gets an incident when the server refuses TOP', async () => {
      const mailbox = await addMailbox(stores);
      const server = serverWith(
        [{ uid: 'huge', raw: bigMail(), listedSize: MAX_RETRIEVE_BYTES + 1 }],
        true,
      );

      const { run } = await runOnce(mailbox, server);

      const ref = run.messages[0]?.referenceNumber as string;
      expect(run.messages[0]).toMatchObject({ outcome: 'created' });
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        subject: expect.stringContaining('too large to fetch'),
      });
    });
  });
});
