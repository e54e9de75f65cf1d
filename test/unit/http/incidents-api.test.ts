import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DOWNLOAD_LINK_SECONDS } from '../../../functions/incidents/download-links.js';
import {
  type EntryView,
  MAX_INLINE_BODIES_BYTES,
} from '../../../functions/incidents/entry-bodies.js';
import type {
  Incident,
  IncidentStatus,
  ThreadEntry,
} from '../../../functions/model.js';
import { ENTRY_TEXT_PREVIEW_CHARS } from '../../../functions/techmail/process-message.js';
import {
  apiCaller,
  apiEvent,
  type JsonReply,
  lambdaContext,
} from '../../support/api-gateway.js';
import {
  startHandlerEnvironment,
  TEST_BUCKET,
} from '../../support/handler-environment.js';
import type { TestStores } from '../../support/stores.js';

const s3 = mockClient(S3Client);

let stores: TestStores;
let handler: typeof import('../../../functions/incidents-api.js').handler;
let nextCounter = 100;

beforeAll(async () => {
  stores = await startHandlerEnvironment();
  ({ handler } = await import('../../../functions/incidents-api.js'));
});

afterAll(async () => {
  await stores.stop();
});

beforeEach(() => {
  s3.reset();
});

const call = apiCaller(() => handler, 'incidents-api');

function listIncidents(query: Record<string, string>): Promise<JsonReply> {
  return call('GET', '/incidents', { query });
}

function getIncident(referenceNumber: string): Promise<JsonReply> {
  return call('GET', `/incidents/${referenceNumber}`, {
    resource: '/incidents/{referenceNumber}',
    pathParameters: { referenceNumber },
  });
}

async function getAttachment(
  referenceNumber: string,
  sha256: string,
): Promise<{ statusCode: number; location?: string; json: unknown }> {
  const result = await handler(
    apiEvent('GET', `/incidents/${referenceNumber}/attachments/${sha256}`, {
      resource: '/incidents/{referenceNumber}/attachments/{sha256}',
      pathParameters: { referenceNumber, sha256 },
    }),
    lambdaContext('incidents-api'),
  );

  return {
    statusCode: result.statusCode,
    location: result.headers?.location as string | undefined,
    json: result.body === '' ? undefined : JSON.parse(result.body),
  };
}

function entriesOf(reply: JsonReply): EntryView[] {
  return (reply.json as { entries: EntryView[] }).entries;
}

/** Stores an incident created at the given minute of the test day. */
async function storeIncident(
  mailboxId: string,
  minute: number,
  fields: { status?: IncidentStatus; interfaceId?: string } = {},
): Promise<Incident> {
  nextCounter += 1;
  const createdAt = `2026-12-04T10:${String(minute).padStart(2, '0')}:00.000Z`;
  const incident: Incident = {
    referenceNumber: `261204-${String(nextCounter).padStart(6, '0')}`,
    subject: `Incident at minute ${minute}`,
    contact: { address: 'carol@customer.example', name: 'Carol' },
    mailboxId,
    interfaceId: fields.interfaceId ?? 'brand-a',
    status: fields.status ?? 'new',
    createdAt,
    updatedAt: createdAt,
    messageIds: [],
  };
  await stores.incidents.putIncident(incident);

  return incident;
}

function entry(overrides: Partial<ThreadEntry> = {}): ThreadEntry {
  return {
    entryId: 'entry-1',
    kind: 'customer',
    messageId: 'm1@customer.example',
    from: { address: 'carol@customer.example', name: 'Carol' },
    to: [{ address: 'support@helpdesk.example' }],
    cc: [{ address: 'boss@customer.example' }],
    subject: 'Printer jammed',
    receivedAt: '2026-12-04T10:00:00.000Z',
    text: 'It will not print.',
    html: '<p>It will not print.</p>',
    attachments: [
      {
        filename: 'log.txt',
        contentType: 'text/plain',
        size: 12,
        sha256: 'a'.repeat(64),
        inline: false,
        storageKey: 'attachments/x/entry-1/aaa',
      },
    ],
    rawKey: 'raw/mbx/abc.eml',
    mailboxId: 'mbx-incidents-detail',
    ...overrides,
  };
}

function references(reply: JsonReply): string[] {
  const { items } = reply.json as { items: Incident[] };

  return items.map((item) => item.referenceNumber);
}

describe('incidents API', () => {
  describe('GET /incidents', () => {
    it('pages through a mailbox newest first with nextToken', async () => {
      const oldest = await storeIncident('mbx-paging', 1);
      const middle = await storeIncident('mbx-paging', 2);
      const newest = await storeIncident('mbx-paging', 3);
      const firstPage = await listIncidents({
        mailboxId: 'mbx-paging',
        limit: '2',
      });
      const { nextToken } = firstPage.json as { nextToken: string };

      const secondPage = await listIncidents({
        mailboxId: 'mbx-paging',
        limit: '2',
        nextToken,
      });

      expect(firstPage.statusCode).toBe(200);
      expect(references(firstPage)).toEqual([
        newest.referenceNumber,
        middle.referenceNumber,
      ]);
      expect(nextToken).toEqual(expect.any(String));
      expect(references(secondPage)).toEqual([oldest.referenceNumber]);
      expect(secondPage.json).not.toHaveProperty('nextToken');
    });

    it('filters by status and interface', async () => {
      const wanted = await storeIncident('mbx-filters', 1, {
        status: 'updated',
        interfaceId: 'brand-z',
      });
      await storeIncident('mbx-filters', 2, { interfaceId: 'brand-z' });
      await storeIncident('mbx-filters', 3, { status: 'updated' });

      const reply = await listIncidents({
        mailboxId: 'mbx-filters',
        status: 'updated',
        interfaceId: 'brand-z',
      });

      expect(references(reply)).toEqual([wanted.referenceNumber]);
    });

    it.each([
      ['limit', { limit: '0' }],
      ['limit', { limit: 'many' }],
      ['limit', { limit: '101' }],
      ['status', { status: 'open' }],
      ['nextToken', { nextToken: 'not-a-token' }],
    ])('answers 400 naming %s', async (field, query) => {
      const reply = await listIncidents(query);

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toEqual({
        error: {
          code: 'ValidationError',
          message: expect.stringContaining(field),
          field,
        },
      });
    });
  });

  describe('GET /incidents/{referenceNumber}', () => {
    it('returns the incident with its thread entries whole', async () => {
      const incident = await storeIncident('mbx-incidents-detail', 10);
      await stores.incidents.putEntry(incident.referenceNumber, entry());

      const reply = await getIncident(incident.referenceNumber);

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toEqual({
        ...incident,
        entries: [{ ...entry(), bodyTruncated: false }],
      });
    });

    it('returns a body kept in the bucket as its preview and a short-lived link, without reading it', async () => {
      const incident = await storeIncident('mbx-incidents-detail', 11);
      const bodyKey = `bodies/${incident.referenceNumber}/entry-1.json`;
      await stores.incidents.putEntry(
        incident.referenceNumber,
        entry({ text: 'It will', html: undefined, bodyKey }),
      );

      const reply = await getIncident(incident.referenceNumber);

      const [only] = entriesOf(reply);
      expect(only).toMatchObject({ text: 'It will', bodyTruncated: true });
      expect(only).not.toHaveProperty('bodyKey');
      expect(only).not.toHaveProperty('html');
      const url = new URL(only?.bodyUrl ?? '');
      expect(url.pathname).toBe(`/${TEST_BUCKET}/${bodyKey}`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe(
        String(DOWNLOAD_LINK_SECONDS),
      );
      expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(s3.calls()).toEqual([]);
    });

    it('answers well under 6 MB for a long thread of bodies kept in the bucket', async () => {
      const incident = await storeIncident('mbx-incidents-detail', 12);
      for (let index = 0; index < 28; index += 1) {
        const entryId = `entry-${String(index).padStart(2, '0')}`;
        await stores.incidents.putEntry(
          incident.referenceNumber,
          entry({
            entryId,
            text: 'p'.repeat(ENTRY_TEXT_PREVIEW_CHARS),
            html: undefined,
            bodyKey: `bodies/${incident.referenceNumber}/${entryId}.json`,
          }),
        );
      }

      const reply = await getIncident(incident.referenceNumber);

      expect(reply.statusCode).toBe(200);
      expect(Buffer.byteLength(reply.raw)).toBeLessThan(512 * 1024);
      expect(entriesOf(reply)).toHaveLength(28);
      expect(entriesOf(reply).every((view) => view.bodyTruncated)).toBe(true);
    });

    it('links every entry from the one whose body would pass the inline limit, copying those bodies to the bucket', async () => {
      s3.on(PutObjectCommand).resolves({});
      const incident = await storeIncident('mbx-incidents-detail', 13);
      const bodyChars = 100 * 1024;
      const count = Math.ceil(MAX_INLINE_BODIES_BYTES / bodyChars) + 2;
      for (let index = 0; index < count; index += 1) {
        await stores.incidents.putEntry(
          incident.referenceNumber,
          entry({
            entryId: `entry-${String(index).padStart(2, '0')}`,
            text: `${index} `.padEnd(bodyChars, 'x'),
            html: undefined,
          }),
        );
      }

      const reply = await getIncident(incident.referenceNumber);

      const views = entriesOf(reply);
      const firstLinked = views.findIndex((view) => view.bodyTruncated);
      const whole = views.slice(0, firstLinked);
      const linked = views.slice(firstLinked);
      expect(whole.length).toBe(
        Math.floor(MAX_INLINE_BODIES_BYTES / (bodyChars + 2)),
      );
      expect(whole.every((view) => view.text.length === bodyChars)).toBe(true);
      expect(linked.length).toBe(count - whole.length);
      for (const view of linked) {
        expect(view.text).toHaveLength(ENTRY_TEXT_PREVIEW_CHARS);
        expect(view.bodyUrl).toContain(
          `/bodies/${incident.referenceNumber}/${view.entryId}.json`,
        );
      }
      const puts = s3
        .commandCalls(PutObjectCommand)
        .map((put) => put.args[0].input);
      expect(puts).toHaveLength(linked.length);
      expect(puts[0]).toMatchObject({
        Bucket: TEST_BUCKET,
        Key: `bodies/${incident.referenceNumber}/${linked[0]?.entryId}.json`,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      });
      expect(JSON.parse(String(puts[0]?.Body))).toEqual({
        text: `${firstLinked} `.padEnd(bodyChars, 'x'),
      });
      expect(Buffer.byteLength(reply.raw)).toBeLessThan(
        MAX_INLINE_BODIES_BYTES + 512 * 1024,
      );
    });

    it('answers 404 for an unknown reference', async () => {
      const reply = await getIncident('261204-999999');

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toEqual({
        error: { code: 'NotFound', message: expect.any(String) },
      });
    });

    it('answers 400, not 500, for a malformed escape in the path', async () => {
      const reply = await getIncident('261204-%E0%A4%A');

      expect(reply.statusCode).toBe(400);
      expect(reply.json).toMatchObject({
        error: { code: 'ValidationError', field: 'referenceNumber' },
      });
    });
  });

  describe('GET /incidents/{referenceNumber}/attachments/{sha256}', () => {
    const sha256 = 'b'.repeat(64);

    async function incidentWithAttachment(minute: number, filename: string) {
      const incident = await storeIncident('mbx-attachments', minute);
      const storageKey = `attachments/${incident.referenceNumber}/entry-1/${sha256}`;
      await stores.incidents.putEntry(
        incident.referenceNumber,
        entry({
          attachments: [
            {
              filename,
              contentType: 'application/pdf',
              size: 2048,
              sha256,
              inline: false,
              storageKey,
            },
          ],
        }),
      );

      return { ref: incident.referenceNumber, storageKey };
    }

    it('redirects to a presigned download served with the file name and type', async () => {
      const { ref, storageKey } = await incidentWithAttachment(
        20,
        'Résumé "final".pdf',
      );

      const reply = await getAttachment(ref, sha256);

      expect(reply.statusCode).toBe(302);
      const url = new URL(reply.location ?? '');
      expect(url.pathname).toBe(`/${TEST_BUCKET}/${storageKey}`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe(
        String(DOWNLOAD_LINK_SECONDS),
      );
      expect(url.searchParams.get('response-content-type')).toBe(
        'application/pdf',
      );
      expect(url.searchParams.get('response-content-disposition')).toBe(
        `attachment; filename="R_sum_ _final_.pdf"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%22final%22.pdf`,
      );
      expect(s3.calls()).toEqual([]);
    });

    it('finds the attachment by a hash given in upper case', async () => {
      const { ref } = await incidentWithAttachment(21, 'log.txt');

      const reply = await getAttachment(ref, sha256.toUpperCase());

      expect(reply.statusCode).toBe(302);
    });

    it('answers 404 naming the attachment when no entry has that hash', async () => {
      const { ref } = await incidentWithAttachment(22, 'log.txt');

      const reply = await getAttachment(ref, 'c'.repeat(64));

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toEqual({
        error: {
          code: 'NotFound',
          message: `attachment ${'c'.repeat(64)} of incident ${ref} was not found`,
        },
      });
    });

    it('answers 404 naming the incident when there is none', async () => {
      const reply = await getAttachment('261204-999998', sha256);

      expect(reply.statusCode).toBe(404);
      expect(reply.json).toEqual({
        error: {
          code: 'NotFound',
          message: 'incident 261204-999998 was not found',
        },
      });
    });

    it.each(['abc', 'g'.repeat(64), 'b'.repeat(65)])(
      'answers 400 naming sha256 for %j',
      async (value) => {
        const reply = await getAttachment('261204-000001', value);

        expect(reply.statusCode).toBe(400);
        expect(reply.json).toEqual({
          error: {
            code: 'ValidationError',
            message: expect.stringContaining('sha256'),
            field: 'sha256',
          },
        });
      },
    );
  });
});
