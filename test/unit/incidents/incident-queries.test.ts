import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NotFoundError,
  ValidationError,
} from '../../../functions/commons/errors.js';
import {
  DEFAULT_PAGE_SIZE,
  getIncidentWithThread,
  MAX_PAGE_SIZE,
  parseIncidentQuery,
} from '../../../functions/incidents/incident-queries.js';
import type { Incident, ThreadEntry } from '../../../functions/model.js';
import type {
  BlobLinkOptions,
  BlobLinks,
} from '../../../functions/store/ports.js';
import { startTestStores, type TestStores } from '../../support/stores.js';

let stores: TestStores;

/** Links that say what they were made for, without signing anything. */
const links: BlobLinks = {
  linkToGet: async (key: string, options: BlobLinkOptions) =>
    `https://links.test/${key}?expires=${options.expiresInSeconds}`,
};

beforeAll(async () => {
  stores = await startTestStores();
});

afterAll(async () => {
  await stores.stop();
});

function incident(referenceNumber: string): Incident {
  return {
    referenceNumber,
    subject: 'Printer jammed',
    contact: { address: 'carol@customer.example' },
    mailboxId: 'mbx-q',
    interfaceId: 'default',
    status: 'new',
    createdAt: '2026-12-04T09:00:00.000Z',
    updatedAt: '2026-12-04T09:00:00.000Z',
    messageIds: [],
  };
}

function entry(entryId: string, overrides: Partial<ThreadEntry> = {}) {
  return {
    entryId,
    kind: 'customer',
    from: { address: 'carol@customer.example' },
    to: [{ address: 'support@helpdesk.example' }],
    cc: [],
    subject: 'Printer jammed',
    receivedAt: '2026-12-04T09:00:00.000Z',
    text: 'It will not print.',
    attachments: [],
    rawKey: `raw/mbx-q/${entryId}.eml`,
    mailboxId: 'mbx-q',
    ...overrides,
  } satisfies ThreadEntry;
}

function validationErrorOf(parse: () => unknown): ValidationError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('incident queries', () => {
  describe('parseIncidentQuery', () => {
    it('uses the default page size without parameters', () => {
      const query = parseIncidentQuery(null);

      expect(query).toEqual({ limit: DEFAULT_PAGE_SIZE });
    });

    it('passes the filters and the token through', () => {
      const query = parseIncidentQuery({
        mailboxId: 'mbx-1',
        interfaceId: 'brand-a',
        status: 'updated',
        limit: '10',
        nextToken: 'abc',
      });

      expect(query).toEqual({
        mailboxId: 'mbx-1',
        interfaceId: 'brand-a',
        status: 'updated',
        limit: 10,
        nextToken: 'abc',
      });
    });

    it.each(['0', '-1', '2.5', 'ten', '1e2', ' 5', String(MAX_PAGE_SIZE + 1)])(
      'names limit when it is %j',
      (limit) => {
        const error = validationErrorOf(() => parseIncidentQuery({ limit }));

        expect(error.field).toBe('limit');
      },
    );

    it('names status when it is not an incident status', () => {
      const error = validationErrorOf(() =>
        parseIncidentQuery({ status: 'open' }),
      );

      expect(error.field).toBe('status');
    });

    it('names a parameter it does not know', () => {
      const error = validationErrorOf(() =>
        parseIncidentQuery({ mailbox: 'mbx-1' }),
      );

      expect(error.field).toBe('mailbox');
    });
  });

  describe('getIncidentWithThread', () => {
    it('returns the incident with its entries, oldest first', async () => {
      await stores.incidents.putIncident(incident('261204-900001'));
      await stores.incidents.putEntry(
        '261204-900001',
        entry('e2', { receivedAt: '2026-12-04T10:00:00.000Z' }),
      );
      await stores.incidents.putEntry('261204-900001', entry('e1'));

      const found = await getIncidentWithThread(
        stores.incidents,
        { blobs: stores.blobs, links },
        '261204-900001',
      );

      expect(found).toMatchObject({ referenceNumber: '261204-900001' });
      expect(found.entries.map((item) => item.entryId)).toEqual(['e1', 'e2']);
    });

    it('links a body kept in the blob store instead of reading it', async () => {
      await stores.incidents.putIncident(incident('261204-900002'));
      await stores.incidents.putEntry(
        '261204-900002',
        entry('big', { text: 'preview', bodyKey: 'bodies/261204-900002/big' }),
      );

      const found = await getIncidentWithThread(
        stores.incidents,
        { blobs: stores.blobs, links },
        '261204-900002',
      );

      const [only] = found.entries;
      expect(only).toMatchObject({
        text: 'preview',
        bodyTruncated: true,
        bodyUrl: 'https://links.test/bodies/261204-900002/big?expires=300',
      });
      expect(only).not.toHaveProperty('bodyKey');
    });

    it('throws NotFoundError for an unknown reference', async () => {
      const getting = getIncidentWithThread(
        stores.incidents,
        { blobs: stores.blobs, links },
        '261204-999999',
      );

      await expect(getting).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
