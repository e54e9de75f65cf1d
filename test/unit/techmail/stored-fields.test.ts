import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../functions/mail/message-key.js';
import type { Mailbox } from '../../../functions/model.js';
import { processMessage } from '../../../functions/techmail/process-message.js';
import {
  MAX_STORED_RECIPIENT_BYTES,
  MAX_STORED_SUBJECT_CHARS,
} from '../../../functions/techmail/stored-fields.js';
import {
  addMailbox,
  startTestStores,
  type TestStores,
} from '../../support/stores.js';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const CRLF = '\r\n';

/**
 * A message that parses, but whose fields copied into the thread entry
 * (subject, recipients, body, attachment list) add up to more than a
 * DynamoDB item may hold.
 */
function overfullMessage(): Buffer {
  const to = Array.from(
    { length: 240 },
    (_, n) => `"${'q'.repeat(400)}" <r${n}@customer.example>`,
  ).join(`,${CRLF} `);
  const attachments = Array.from(
    { length: 100 },
    (_, n) =>
      `--b${CRLF}Content-Type: application/octet-stream${CRLF}Content-Disposition: attachment; filename="${'f'.repeat(200)}${n}.bin"${CRLF}${CRLF}x${CRLF}`,
  ).join('');

  return Buffer.from(
    [
      'From: Carol <carol@customer.example>',
      `Subject: ${'s'.repeat(140 * 1024)}`,
      `To: ${to}`,
      'Message-ID: <overfull@customer.example>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      't'.repeat(127 * 1024),
      `${attachments}--b--`,
      '',
    ].join(CRLF),
  );
}

describe('the fields a message copies into its incident and entry', () => {
  let stores: TestStores;
  let mailbox: Mailbox;

  beforeAll(async () => {
    stores = await startTestStores();
    mailbox = await addMailbox(stores);
  });

  afterAll(async () => {
    await stores.stop();
  });

  it('stores a message whose entry would pass the 400 KB item limit (regression: the entry write failed on every run and blocked the mailbox)', async () => {
    const raw = overfullMessage();

    const result = await processMessage(
      mailbox,
      { uid: 'u1', raw },
      stores,
      NOW,
    );

    expect(result.outcome).toBe('created');
    const ref = result.referenceNumber as string;
    const [entry] = await stores.incidents.listEntries(ref);
    expect(entry?.subject).toHaveLength(MAX_STORED_SUBJECT_CHARS);
    const recipientBytes = (entry?.to ?? []).reduce(
      (sum, a) => sum + Buffer.byteLength(`${a.address}${a.name ?? ''}`),
      0,
    );
    expect(recipientBytes).toBeLessThanOrEqual(MAX_STORED_RECIPIENT_BYTES);
    expect(entry?.attachments).toHaveLength(100);
    const original = await stores.blobs.get(entry?.rawKey ?? '');
    expect(original && sha256Hex(original)).toBe(sha256Hex(raw));
  });
});
