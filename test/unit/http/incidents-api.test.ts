import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  Incident,
  IncidentStatus,
  ThreadEntry,
} from '../../../functions/model.js';
import {
  type ApiRequest,
  apiEvent,
  type JsonReply,
  lambdaContext,
  readReply,
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

async function call(
  method: string,
  path: string,
  request: ApiRequest = {},
): Promise<JsonReply> {
  const result = await handler(
    apiEvent(method, path, request),
    lambdaContext('incidents-api'),
  );

  return readReply(result);
}

function listIncidents(query: Record<string, string>): Promise<JsonReply> {
  return call('GET', '/incidents', { query });
}

function getIncident(referenceNumber: string): Promise<JsonReply> {
  return call('GET', `/incidents/${referenceNumber}`, {
    resource: '/incidents/{referenceNumber}',
    pathParameters: { referenceNumber },
  });
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
    it('returns the incident with its thread entries', async () => {
      const incident = await storeIncident('mbx-incidents-detail', 10);
      await stores.incidents.putEntry(incident.referenceNumber, entry());

      const reply = await getIncident(incident.referenceNumber);

      expect(reply.statusCode).toBe(200);
      expect(reply.json).toEqual({ ...incident, entries: [entry()] });
    });

    it('reads a body kept in the bucket back into the entry', async () => {
      const incident = await storeIncident('mbx-incidents-detail', 11);
      const bodyKey = `bodies/${incident.referenceNumber}/entry-1.json`;
      await stores.incidents.putEntry(
        incident.referenceNumber,
        entry({ text: 'It will', html: undefined, bodyKey }),
      );
      const body = JSON.stringify({
        text: 'It will not print.',
        html: '<p>x</p>',
      });
      s3.on(GetObjectCommand).resolves({
        Body: {
          transformToByteArray: async () => new TextEncoder().encode(body),
        },
      } as unknown as GetObjectCommandOutput);

      const reply = await getIncident(incident.referenceNumber);

      const [only] = (reply.json as { entries: ThreadEntry[] }).entries;
      expect(only).toMatchObject({
        text: 'It will not print.',
        html: '<p>x</p>',
      });
      expect(only).not.toHaveProperty('bodyKey');
      const [get] = s3.commandCalls(GetObjectCommand);
      expect(get?.args[0].input).toEqual({ Bucket: TEST_BUCKET, Key: bodyKey });
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
});
