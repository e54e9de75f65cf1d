import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey, sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import {
  type ProcessOptions,
  processMessage,
  rawMessageKey,
} from '../../../functions/techmail/process-message.js';
import { bounceOf, rawMail } from '../../support/raw-mail.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T11:30:00.000Z');
const LATER = new Date('2026-12-04T12:30:00.000Z');

let stores: TestStores;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function take(
  mailbox: Mailbox,
  raw: Buffer,
  options: ProcessOptions = {},
  now = NOW,
) {
  return processMessage(mailbox, { uid: 'uid', raw }, stores, now, options);
}

/**
 * A mailbox with one incident, opened by a message with a fresh id (the
 * Message-ID index spans mailboxes, so every test needs its own).
 */
async function mailboxWithIncident(): Promise<{
  mailbox: Mailbox;
  ref: string;
  rootId: string;
}> {
  const mailbox = await addMailbox(stores);
  const rootId = `root-${randomUUID()}@customer.example`;
  const first = await take(mailbox, rawMail({ messageId: `<${rootId}>` }));

  return { mailbox, ref: first.referenceNumber as string, rootId };
}

describe('processMessage with automatic mail', () => {
  describe('auto-replies', () => {
    it('suppresses an auto-reply to nothing we know, keeping its bytes and a ledger record', async () => {
      const mailbox = await addMailbox(stores);
      const raw = rawMail({ headers: ['Auto-Submitted: auto-replied'] });

      const result = await take(mailbox, raw);

      expect(result).toEqual({
        uidl: 'uid',
        messageId: 'm1@customer.example',
        outcome: 'suppressed',
        reason: 'auto-reply',
      });
      expect(
        await stores.blobs.get(rawMessageKey(mailbox.id, sha256Hex(raw))),
      ).toEqual(raw);
      const ledger = await stores.incidents.getLedger(
        mailbox.id,
        messageKey('m1@customer.example', raw),
      );
      expect(ledger).toMatchObject({ state: 'done', signal: 'auto-submitted' });
      const { items } = await stores.incidents.listIncidents({
        mailboxId: mailbox.id,
        limit: 10,
      });
      expect(items).toEqual([]);
    });

    it('keeps an auto-reply to an incident on it as a note and leaves its status alone', async () => {
      const { mailbox, ref, rootId } = await mailboxWithIncident();
      const raw = rawMail({
        messageId: '<ooo@customer.example>',
        subject: 'Automatic reply: Printer',
        headers: [`In-Reply-To: <${rootId}>`, 'X-Auto-Response-Suppress: All'],
      });

      const result = await take(mailbox, raw, {}, LATER);

      expect(result).toMatchObject({
        outcome: 'threaded',
        reason: 'auto-reply',
        referenceNumber: ref,
      });
      const entries = await stores.incidents.listEntries(ref);
      expect(entries.map((entry) => entry.kind)).toEqual([
        'customer',
        'auto-reply',
      ]);
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        status: 'new',
      });
    });

    it('creates an incident from an auto-reply when the mailbox turned detection off', async () => {
      const mailbox = await addMailbox(stores, { autoReplyDetection: 'off' });

      const result = await take(
        mailbox,
        rawMail({ headers: ['Auto-Submitted: auto-replied'] }),
      );

      expect(result.outcome).toBe('created');
    });

    it('reports a suppressed message seen again as a duplicate', async () => {
      const mailbox = await addMailbox(stores);
      const raw = rawMail({ headers: ['Precedence: bulk'] });
      await take(mailbox, raw);

      const again = await take(mailbox, raw);

      expect(again).toMatchObject({
        outcome: 'duplicate',
        reason: 'auto-reply',
      });
    });
  });

  describe('bounces', () => {
    it('puts the bounce of our reply on the incident it answered, as a bounce entry', async () => {
      const { mailbox, ref, rootId } = await mailboxWithIncident();
      const bounce = bounceOf([
        'From: support@helpdesk.example',
        'Subject: Re: Printer',
        'Message-ID: <agent-reply-1@mail.helpdesk.example>',
        `In-Reply-To: <${rootId}>`,
      ]);

      const result = await take(mailbox, bounce, {}, LATER);

      expect(result).toMatchObject({
        outcome: 'threaded',
        reason: 'bounce',
        referenceNumber: ref,
      });
      const entries = await stores.incidents.listEntries(ref);
      expect(entries.at(-1)).toMatchObject({
        kind: 'bounce',
        messageId: 'dsn@mx.customer.example',
      });
      expect(await stores.incidents.getIncident(ref)).toMatchObject({
        status: 'new',
      });
    });

    it('finds the incident by the reference in the returned subject', async () => {
      const { mailbox, ref } = await mailboxWithIncident();
      const bounce = bounceOf(
        [
          `Subject: Re: [Incident: ${ref}] Printer`,
          'Message-ID: <agent-reply-2@mail.helpdesk.example>',
        ],
        '<dsn-2@mx.customer.example>',
      );

      const result = await take(mailbox, bounce);

      expect(result).toMatchObject({
        outcome: 'threaded',
        referenceNumber: ref,
      });
    });

    it('suppresses a bounce of a message no incident knows', async () => {
      const mailbox = await addMailbox(stores);

      const result = await take(
        mailbox,
        bounceOf(['Message-ID: <newsletter@elsewhere.example>']),
      );

      expect(result).toMatchObject({ outcome: 'suppressed', reason: 'bounce' });
    });
  });

  describe('reports and loops', () => {
    it.each([
      [
        'a success DSN',
        'multipart/report; report-type=delivery-status; boundary="b"',
        'message/delivery-status',
        'Action: delivered',
        'delivery-report',
      ],
      [
        'an ARF report',
        'multipart/report; report-type=feedback-report; boundary="b"',
        'message/feedback-report',
        'Feedback-Type: abuse',
        'abuse-report',
      ],
    ])(
      'suppresses %s',
      async (_case, contentType, partType, fields, reason) => {
        const mailbox = await addMailbox(stores);
        const raw = rawMail({
          contentType,
          body: `--b\r\nContent-Type: ${partType}\r\n\r\n${fields}\r\n--b--`,
        });

        const result = await take(mailbox, raw);

        expect(result).toMatchObject({ outcome: 'suppressed', reason });
      },
    );

    it('suppresses mail from another mailbox of ours as own mail', async () => {
      const mailbox = await addMailbox(stores);

      const result = await take(
        mailbox,
        rawMail({ from: 'Billing <billing@helpdesk.example>' }),
        { ownAddresses: ['billing@helpdesk.example'] },
      );

      expect(result).toMatchObject({
        outcome: 'suppressed',
        reason: 'own-mail',
      });
    });

    it('suppresses mail with a Message-ID of our domain as a loop', async () => {
      const mailbox = await addMailbox(stores);

      const result = await take(
        mailbox,
        rawMail({ messageId: '<n1@mail.helpdesk.example>' }),
        { messageIdDomain: 'mail.helpdesk.example' },
      );

      expect(result).toMatchObject({ outcome: 'suppressed', reason: 'loop' });
    });
  });

  describe('idempotency', () => {
    it('finishes a recorded decision without classifying the message again', async () => {
      const mailbox = await addMailbox(stores);
      const raw = rawMail({
        messageId: '<decided@customer.example>',
        headers: ['Auto-Submitted: auto-replied'],
      });
      await stores.incidents.putLedgerIfAbsent({
        mailboxId: mailbox.id,
        messageKey: messageKey('decided@customer.example', raw),
        state: 'pending',
        sha256: sha256Hex(raw),
        messageId: 'decided@customer.example',
        outcome: 'created',
        referenceNumber: '261204-900001',
        entryId: 'entry-decided',
        decidedAt: NOW.toISOString(),
      });

      const result = await take(mailbox, raw);

      expect(result).toMatchObject({
        outcome: 'created',
        referenceNumber: '261204-900001',
      });
      expect(await stores.incidents.getIncident('261204-900001')).toBeDefined();
    });
  });
});
