import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey, sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import {
  ENTRY_INLINE_BODY_BYTES,
  ENTRY_TEXT_PREVIEW_CHARS,
  entryBodyKey,
  processMessage,
} from '../../../functions/techmail/process-message.js';
import { composeMail } from '../../support/mail.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T11:30:00.000Z');

let stores: TestStores;

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function take(mailbox: Mailbox, raw: Buffer, uid = 'uid-1') {
  return processMessage(mailbox, { uid, raw }, stores, NOW);
}

/** A multipart/related message with an inline PNG used by its HTML. */
function mailWithInlineImage(): Buffer {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const lines = [
    'From: carol@customer.example',
    'To: support@helpdesk.example',
    'Subject: Screenshot of the error',
    'Message-ID: <inline@customer.example>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/related; boundary="rel"',
    '',
    '--rel',
    'Content-Type: text/html; charset=utf-8',
    '',
    '<p onclick="steal()">See <img src="cid:shot@customer.example"></p><script>alert(1)</script>',
    '--rel',
    'Content-Type: image/png; name="shot.png"',
    'Content-Transfer-Encoding: base64',
    'Content-ID: <shot@customer.example>',
    'Content-Disposition: inline; filename="shot.png"',
    '',
    png.toString('base64'),
    '--rel--',
    '',
  ];

  return Buffer.from(lines.join('\r\n'), 'utf8');
}

describe('processMessage', () => {
  it('keys a message without Message-ID by its bytes, so a second copy is a duplicate', async () => {
    const mailbox = await addMailbox(stores);
    const raw = composeMail({ messageId: null });
    const first = await take(mailbox, raw);

    const second = await take(mailbox, raw, 'uid-2');

    expect(first.outcome).toBe('created');
    expect(second).toEqual({
      uidl: 'uid-2',
      outcome: 'duplicate',
      referenceNumber: first.referenceNumber,
    });
  });

  it('keeps a reused Message-ID with different content apart from the first message', async () => {
    const mailbox = await addMailbox(stores);
    const messageId = '<reused@broken-mailer.example>';
    const first = await take(mailbox, composeMail({ messageId }));

    const second = await take(
      mailbox,
      composeMail({ messageId, subject: 'A different problem' }),
    );

    expect(second.outcome).toBe('created');
    expect(second.referenceNumber).not.toBe(first.referenceNumber);
  });

  it('stores attachments and points inline images at the attachment route', async () => {
    const mailbox = await addMailbox(stores);

    const result = await take(mailbox, mailWithInlineImage());

    const ref = result.referenceNumber as string;
    const [entry] = await stores.incidents.listEntries(ref);
    const [attachment] = entry?.attachments ?? [];
    expect(attachment).toMatchObject({
      filename: 'shot.png',
      contentType: 'image/png',
      contentId: 'shot@customer.example',
      inline: true,
    });
    const bytes = await stores.blobs.get(attachment?.storageKey as string);
    expect(sha256Hex(bytes as Buffer)).toBe(attachment?.sha256);
    expect(entry?.html).toContain(
      `/incidents/${ref}/attachments/${attachment?.sha256}`,
    );
    expect(entry?.html).not.toMatch(/script|onclick|cid:/);
  });

  it('moves a body too large for the entry to the blob store and keeps a preview', async () => {
    const mailbox = await addMailbox(stores);
    const body = 'x'.repeat(ENTRY_INLINE_BODY_BYTES + 10);

    const result = await take(mailbox, composeMail({ body }));

    const ref = result.referenceNumber as string;
    const [entry] = await stores.incidents.listEntries(ref);
    expect(entry?.bodyKey).toBe(entryBodyKey(ref, entry?.entryId as string));
    expect(entry?.text).toHaveLength(ENTRY_TEXT_PREVIEW_CHARS);
    const stored = await stores.blobs.get(entry?.bodyKey as string);
    expect(JSON.parse(stored?.toString('utf8') ?? '{}').text).toContain(body);
  });

  it('finishes a pending threaded decision with the recorded reference and entry', async () => {
    const mailbox = await addMailbox(stores);
    const original = await take(
      mailbox,
      composeMail({ messageId: '<root@customer.example>' }),
    );
    const ref = original.referenceNumber as string;
    const reply = composeMail({ messageId: '<follow-up@customer.example>' });
    const entryId = randomUUID();
    await stores.incidents.putLedgerIfAbsent({
      mailboxId: mailbox.id,
      messageKey: messageKey('follow-up@customer.example', reply),
      state: 'pending',
      sha256: sha256Hex(reply),
      messageId: 'follow-up@customer.example',
      outcome: 'threaded',
      referenceNumber: ref,
      entryId,
      decidedAt: '2026-12-04T11:45:00.000Z',
    });

    const result = await take(mailbox, reply, 'uid-2');

    expect(result).toMatchObject({ outcome: 'threaded', referenceNumber: ref });
    const entries = await stores.incidents.listEntries(ref);
    expect(entries.map((entry) => entry.entryId)).toContain(entryId);
    expect(await stores.incidents.getIncident(ref)).toMatchObject({
      status: 'updated',
      updatedAt: '2026-12-04T11:45:00.000Z',
    });
    expect(
      await stores.incidents.findByMessageIds(['follow-up@customer.example']),
    ).toBe(ref);
  });
});
