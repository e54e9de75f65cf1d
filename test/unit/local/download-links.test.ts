import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntryView } from '../../../functions/incidents/entry-bodies.js';
import type { Mailbox } from '../../../functions/model.js';
import type { Stores } from '../../../functions/store/index.js';
import {
  ENTRY_INLINE_BODY_BYTES,
  processMessage,
} from '../../../functions/techmail/process-message.js';
import {
  type LocalRuntime,
  startLocalRuntime,
} from '../../../lib/local/local-runtime.js';
import { rawMail } from '../../support/raw-mail.js';

const NOW = new Date('2026-12-04T11:30:00.000Z');
const REPORT = Buffer.from('%PDF-1.4 quarterly figures\n');

let root: string;
let runtime: LocalRuntime;
let stores: Stores;
let mailbox: Mailbox;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'techmail-links-'));
  runtime = await startLocalRuntime({
    dataDir: join(root, 'data'),
    port: 0,
    schedule: false,
    logger: new Logger({ logLevel: 'SILENT' }),
  });
  // Loaded only now, so its SDK clients are built against the stand-ins,
  // as the production handlers' are.
  const { createStores } = await import('../../../functions/store/index.js');
  stores = createStores();
  const created = await fetch(`${runtime.apiUrl}/mailboxes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Local links',
      popServer: 'pop.example.test',
      popAccount: 'support@helpdesk.example',
      password: 'pop-password',
    }),
  });
  mailbox = (await created.json()) as Mailbox;
});

afterAll(async () => {
  await runtime?.stop();
  await rm(root, { recursive: true, force: true });
});

/** Takes a message in as a run would and returns its incident's number. */
async function ingest(raw: Buffer): Promise<string> {
  const result = await processMessage(mailbox, { uid: 'u', raw }, stores, NOW);

  return result.referenceNumber as string;
}

async function readIncident(ref: string): Promise<EntryView> {
  const reply = await fetch(`${runtime.apiUrl}/incidents/${ref}`);
  const { entries } = (await reply.json()) as { entries: EntryView[] };

  return entries[0] as EntryView;
}

describe('download links on the local runtime', () => {
  it('serves an attachment through the redirect from the local S3', async () => {
    const ref = await ingest(
      rawMail({
        messageId: '<report-1@customer.example>',
        contentType: 'multipart/mixed; boundary="mix"',
        body: [
          '--mix',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'The report is attached.',
          '--mix',
          'Content-Type: application/pdf; name="Bericht Q4 – März.pdf"',
          'Content-Transfer-Encoding: base64',
          "Content-Disposition: attachment; filename*=UTF-8''Bericht%20Q4%20%E2%80%93%20M%C3%A4rz.pdf",
          '',
          REPORT.toString('base64'),
          '--mix--',
        ].join('\r\n'),
      }),
    );
    const [attachment] = (await readIncident(ref)).attachments;

    const redirect = await fetch(
      `${runtime.apiUrl}/incidents/${ref}/attachments/${attachment?.sha256}`,
      { redirect: 'manual' },
    );
    const location = redirect.headers.get('location') ?? '';
    const download = await fetch(location);

    expect(redirect.status).toBe(302);
    expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="Bericht Q4 _ M_rz.pdf"; filename*=UTF-8''Bericht%20Q4%20%E2%80%93%20M%C3%A4rz.pdf`,
    );
    expect(Buffer.from(await download.arrayBuffer())).toEqual(REPORT);
  });

  it('serves a body kept in the bucket through its bodyUrl', async () => {
    const text = `Start of a long log.\n${'line of log output\n'.repeat(ENTRY_INLINE_BODY_BYTES / 16)}`;
    const ref = await ingest(
      rawMail({ messageId: '<log-1@customer.example>', body: text }),
    );
    const entry = await readIncident(ref);

    const body = await fetch(entry.bodyUrl ?? '');

    expect(entry).toMatchObject({ bodyTruncated: true });
    expect(entry.text.length).toBeLessThan(text.length);
    expect(body.status).toBe(200);
    expect(body.headers.get('content-type')).toBe('application/json');
    expect(((await body.json()) as { text: string }).text.trim()).toBe(
      text.replaceAll('\r\n', '\n').trim(),
    );
  });
});
